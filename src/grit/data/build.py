"""Turn validated records into the ``datasets.Dataset`` every part of grit reads.

Images stay lazy: the ``image`` column is a ``datasets.Image(mode="RGB")`` feature that stores
a path (or, for Hugging Face datasets, the source's memory-mapped bytes) and decodes to a PIL
image only when a row is accessed. That is what TRL's ``GRPOTrainer`` reads: it takes
``example["image"]`` per row and fills the prompt's ``{"type": "image"}`` placeholder with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from grit.data.records import Record
from grit.prompts import SUFFIXES, PromptMode, build_messages

if TYPE_CHECKING:
    from datasets import Dataset, Features

PROMPT_MODES = tuple(SUFFIXES)


def dataset_features(with_image: bool = True) -> Features:
    """The schema of a grit dataset (``grit.prompts.COLUMNS`` plus ``image_path``, ``split``, ``key_words``)."""
    from datasets import Features, Image, List, Value

    part = {"type": Value("string"), "text": Value("string")}
    spec: dict[str, Any] = {
        "id": Value("string"),
        "prompt": List({"role": Value("string"), "content": List(part)}),
    }
    if with_image:
        spec["image"] = Image(mode="RGB")
    spec.update(
        {
            "image_path": Value("string"),
            "question": Value("string"),
            "answer": Value("string"),
            "gt_boxes": List(List(Value("float64"))),
            "dataset": Value("string"),
            "question_type": Value("string"),
            "image_width": Value("int32"),
            "image_height": Value("int32"),
            "split": Value("string"),
            "key_words": Value("string"),
        }
    )
    return Features(spec)


def record_columns(
    records: list[Record], prompt_mode: PromptMode = "grit", system_prompt: str | None = None
) -> dict[str, list[Any]]:
    """Every column except ``image``, as Python lists."""
    if prompt_mode not in PROMPT_MODES:
        raise ValueError(f"unknown prompt mode {prompt_mode!r}; choose one of {list(PROMPT_MODES)}")
    return {
        "id": [r.id for r in records],
        "prompt": [build_messages(r.question, prompt_mode, system_prompt) for r in records],
        "image_path": [r.image if isinstance(r.image, str) else "" for r in records],
        "question": [r.question for r in records],
        "answer": [r.answer for r in records],
        "gt_boxes": [r.boxes for r in records],
        "dataset": [r.dataset for r in records],
        "question_type": [r.question_type.value for r in records],
        "image_width": [r.width for r in records],
        "image_height": [r.height for r in records],
        "split": [r.split for r in records],
        "key_words": [r.key_words for r in records],
    }


def records_to_dataset(
    records: list[Record], prompt_mode: PromptMode = "grit", system_prompt: str | None = None
) -> Dataset:
    """A dataset whose ``image`` column references each record's file (or bytes) lazily."""
    from datasets import Dataset

    columns = record_columns(records, prompt_mode, system_prompt)
    columns["image"] = [
        {"path": r.image, "bytes": None} if isinstance(r.image, str) else {"path": None, "bytes": r.image}
        for r in records
    ]
    features = dataset_features()
    return Dataset.from_dict({name: columns[name] for name in features}, features=features)
