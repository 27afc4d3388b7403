"""Multiple-choice questions: read the options out of the question and the chosen option out of
an answer, in the styles the GRIT benchmarks use.

MathVista: ``Choices:\\n(A) 3\\n(B) 4`` with the reference given as the option *text*;
MMBench/SEED-like: ``A. cat B. dog`` or ``Options: A: cat, B: dog``; references given as a letter.
An answer may name the letter ("B", "(B)", "Option B", "The answer is B.") or the option text
("4"), or both ("(B) 4") — when both are present they must agree.
"""

from __future__ import annotations

import re

from grit.judges.base import normalize_answer
from grit.judges.numbers import MAX_CHARS, numbers_equal, parse_number

# An option marker: "(A)", "A.", "A)", "A:" at a line start or after whitespace / a separator.
_OPTION = re.compile(r"(?:^|(?<=[\s,;:]))(?:\((?P<p>[A-H])\)|(?P<d>[A-H])[.):])[ \t]*", re.MULTILINE)
_LETTER_ONLY = re.compile(r"^\(?(?P<l>[A-Ha-h])\)?[.):]?$")
_LETTER_IN_TEXT = re.compile(
    r"\((?P<p>(?-i:[A-H]))\)"  # (B)
    r"|^(?P<s>(?-i:[A-H]))(?:[.):]|\s*$)"  # B. / B) / B: at the start, or the bare letter
    r"|\b(?:option|choice|answer(?: is)?|letter)\s*:?\s*\(?(?P<o>(?-i:[A-H]))\b\)?",  # option B
    re.IGNORECASE | re.MULTILINE,
)


def parse_options(question: str) -> dict[str, str]:
    """Option letter -> option text, or ``{}`` when the question lists no lettered options.

    Options must run A, B, C, ... in order (at least two) so that stray "A." in prose is not an option.
    """
    question = question[:MAX_CHARS]
    markers = list(_OPTION.finditer(question))
    # Keep the longest run of consecutive letters starting at A.
    best: list[re.Match[str]] = []
    for start, match in enumerate(markers):
        if _letter(match) != "A":
            continue
        run = [match]
        for later in markers[start + 1 :]:
            if _letter(later) == chr(ord(_letter(run[-1])) + 1):
                run.append(later)
        if len(run) > len(best):
            best = run
    if len(best) < 2:
        return {}
    options: dict[str, str] = {}
    for i, match in enumerate(best):
        end = best[i + 1].start() if i + 1 < len(best) else len(question)
        text = question[match.end() : end]
        if i + 1 == len(best):  # the last option ends at its line (instructions usually follow)
            text = text.split("\n", 1)[0]
        options[_letter(match)] = text.strip().strip(",;").strip()
    return options


def _letter(match: re.Match[str]) -> str:
    return next(g for g in match.groups() if g).upper()


def _same_text(a: str, b: str) -> bool:
    na, nb = parse_number(a), parse_number(b)
    if na is not None and nb is not None:
        return numbers_equal(na, nb)
    return normalize_answer(a) == normalize_answer(b) != ""


def reference_letter(reference: str, options: dict[str, str]) -> str | None:
    """The option the reference names: its letter, or the option whose text it equals."""
    match = _LETTER_ONLY.match(reference.strip())
    if match and (not options or match.group("l").upper() in options):
        return match.group("l").upper()
    for letter, text in options.items():
        if _same_text(reference, text):
            return letter
    return None


def _text_letters(prediction: str, options: dict[str, str]) -> set[str]:
    """Options whose text the prediction is, or contains as a whole phrase."""
    whole = {letter for letter, text in options.items() if _same_text(prediction, text)}
    if whole:
        return whole
    norm = f" {normalize_answer(prediction)} "
    found = set()
    for letter, text in options.items():
        phrase = normalize_answer(text)
        if phrase and f" {phrase} " in norm:
            found.add(letter)
    # "a red car" contains both "car" and "red car": keep only maximal phrases.
    return {
        letter
        for letter in found
        if not any(
            other != letter
            and normalize_answer(options[letter]) in normalize_answer(options[other])
            and len(options[other]) > len(options[letter])
            for other in found
        )
    }


def prediction_letter(prediction: str, options: dict[str, str]) -> tuple[str | None, str]:
    """The option a free-form answer chooses, with how it was read (or why it could not be)."""
    prediction = prediction[:MAX_CHARS].strip()
    match = _LETTER_ONLY.match(prediction)
    if match and (not options or match.group("l").upper() in options):
        return match.group("l").upper(), "answer is an option letter"
    letters = {
        _letter(m).upper()
        for m in _LETTER_IN_TEXT.finditer(prediction)
        if not options or _letter(m).upper() in options
    }
    by_text = _text_letters(prediction, options) if options else set()
    if len(letters) > 1:
        return None, f"ambiguous: several option letters {sorted(letters)}"
    if letters:
        (letter,) = letters
        if by_text and letter not in by_text:
            return None, f"inconsistent: letter {letter} but text of {sorted(by_text)}"
        return letter, "option letter in the answer"
    if len(by_text) == 1:
        return next(iter(by_text)), "option text in the answer"
    if len(by_text) > 1:
        return None, f"ambiguous: text of several options {sorted(by_text)}"
    return None, "no option recognised in the answer"
