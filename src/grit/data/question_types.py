"""Question types, detected from a question and its reference answer.

The count reward and the auto judge pick their rules by question type, so the detection has to
be robust to the wording of the paper's benchmarks (TallyQA, VSR, GQA, MathVista, MME, OVDEval).
A dataset can always override it with a ``question_type`` column.
"""

from __future__ import annotations

import re
from enum import Enum


class QuestionType(str, Enum):
    """What kind of answer a question expects."""

    COUNT = "count"
    YES_NO = "yes_no"
    MULTIPLE_CHOICE = "multiple_choice"
    OPEN = "open"
    BOX = "box"


_YES_NO_ANSWERS = {"yes", "no", "true", "false", "y", "n"}
_NUMBER_WORDS = {
    "zero": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_NUMBER_RE = re.compile(_NUMBER)
# Anything that is only box syntax: numbers, brackets, commas, the usual keys.
_BOX_KEY_RE = re.compile(r"bbox_2d|bbox|box(?:es)?|coordinates?|<[^<>]{0,12}>", re.I)
_BOX_NOISE_RE = re.compile(r"[\s\[\]\(\)\{\},:;\"'.]")
_COUNT_Q_RE = re.compile(r"\b(how many|count(?:ing)?\b|number of|total of)\b", re.I)
_YES_NO_Q_RE = re.compile(r"\banswer\s+(?:with\s+)?[\"']?yes[\"']?\s+or\s+[\"']?no\b|\byes or no\b", re.I)
_AUX_START_RE = re.compile(
    r"^\s*(is|are|was|were|do|does|did|can|could|has|have|had|will|would|should|shall|may|might)\b",
    re.I,
)
_BOX_Q_RE = re.compile(
    r"\b(locate|localize|localise|bounding box(?:es)?|detect|grounding|give the (?:box|coordinates))\b",
    re.I,
)
_WHERE_Q_RE = re.compile(r"\bwhere\s+(?:is|are)\b", re.I)
_OPTION_MARKER_RE = re.compile(r"(?:^|\s)\(?([A-Ha-h])[\).:]\s", re.M)
_OPTION_PAREN_RE = re.compile(r"\(([A-H])\)")
_CHOICES_RE = re.compile(r"\b(choices|options)\s*:", re.I)
_LETTER_ANSWER_RE = re.compile(r"^\(?([A-Ha-h])[\).:]?(?:\s.*)?$", re.S)


def _norm(text: str) -> str:
    return " ".join(str(text).strip().split())


def _strip_punct(text: str) -> str:
    return text.strip().strip(".!?,;:\"'").strip().lower()


def looks_like_box_answer(answer: str) -> bool:
    """True when ``answer`` is nothing but one or more ``[x1, y1, x2, y2]`` boxes (any common syntax)."""
    text = _norm(answer)
    if not text:
        return False
    text = _BOX_KEY_RE.sub(" ", text)
    numbers = _NUMBER_RE.findall(text)
    if len(numbers) < 4 or len(numbers) % 4:
        return False
    rest = _BOX_NOISE_RE.sub("", _NUMBER_RE.sub("", text))
    return rest == ""


def parse_count_answer(answer: str) -> int | None:
    """The non-negative integer an answer states ("3", "three", "3."), or None."""
    text = _strip_punct(_norm(answer))
    if text in _NUMBER_WORDS:
        return _NUMBER_WORDS[text]
    if re.fullmatch(r"\d+", text):
        return int(text)
    return None


def has_options(question: str) -> bool:
    """True when the question lists lettered options (MathVista / MC style)."""
    if _CHOICES_RE.search(question):
        return True
    if len(set(_OPTION_PAREN_RE.findall(question))) >= 2:
        return True
    letters = {m.upper() for m in _OPTION_MARKER_RE.findall(question)}
    return len(letters) >= 2 and "A" in letters and "B" in letters


def detect_question_type(question: str, answer: str = "") -> QuestionType:
    """Heuristic question type from the question text and the reference answer.

    Order matters: a box-shaped answer wins, then lettered options, then yes/no answers or an
    explicit "answer yes or no", then counting cues, then localisation cues, then a yes/no-shaped
    question with no answer to look at; anything else is open.
    """
    q = _norm(question)
    a = _norm(answer)
    a_key = _strip_punct(a)

    if looks_like_box_answer(a):
        return QuestionType.BOX
    if has_options(q) and not (a_key in _YES_NO_ANSWERS and _YES_NO_Q_RE.search(q)):
        return QuestionType.MULTIPLE_CHOICE
    if a_key in _YES_NO_ANSWERS or _YES_NO_Q_RE.search(q):
        return QuestionType.YES_NO
    if _COUNT_Q_RE.search(q) and (not a or parse_count_answer(a) is not None):
        return QuestionType.COUNT
    if parse_count_answer(a) is not None and not _BOX_Q_RE.search(q):
        return QuestionType.COUNT
    if _BOX_Q_RE.search(q) or (_WHERE_Q_RE.search(q) and not a):
        return QuestionType.BOX
    if not a and _AUX_START_RE.search(q):
        return QuestionType.YES_NO
    return QuestionType.OPEN


def coerce_question_type(value: str | QuestionType) -> QuestionType:
    """A ``QuestionType`` from an override column value (accepts "yes/no", "mc", "bbox", ...)."""
    if isinstance(value, QuestionType):
        return value
    key = str(value).strip().lower().replace("-", "_").replace("/", "_").replace(" ", "_")
    aliases = {
        "yesno": "yes_no", "yn": "yes_no", "bool": "yes_no", "binary": "yes_no",
        "mc": "multiple_choice", "multi_choice": "multiple_choice", "choice": "multiple_choice",
        "counting": "count", "number": "count", "bbox": "box", "grounding": "box",
        "free": "open", "free_form": "open", "open_answer": "open", "open_ended": "open",
    }  # fmt: skip
    key = aliases.get(key, key)
    try:
        return QuestionType(key)
    except ValueError:
        raise ValueError(
            f"unknown question type {value!r}; choose one of {[t.value for t in QuestionType]}"
        ) from None
