"""The judge interface shared by rewards and evaluation, and the normalised exact-match judge."""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class JudgeRequest:
    """One answer to judge: the question, the reference answer and the model's prediction.

    ``question_type`` (``count``, ``yes_no``, ``multiple_choice``, ``open``, ``box``; see
    ``grit.data.question_types``) lets a caller that already knows the type skip detection in
    the ``auto`` judge; ``None`` means "detect it".
    """

    question: str
    reference: str
    prediction: str
    question_type: str | None = None


@dataclass(frozen=True)
class Judgment:
    """A judge's verdict. ``score`` is in [0, 1], or ``None`` if the judge failed to decide."""

    score: float | None
    reason: str = ""

    @property
    def failed(self) -> bool:
        return self.score is None


@runtime_checkable
class Judge(Protocol):
    """What rewards and evaluation need from a judge: a batch of requests in, judgments out."""

    name: str

    def judge_batch(self, requests: Sequence[JudgeRequest]) -> list[Judgment]: ...


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT_TABLE = str.maketrans({c: " " for c in string.punctuation})
_SPACES = re.compile(r"\s+")


def normalize_answer(text: str) -> str:
    """Lower-case, drop punctuation and English articles, collapse whitespace (SQuAD-style)."""
    text = text.lower().translate(_PUNCT_TABLE)
    text = _ARTICLES.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


@dataclass
class ExactMatchJudge:
    """1.0 when the normalised prediction equals the normalised reference, else 0.0."""

    name: str = "exact"

    def judge(self, question: str, reference: str, prediction: str) -> Judgment:
        ref, pred = normalize_answer(reference), normalize_answer(prediction)
        if pred == ref:
            return Judgment(1.0, "normalised exact match")
        return Judgment(0.0, f"normalised {pred!r} != {ref!r}")

    def judge_batch(self, requests: Sequence[JudgeRequest]) -> list[Judgment]:
        return [self.judge(r.question, r.reference, r.prediction) for r in requests]


# How a judge's continuous score becomes the number a reward or metric uses (PAPER.md §3):
# the paper trains with a binary judge decision and reports the continuous score at evaluation;
# the authors' release binarises at ``score > 0`` (any partial credit counts as correct).
SCORE_MODES = ("continuous", "binary_0.5", "binary_gt0")


def apply_score_mode(score: float | None, mode: str) -> float | None:
    """Map a judge score to ``mode``; ``None`` (judge failure) stays ``None``."""
    if mode not in SCORE_MODES:
        raise ValueError(f"unknown judge score mode {mode!r}; choose one of {SCORE_MODES}")
    if score is None or mode == "continuous":
        return score
    if mode == "binary_0.5":
        return 1.0 if score >= 0.5 else 0.0
    return 1.0 if score > 0 else 0.0
