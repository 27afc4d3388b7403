"""The GRIT prompt (PAPER.md §2) and the comparison prompt modes, as chat messages.

The user turn is the image followed by ``"\\nQuestion: " + question + GRIT_SUFFIX``. The suffix
is part of the method and is reproduced byte for byte. Model families differ only in how their
chat template renders the image entry, so messages here are family-neutral; the family adapters
add processor settings and coordinate frames.
"""

from __future__ import annotations

from typing import Any, Literal

PromptMode = Literal["grit", "direct", "cot"]

GRIT_SUFFIX = (
    " First, think between <think> and </think> while output necessary coordinates needed to "
    "answer the question in JSON with key 'bbox_2d'. Then, based on the thinking contents and "
    "coordinates, rethink between <rethink> </rethink> and then answer the question after <answer>.\n"
)

# The paper's comparison rows: a direct answer, and a plain chain-of-thought prompt.
DIRECT_SUFFIX = " Answer the question directly with a single word or phrase.\n"
COT_SUFFIX = (
    " First, think step by step between <think> and </think>. Then answer the question after <answer>.\n"
)

SUFFIXES: dict[str, str] = {"grit": GRIT_SUFFIX, "direct": DIRECT_SUFFIX, "cot": COT_SUFFIX}


def question_text(question: str, mode: PromptMode = "grit") -> str:
    """The text part of the user turn for ``question`` in prompt ``mode``."""
    try:
        suffix = SUFFIXES[mode]
    except KeyError:
        raise ValueError(f"unknown prompt mode {mode!r}; choose one of {sorted(SUFFIXES)}") from None
    return "\nQuestion: " + question + suffix


def build_messages(
    question: str, mode: PromptMode = "grit", system: str | None = None
) -> list[dict[str, Any]]:
    """Chat messages (transformers' multimodal format) with one image placeholder then the question.

    The image itself is passed to the processor separately (TRL's ``image`` column convention),
    so the content entry is ``{"type": "image"}``.
    """
    messages: list[dict[str, Any]] = []
    if system is not None:
        messages.append({"role": "system", "content": [{"type": "text", "text": system}]})
    messages.append(
        {
            "role": "user",
            "content": [{"type": "image"}, {"type": "text", "text": question_text(question, mode)}],
        }
    )
    return messages


# Column names of a grit dataset row (produced by ``grit.data``, read by rewards and evaluation).
# Rewards receive them as keyword lists with TRL's reward-function signature.
COLUMNS = {
    "id": "stable row id (str)",
    "prompt": "chat messages from build_messages (family-neutral)",
    "image": "the image (PIL, decoded lazily)",
    "question": "question text",
    "answer": "reference answer text",
    "gt_boxes": "ground-truth boxes, list of [x1, y1, x2, y2] in original-image pixels (may be empty)",
    "dataset": "dataset name, e.g. vsr, tallyqa",
    "question_type": "one of count, yes_no, multiple_choice, open, box",
    "image_width": "original image width in pixels",
    "image_height": "original image height in pixels",
}
