"""Offline, deterministic answer verifiers: one per answer style of the GRIT benchmarks.

Every judge returns a score in {0, 1} and a short reason saying what it read. They are strict on
purpose: an answer that hedges ("3 or 4", "yes and no") or contradicts itself scores 0, because
a reward must not pick the right reading for the model.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from grit.judges.base import ExactMatchJudge, JudgeRequest, Judgment, normalize_answer
from grit.judges.choices import parse_options, prediction_letter, reference_letter
from grit.judges.numbers import MAX_CHARS, extract_number, format_number, numbers_equal, parse_number


class _RuleJudge:
    """Shared batch loop: a rule judge is a pure function of one request."""

    name: str = "rule"

    def judge(self, question: str, reference: str, prediction: str) -> Judgment:
        raise NotImplementedError

    def judge_request(self, request: JudgeRequest) -> Judgment:
        return self.judge(request.question, request.reference, request.prediction)

    def judge_batch(self, requests: Sequence[JudgeRequest]) -> list[Judgment]:
        return [self.judge_request(r) for r in requests]


def _verdict(ok: bool, what: str) -> Judgment:
    return Judgment(1.0 if ok else 0.0, what)


@dataclass
class NumberJudge(_RuleJudge):
    """Numeric answers (counting, MathVista free-form): digits and number words, "three" = 3 = "3.0"."""

    name: str = "number"

    def judge(self, question: str, reference: str, prediction: str) -> Judgment:
        ref = parse_number(reference)
        if ref is None:
            return ExactMatchJudge().judge(question, reference, prediction)
        pred, how = extract_number(prediction)
        if pred is None:
            return Judgment(0.0, how)
        ok = numbers_equal(pred, ref)
        sign = "==" if ok else "!="
        return _verdict(ok, f"{format_number(pred)} {sign} {format_number(ref)} ({how})")


_YES = {"yes", "yeah", "yep", "true", "correct", "right", "affirmative"}
_NO = {"no", "nope", "false", "incorrect", "wrong", "negative"}
# Words only taken as a verdict when they open the answer ("Right, ..." / "Correct.").
_OPENING_ONLY = {"correct", "right", "incorrect", "wrong", "affirmative", "negative"}


def read_yes_no(text: str) -> tuple[str | None, str]:
    """``"yes"``/``"no"`` from a free-form answer, with how it was read.

    The opening word decides ("Yes, the cat is on the mat", "No. There is none"); otherwise the
    answer must contain yes-words or no-words but not both ("The answer is yes.").
    """
    words = normalize_answer(text[:MAX_CHARS]).split()
    if not words:
        return None, "empty answer"
    opening = "yes" if words[0] in _YES else "no" if words[0] in _NO else None
    if opening is not None:
        # "yes and no", "no, yes", "yes/no": the opposite verdict right after the opening one
        opposite = _NO if opening == "yes" else _YES
        if any(w in opposite and w not in _OPENING_ONLY for w in words[1:3]):
            return None, "ambiguous: says both yes and no"
        return opening, f"opens with {words[0]!r}"
    says_yes = {w for w in words if w in _YES and w not in _OPENING_ONLY}
    says_no = {w for w in words if w in _NO and w not in _OPENING_ONLY}
    if says_yes and says_no:
        return None, "ambiguous: says both yes and no"
    if says_yes:
        return "yes", "contains 'yes'"
    if says_no:
        return "no", "contains 'no'"
    return None, "no yes/no in the answer"


@dataclass
class YesNoJudge(_RuleJudge):
    """Yes/no questions (VSR, MME, GQA verify questions), tolerant of leading words and 'true'/'false'."""

    name: str = "yes_no"

    def judge(self, question: str, reference: str, prediction: str) -> Judgment:
        ref, _ = read_yes_no(reference)
        if ref is None:
            return ExactMatchJudge().judge(question, reference, prediction)
        pred, how = read_yes_no(prediction)
        if pred is None:
            return Judgment(0.0, how)
        return _verdict(pred == ref, f"{pred} {'==' if pred == ref else '!='} {ref} ({how})")


@dataclass
class MultipleChoiceJudge(_RuleJudge):
    """Multiple choice: the answer may name the option letter, the option text, or both (agreeing)."""

    name: str = "multiple_choice"

    def judge(self, question: str, reference: str, prediction: str) -> Judgment:
        options = parse_options(question)
        ref = reference_letter(reference, options)
        if ref is None:
            return OpenAnswerJudge().judge(question, reference, prediction)
        pred, how = prediction_letter(prediction, options)
        if pred is None:
            return Judgment(0.0, how)
        return _verdict(pred == ref, f"option {pred} {'==' if pred == ref else '!='} {ref} ({how})")


_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|isn t|aren t|isnt|arent|without)\b")
_HEDGE = re.compile(r"\b(?:or|and|but|maybe|perhaps|either)\b")


def _singular(words: list[str]) -> list[str]:
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words]


@dataclass
class OpenAnswerJudge(_RuleJudge):
    """Short open answers (GQA "left", "wood"): normalised match, plural-insensitive, or the
    reference as the answer's whole phrase inside a short, unhedged, un-negated sentence."""

    name: str = "open"
    max_words: int = 8

    def judge(self, question: str, reference: str, prediction: str) -> Judgment:
        ref = normalize_answer(reference[:MAX_CHARS])
        pred = normalize_answer(prediction[:MAX_CHARS])
        if not ref:
            return Judgment(0.0, "empty reference")
        if pred == ref:
            return Judgment(1.0, "normalised exact match")
        ref_w, pred_w = _singular(ref.split()), _singular(pred.split())
        if ref_w == pred_w:
            return Judgment(1.0, "match up to plural")
        ref_n, pred_n = parse_number(ref), parse_number(pred)
        if ref_n is not None and pred_n is not None:
            return _verdict(numbers_equal(ref_n, pred_n), "numbers compared")
        contains = f" {' '.join(ref_w)} " in f" {' '.join(pred_w)} "
        if not contains:
            return Judgment(0.0, f"{pred!r} does not match {ref!r}")
        if len(pred_w) > self.max_words:
            return Judgment(0.0, f"reference only inside a long answer ({len(pred_w)} words)")
        rest = f" {' '.join(pred_w)} ".replace(f" {' '.join(ref_w)} ", " ")
        if _NEGATION.search(rest) and not _NEGATION.search(ref):
            return Judgment(0.0, "reference appears negated")
        if _HEDGE.search(rest) and not _HEDGE.search(ref):
            return Judgment(0.0, "answer hedges between alternatives")
        return Judgment(1.0, "reference is the answer's phrase")


