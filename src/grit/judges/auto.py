"""The ``auto`` judge: pick the rule verifier for each request by its question type and reference.

The question type comes from the request (``JudgeRequest.question_type``) or from
``grit.data.question_types.detect_question_type`` (the data module owns type detection); the
reference then refines the choice (a numeric reference of an open question is compared as a
number, a LaTeX/fraction reference with math-verify).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from grit.judges.base import ExactMatchJudge, JudgeRequest, Judgment
from grit.judges.choices import parse_options, reference_letter
from grit.judges.numbers import parse_number
from grit.judges.rules import (
    MathJudge,
    MultipleChoiceJudge,
    NumberJudge,
    OpenAnswerJudge,
    YesNoJudge,
    looks_like_math,
    read_yes_no,
)

QUESTION_TYPES = ("count", "yes_no", "multiple_choice", "open", "box")


def detect_type(question: str, reference: str) -> str:
    """The question type as a plain string, from ``grit.data`` when it is available."""
    try:
        from grit.data.question_types import detect_question_type
    except ImportError:
        return _fallback_type(question, reference)
    kind = detect_question_type(question, reference)
    return str(getattr(kind, "value", kind))


def _fallback_type(question: str, reference: str) -> str:
    """Minimal detection used only while ``grit.data.question_types`` is not installed."""
    if parse_options(question) and reference_letter(reference, parse_options(question)):
        return "multiple_choice"
    if read_yes_no(reference)[0] is not None and reference.strip().lower() in {"yes", "no", "true", "false"}:
        return "yes_no"
    if question.lower().lstrip().startswith("how many") and parse_number(reference) is not None:
        return "count"
    return "open"


@dataclass
class AutoJudge:
    """Route each request to the verifier for its type; the reason names the verifier used."""

    name: str = "auto"
    judges: dict[str, object] = field(
        default_factory=lambda: {
            "count": NumberJudge(),
            "number": NumberJudge(),
            "yes_no": YesNoJudge(),
            "multiple_choice": MultipleChoiceJudge(),
            "math": MathJudge(),
            "open": OpenAnswerJudge(),
            "box": ExactMatchJudge(),
        }
    )

    def route(self, request: JudgeRequest) -> str:
        """Which verifier judges ``request``: ``count``, ``yes_no``, ``multiple_choice``,
        ``number``, ``math``, ``open`` or ``box``."""
        kind = request.question_type or detect_type(request.question, request.reference)
        if kind == "yes_no" and read_yes_no(request.reference)[0] is None:
            kind = "open"
        if kind == "multiple_choice" and reference_letter(request.reference, parse_options(request.question)):
            return kind
        if kind in ("count", "yes_no", "box"):
            return kind
        if parse_number(request.reference) is not None:
            return "number"
        if looks_like_math(request.reference):
            return "math"
        return "open"

    def judge_request(self, request: JudgeRequest) -> Judgment:
        kind = self.route(request)
        verdict = self.judges[kind].judge(request.question, request.reference, request.prediction)
        return Judgment(verdict.score, f"[{kind}] {verdict.reason}")

    def judge(self, question: str, reference: str, prediction: str) -> Judgment:
        return self.judge_request(JudgeRequest(question, reference, prediction))

    def judge_batch(self, requests: Sequence[JudgeRequest]) -> list[Judgment]:
        return [self.judge_request(r) for r in requests]
