"""Reading numbers out of short answers: digits ("3", "3.0", "1,000", "-2", "50%") and English
number words ("three", "twenty-one", "none"), so that "three" = 3 = "3.0".

Answers are model output, so inputs are truncated before any regex runs (bounded work).
"""

from __future__ import annotations

import re

MAX_CHARS = 2000  # answers longer than this are cut before parsing: bounded regex work

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
# Words that mean "a count of zero" in counting answers ("None", "Zero"). A bare "no" is not one:
# it answers a yes/no question, and reading it as 0 let one constant answer ("no") score on both
# counting and yes/no questions (the toy demo's policy found it); "no dogs" still counts as zero.
_ZERO_WORDS = {"none", "nothing", "nobody", "zero"}

_NUMBER_WORD = "|".join(sorted([*_UNITS, *_TENS, "hundred", "dozen"], key=len, reverse=True))
_DIGITS = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+"
_TOKEN = re.compile(
    rf"(?<![\w.])(?P<num>{_DIGITS})(?P<pct>\s*%)?(?![\w]|\.\d)"
    rf"|\b(?P<word>(?:{_NUMBER_WORD})(?:[\s-]+(?:{_NUMBER_WORD}))*)\b",
    re.IGNORECASE,
)


def _words_to_number(words: str) -> float | None:
    """ "twenty-one" -> 21, "one hundred five" -> 105, "a dozen" handled by caller."""
    total, current = 0, 0
    for word in re.split(r"[\s-]+", words.lower()):
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word == "dozen":
            current = max(current, 1) * 12
        else:
            return None
    return float(total + current)


def _token_value(match: re.Match[str]) -> float | None:
    if match.group("num"):
        try:
            return float(match.group("num").replace(",", ""))
        except ValueError:
            return None
    return _words_to_number(match.group("word"))


def find_numbers(text: str) -> list[float]:
    """Every number in ``text`` in order of appearance (digits and number words)."""
    return [v for m in _TOKEN.finditer(text[:MAX_CHARS]) if (v := _token_value(m)) is not None]


def parse_number(text: str) -> float | None:
    """The number ``text`` *is* (the whole answer), or ``None``: "3", "3.0", "three", "3 ." -> 3."""
    stripped = text[:MAX_CHARS].strip().strip(".!").strip()
    if stripped.lower() in _ZERO_WORDS:
        return 0.0
    match = _TOKEN.fullmatch(stripped)
    return _token_value(match) if match else None


_ANSWER_IS = re.compile(r"\b(?:answer|count|total|number)\b[^.\n]{0,20}?\b(?:is|are|:|=)\s*", re.IGNORECASE)
_ZERO_PHRASE = re.compile(r"\b(?:no\s+[a-z]|none\b|nothing\b|zero\b)", re.IGNORECASE)


def extract_number(text: str) -> tuple[float | None, str]:
    """The single number a free-form answer commits to, with how it was found.

    "There are 3 cats." -> 3; "I count two, so the answer is 2" -> 2 (one distinct value);
    "3 or 4" -> None (ambiguous: a verifier must not pick for the model); "There are no dogs" -> 0.
    After "the answer is ..." only the first number counts.
    """
    text = text[:MAX_CHARS]
    whole = parse_number(text)
    if whole is not None:
        return whole, "whole answer is a number"
    tails = list(_ANSWER_IS.finditer(text))
    if tails:
        tail = tails[-1]
        after = find_numbers(text[tail.end() :])
        if after:
            return after[0], "number after 'answer is'"
    values = find_numbers(text)
    distinct = sorted(set(values))
    if len(distinct) == 1:
        return distinct[0], "only number in the answer"
    if len(distinct) > 1:
        return None, f"ambiguous: several numbers {[_fmt(v) for v in distinct]}"
    if _ZERO_PHRASE.search(text):
        return 0.0, "'no X'/'none' read as zero"
    return None, "no number in the answer"


def numbers_equal(a: float, b: float, rel_tol: float = 1e-6) -> bool:
    """Equal up to float noise: 3 == 3.0, 0.1 + 0.2 == 0.3; not a rounding-tolerant match."""
    return abs(a - b) <= rel_tol * max(1.0, abs(a), abs(b))


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


format_number = _fmt