_MATH_HINT = re.compile(
    r"\\|\^|\bsqrt\b|\bpi\b|[0-9]\s*/\s*[0-9]|\$|[a-z]\s*=|\d\s*[*+×÷-]\s*\d", re.IGNORECASE
)


def looks_like_math(reference: str) -> bool:
    """A reference that needs symbolic comparison (LaTeX, fractions, roots, equations)."""
    return bool(_MATH_HINT.search(reference[:MAX_CHARS]))


@dataclass
class MathJudge(_RuleJudge):
    """Math answers via ``math-verify`` (symbolic/numeric equivalence: "1/2" = "0.5" = "\\frac12").

    math-verify's own timeout uses ``signal.alarm``, which only works in the main thread; in other
    threads it runs without that timeout, and inputs are truncated to bound the work instead.
    """

    name: str = "math"

    def judge(self, question: str, reference: str, prediction: str) -> Judgment:
        try:
            from math_verify import parse, verify
        except ImportError:  # pragma: no cover - math-verify is a dependency, but stay usable
            return NumberJudge().judge(question, reference, prediction)
        in_main = threading.current_thread() is threading.main_thread()
        timeout = 5 if in_main else None
        ref_text, pred_text = reference[:MAX_CHARS], prediction[:MAX_CHARS]
        gold = parse(_as_math(ref_text), parsing_timeout=timeout)
        answer = parse(_as_math(pred_text), parsing_timeout=timeout)
        if not gold:
            return NumberJudge().judge(question, reference, prediction)
        if not answer:
            return Judgment(0.0, "math-verify found no answer to compare")
        ok = verify(gold, answer, timeout_seconds=timeout)
        return _verdict(ok, f"math-verify: {answer[-1]} {'==' if ok else '!='} {gold[-1]}")


def _as_math(text: str) -> str:
    """Bare LaTeX ("\\frac{1}{2}") is only found by math-verify inside math delimiters."""
    stripped = text.strip()
    if (
        any(c in stripped for c in "\\^{")
        and "$" not in stripped
        and "\\(" not in stripped
        and "\\[" not in stripped
    ):
        return f"${stripped}$"
    return stripped
