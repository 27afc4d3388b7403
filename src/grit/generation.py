"""Generation settings every family needs, wherever grit generates (TRL rollouts, eval, infer)."""

from __future__ import annotations

from typing import Any

# Tokens that stand for image/video features. A model that samples one of them produces a
# sequence whose placeholder count no longer matches its image features ("Image features and
# image tokens do not match"), so generation must never emit them. Random and lightly trained
# models do sample them; real models occasionally do.
PLACEHOLDER_TOKENS = (
    "<|image_pad|>",
    "<|video_pad|>",
    "<|vision_pad|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<IMG_CONTEXT>",
    "<img>",
    "</img>",
    "<video>",
)


def placeholder_token_ids(processor_or_tokenizer: Any) -> list[int]:
    """Ids of the image/video placeholder tokens this tokenizer has (to pass as ``suppress_tokens``)."""
    tokenizer = getattr(processor_or_tokenizer, "tokenizer", processor_or_tokenizer)
    vocab = tokenizer.get_vocab()
    return sorted({vocab[token] for token in PLACEHOLDER_TOKENS if token in vocab})
