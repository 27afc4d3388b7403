"""Parse a grounded reasoning chain: think / rethink / answer text and every box in it.

A completion is untrusted model output, so the parser is tolerant and bounded:

* it never raises on any string;
* its time is linear in the input: tags are found with ``str.find``/``str.count``, boxes with one
  regular expression whose quantifiers are possessive and bounded (no backtracking blow-up), and
  every per-box look-around (labels, syntax, sentence) reads a window of fixed size;
* at most ``max_boxes`` boxes are collected, and only in the first ``max_scan_chars`` characters
  (the ``boxes`` check says when either limit was reached).

Boxes are reported in the *model's* frame, exactly as written; the family adapters
(:mod:`grit.families`) map them to original-image pixels. Box syntaxes recognised (PAPER.md §2: the
paper finds boxes by a tolerant pattern of four comma-separated numbers, not a JSON parser):

==========  ==============================================================================
syntax      example
==========  ==============================================================================
json        ``{"bbox_2d": [10, 20, 30, 40], "label": "dog"}`` (label before or after)
keyed       ``bbox_2d_1: [10, 20, 30, 40]`` or ``"dog": [10, 20, 30, 40]``
list        ``[10, 20, 30, 40]``
tuple       ``(10, 20, 30, 40)``
bare        ``10, 20, 30, 40``
points      ``(10, 20), (30, 40)``
qwen2_vl    ``<|object_ref_start|>dog<|object_ref_end|><|box_start|>(10,20),(30,40)<|box_end|>``
internvl    ``<ref>dog</ref><box>[[10, 20, 30, 40], [50, 60, 70, 80]]</box>``
==========  ==============================================================================

Integers and decimals are accepted; a run of five or more comma-separated numbers is not a box.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import islice

THINK, THINK_END = "<think>", "</think>"
RETHINK, RETHINK_END = "<rethink>", "</rethink>"
ANSWER, ANSWER_END = "<answer>", "</answer>"
TAGS = (THINK, THINK_END, RETHINK, RETHINK_END, ANSWER, ANSWER_END)

SYNTAXES = ("json", "keyed", "list", "tuple", "bare", "points", "qwen2_vl", "internvl")

DEFAULT_MAX_BOXES = 512
# Boxes are searched for in the first this many characters (tags in all of them). 100,000 characters
# is about 25,000 tokens, 25 times the paper's longest completion; it bounds the regex work on a
# hostile completion to a few milliseconds whatever its length.
DEFAULT_MAX_SCAN_CHARS = 100_000

# One number: optional sign, at most 9 integer digits and 6 decimals. Possessive and bounded, so a
# failed attempt costs a bounded number of steps and never backtracks.
_N = r"(-?\d{1,9}+(?:\.\d{1,6}+)?+)(?!\d|\.\d)"
_S = r"\s{0,16}+"
_C = _S + "," + _S
_BOX_RE = re.compile(
    # Every box starts with one of these characters: a leading character class lets the regex engine
    # skip ordinary prose in C without attempting a match there.
    r"[\[(\d\-]"
    r"(?:"
    # [x1, y1, x2, y2] / (x1, y1, x2, y2) / Qwen2-VL's (x1, y1), (x2, y2)
    r"(?<=[\[(])"
    + _S
    + _N
    + _C
    + _N
    + r"(?:"
    + _C
    + _N
    + _C
    + _N
    + r"(?!"
    + _C
    + r"-?\d)"
    + _S
    + r"([\])])?+"
    + r"|"
    + _S
    + r"\)"
    + _C
    + r"\("
    + _S
    + _N
    + _C
    + _N
    + _S
    + r"\))"
    # bare x1, y1, x2, y2 (its first character is the one consumed above; it may not continue a list)
    r"|(?<![\w.,\-\[(].)(?:(?<=\d)|(?<=-)(?=\d))(?<!,\s.)(\d{0,9}+(?:\.\d{1,6}+)?+)(?!\d|\.\d)"
    + _C
    + _N
    + _C
    + _N
    + _C
    + _N
    + r"(?!"
    + _C
    + r"-?\d)"
    r")"
)
_LABEL_AFTER_RE = re.compile(r"\s{0,16}+,\s{0,16}+[\"']label[\"']\s{0,16}+:\s{0,16}+\"([^\"\n]{0,200}+)\"")
_LABEL_BEFORE_RE = re.compile(
    r"[\"']label[\"']\s{0,16}+:\s{0,16}+\"([^\"\n]{0,200}+)\"\s{0,16}+,\s{0,16}+"
    r"[\"']bbox_2d(?:_\d{1,4}+)?[\"']\s{0,16}+:\s{0,16}+$"
)
_JSON_KEY_RE = re.compile(r"[\"']bbox_2d(?:_\d{1,4}+)?[\"']\s{0,16}+:\s{0,16}+$")
_KEY_RE = re.compile(r"(?:([\"'])([^\"'\n:]{1,60}+)\1|(bbox[\w]{0,20}+))\s{0,16}+:\s{0,16}+$")
_QWEN_REF_RE = re.compile(r"<\|object_ref_start\|>([^<]{0,200}+)<\|object_ref_end\|>\s{0,16}+$")
_INTERN_REF_RE = re.compile(r"<ref>([^<]{0,200}+)</ref>\s{0,16}+$")
_SENTENCE_ENDS = (". ", "! ", "? ", ".\n", "\n")
_WINDOW = 400


@dataclass(frozen=True, slots=True)
class Check:
    """One format check: whether it passed and, in words, why."""

    passed: bool
    reason: str


@dataclass(frozen=True, slots=True)
class ChainBox:
    """A box as the model wrote it (model frame, ``[x1, y1, x2, y2]``), with where it sits.

    ``span`` is the character range of the coordinate expression in the completion, ``sentence``
    the range of the sentence (or clause between tags) around it, ``section`` which part of the
    chain it is in: ``think``, ``rethink``, ``answer`` or ``outside``.
    """

    coords: tuple[float, float, float, float]
    span: tuple[int, int]
    sentence: tuple[int, int]
    section: str
    syntax: str
    label: str | None = None


class Chain:
    """A parsed completion. Parts (``think``, ``rethink``, ``answer``) are ``None`` when their tag is missing.

    The cheap facts the rewards need are computed eagerly; ``boxes`` (with labels, syntax and
    sentences) and ``checks`` (with reasons) are built on first use.
    """

    def __init__(
        self,
        text: str,
        think: str | None,
        rethink: str | None,
        answer: str | None,
        rethink_at: int | None,
        tag_counts: dict[str, int],
        raw_boxes: list[re.Match[str]],
        scan_end: int,
        max_boxes: int,
        box_limit_hit: bool,
    ) -> None:
        self.text = text
        self.think = think
        self.rethink = rethink
        self.answer = answer
        self.rethink_at = rethink_at  # index of the first <rethink>, None when there is none
        self.tag_counts = tag_counts
        self._raw = raw_boxes
        self.scan_end = scan_end
        self.max_boxes = max_boxes
        self.box_limit_hit = box_limit_hit
        self.think_ok = _pair_ok(text, THINK, THINK_END, tag_counts)
        self.rethink_ok = _pair_ok(text, RETHINK, RETHINK_END, tag_counts)
        if rethink_at is None:
            self.n_boxes_before_rethink = 0
        else:
            self.n_boxes_before_rethink = sum(1 for m in raw_boxes if m.start() < rethink_at)

    @property
    def boxes_truncated(self) -> bool:
        """True when a box limit (count or scanned characters) was reached."""
        return self.box_limit_hit or self.scan_end < len(self.text)

    @property
    def n_boxes(self) -> int:
        return len(self._raw)

    @cached_property
    def box_coords(self) -> list[tuple[float, float, float, float]]:
        """Every box's ``(x1, y1, x2, y2)`` in the model's frame, in order."""
        return [_coords(m) for m in self._raw]

    @cached_property
    def boxes(self) -> tuple[ChainBox, ...]:
        return _build_boxes(self.text, self._raw, self.box_coords, self.tag_counts)

    @property
    def boxes_before_rethink(self) -> tuple[ChainBox, ...]:
        """Boxes before the first ``<rethink>``; empty without one (PAPER.md §3: no loophole)."""
        if self.rethink_at is None:
            return ()
        at = self.rethink_at
        return tuple(b for b in self.boxes if b.span[0] < at)

    @cached_property
    def checks(self) -> dict[str, Check]:
        """Every format check by name, in a fixed order, with its reason."""
        return _checks(self)

    @property
    def problems(self) -> list[str]:
        """Reasons of every failed check, in check order."""
        return [f"{name}: {c.reason}" for name, c in self.checks.items() if not c.passed]

    def sentence_text(self, box: ChainBox) -> str:
        return self.text[box.sentence[0] : box.sentence[1]].strip()

    def __repr__(self) -> str:
        return (
            f"Chain(think={self.think!r:.40}, rethink={self.rethink!r:.40}, answer={self.answer!r:.40}, "
            f"boxes={self.n_boxes})"
        )


def _pair_ok(text: str, open_tag: str, close_tag: str, counts: dict[str, int]) -> bool:
    return counts[open_tag] == 1 and counts[close_tag] == 1 and text.find(close_tag) > text.find(open_tag)


def completion_text(completion: object) -> str:
    """The text of a completion given as a string or in conversational form.

    Conversational completions are ``[{"role": "assistant", "content": ...}]`` where content is a
    string or a list of ``{"type": "text", "text": ...}`` parts; the assistant turns are joined.
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        completion = [completion]
    if isinstance(completion, (list, tuple)):
        out: list[str] = []
        for msg in completion:
            if isinstance(msg, str):
                out.append(msg)
                continue
            if not isinstance(msg, dict) or msg.get("role", "assistant") != "assistant":
                continue
            content = msg.get("content", msg.get("text", ""))
            if isinstance(content, str):
                out.append(content)
            elif isinstance(content, list):
                out.extend(
                    p.get("text", "")
                    for p in content
                    if isinstance(p, dict) and p.get("type", "text") == "text"
                )
        return "".join(out)
    return "" if completion is None else str(completion)


def _pair_check(text: str, open_tag: str, close_tag: str, n_open: int, n_close: int) -> Check:
    name = open_tag[1:-1]
    if n_open == 0 and n_close == 0:
        return Check(False, f"missing {open_tag} and {close_tag}")
    if n_open == 0:
        return Check(False, f"missing {open_tag}")
    if n_close == 0:
        return Check(False, f"missing {close_tag}")
    if n_open > 1 or n_close > 1:
        return Check(False, f"{n_open} x {open_tag} and {n_close} x {close_tag}; expected one pair")
    if text.find(close_tag) < text.find(open_tag):
        return Check(False, f"{close_tag} comes before {open_tag}")
    return Check(True, f"one well-formed {name} pair")


def _part(text: str, open_tag: str, close_tag: str, stops: tuple[str, ...]) -> str | None:
    """Text from the first ``open_tag`` to the next ``close_tag`` (or the next stop tag, or the end)."""
    start = text.find(open_tag)
    if start < 0:
        return None
    start += len(open_tag)
    end = text.find(close_tag, start)
    if end < 0:
        end = len(text)
        for stop in stops:
            j = text.find(stop, start)
            if 0 <= j < end:
                end = j
    return text[start:end].strip()


def _sentence(text: str, start: int, end: int, lo: int, hi: int) -> tuple[int, int]:
    w0 = max(lo, start - _WINDOW)
    left = w0
    for d in _SENTENCE_ENDS:
        j = text.rfind(d, w0, start)
        if j >= 0 and j + len(d) > left:
            left = j + len(d)
    w1 = min(hi, end + _WINDOW)
    right = w1
    for d in _SENTENCE_ENDS:
        j = text.find(d, end, w1)
        if 0 <= j < right:
            right = j + (1 if d[0] in ".!?" else 0)
    if right < end:
        right = end
    return left, right


def _syntax_and_label(
    text: str, start: int, end: int, open_ch: str | None, pair: bool
) -> tuple[str, str | None]:
    before = text[max(0, start - _WINDOW) : start]
    # Qwen2-VL special tokens
    if before.endswith("<|box_start|>"):
        m = _QWEN_REF_RE.search(before, 0, len(before) - len("<|box_start|>"))
        return "qwen2_vl", (m.group(1).strip() if m else None)
    if pair:
        return "points", None
    # InternVL: inside an open <box> ... </box>
    open_box = before.rfind("<box>")
    if open_box >= 0 and before.rfind("</box>") < open_box and open_ch == "[":
        between = before[open_box + 5 :]
        if between.lstrip().startswith("["):
            m = _INTERN_REF_RE.search(before, 0, open_box)
            return "internvl", (m.group(1).strip() if m else None)
    if open_ch == "[":
        tail = before.rstrip()
        keyed = tail.endswith(":")
        tail = tail[-100:] + " "
        if keyed and _JSON_KEY_RE.search(tail):
            m = _LABEL_AFTER_RE.match(text, end, min(len(text), end + _WINDOW))
            if m is None:
                m = _LABEL_BEFORE_RE.search(before)
            return "json", (m.group(1).strip() if m else None)
        m = _KEY_RE.search(tail) if keyed else None
        if m:
            label = m.group(2)
            if label is not None and not label.lower().startswith("bbox"):
                return "keyed", label.strip()
            return "keyed", None
        return "list", None
    if open_ch == "(":
        return "tuple", None
    return "bare", None


def _section(start: int, spans: list[tuple[str, int, int]]) -> str:
    for name, lo, hi in spans:
        if lo <= start < hi:
            return name
    return "outside"


def parse_chain(
    completion: object,
    max_boxes: int = DEFAULT_MAX_BOXES,
    max_scan_chars: int | None = DEFAULT_MAX_SCAN_CHARS,
) -> Chain:
    """Parse ``completion`` (string or conversational) into a :class:`Chain`. Never raises.

    ``max_scan_chars=None`` searches the whole text for boxes (still linear time).
    """
    text = completion_text(completion)
    if max_boxes == DEFAULT_MAX_BOXES and max_scan_chars == DEFAULT_MAX_SCAN_CHARS:
        return _parse_cached(text)
    return _parse(text, max_boxes, max_scan_chars)


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Chain:
    # The format, count and answer rewards all parse the same completions of a batch.
    return _parse(text, DEFAULT_MAX_BOXES, DEFAULT_MAX_SCAN_CHARS)


def clear_parse_cache() -> None:
    """Forget cached parses (benchmarks; memory)."""
    _parse_cached.cache_clear()


def _parse(text: str, max_boxes: int, max_scan_chars: int | None) -> Chain:
    count = text.count
    counts = {
        THINK: count(THINK),
        THINK_END: count(THINK_END),
        RETHINK: count(RETHINK),
        RETHINK_END: count(RETHINK_END),
        ANSWER: count(ANSWER),
        ANSWER_END: count(ANSWER_END),
    }
    think = _part(text, THINK, THINK_END, (RETHINK, ANSWER))
    if think is None and counts[THINK_END]:
        # <think> was part of the prompt (some templates prefill it): the chain starts thinking.
        think = text[: text.find(THINK_END)].strip()
    rethink = _part(text, RETHINK, RETHINK_END, (ANSWER,)) if counts[RETHINK] else None
    answer = _part(text, ANSWER, ANSWER_END, ()) if counts[ANSWER] else None
    rethink_at = text.find(RETHINK) if counts[RETHINK] else -1

    n = len(text)
    scan_end = n if max_scan_chars is None else min(n, max_scan_chars)
    # Match objects are kept as they are; coordinates, syntax and labels are read on first use.
    raw = list(islice(_BOX_RE.finditer(text, 0, scan_end), max_boxes + 1))
    limit_hit = len(raw) > max_boxes
    if limit_hit:
        del raw[max_boxes:]
    return Chain(
        text,
        think,
        rethink,
        answer,
        rethink_at if rethink_at >= 0 else None,
        counts,
        raw,
        scan_end,
        max_boxes,
        limit_hit,
    )


def _section_spans(text: str, counts: dict[str, int]) -> list[tuple[str, int, int]]:
    """Content ranges of think / rethink / answer (first occurrences)."""
    n = len(text)
    spans: list[tuple[str, int, int]] = []
    for name, o, c, stops in (
        ("think", THINK, THINK_END, (RETHINK, ANSWER)),
        ("rethink", RETHINK, RETHINK_END, (ANSWER,)),
        ("answer", ANSWER, ANSWER_END, ()),
    ):
        s = text.find(o)
        if s < 0:
            if name == "think" and counts[THINK_END]:
                spans.append((name, 0, text.find(THINK_END)))
            continue
        s += len(o)
        e = text.find(c, s)
        if e < 0:
            e = n
            for stop in stops:
                j = text.find(stop, s)
                if 0 <= j < e:
                    e = j
        spans.append((name, s, e))
    return spans


def _coords(m: re.Match[str]) -> tuple[float, float, float, float]:
    g = m.groups()
    if g[0] is None:  # bare: its first character was consumed before the group
        return (float(m.string[m.start()] + g[7]), float(g[8]), float(g[9]), float(g[10]))
    if g[2] is not None:
        return (float(g[0]), float(g[1]), float(g[2]), float(g[3]))
    return (float(g[0]), float(g[1]), float(g[5]), float(g[6]))  # (x1, y1), (x2, y2)


def _build_boxes(
    text: str,
    raw: list[re.Match[str]],
    coords_list: list[tuple[float, float, float, float]],
    counts: dict[str, int],
) -> tuple[ChainBox, ...]:
    spans = _section_spans(text, counts)
    n = len(text)
    bounds = sorted({0, n, *(p for _, a, b in spans for p in (a, b))})
    out = []
    for m, coords in zip(raw, coords_list, strict=True):
        start, end = m.span()
        g = m.groups()
        first = None if g[0] is None else text[start]
        pair = g[0] is not None and g[2] is None
        syntax, label = _syntax_and_label(text, start, end, first, pair)
        lo = max(b for b in bounds if b <= start)
        hi = min((b for b in bounds if b >= end), default=n)
        out.append(
            ChainBox(
                coords,
                (start, end),
                _sentence(text, start, end, lo, hi),
                _section(start, spans),
                syntax,
                label,
            )
        )
    return tuple(out)


def _checks(chain: Chain) -> dict[str, Check]:
    text, counts = chain.text, chain.tag_counts
    checks = {
        "think": _pair_check(text, THINK, THINK_END, counts[THINK], counts[THINK_END]),
        "rethink": _pair_check(text, RETHINK, RETHINK_END, counts[RETHINK], counts[RETHINK_END]),
    }
    k = chain.n_boxes_before_rethink
    if chain.rethink_at is None:
        checks["box_before_rethink"] = Check(False, "no <rethink>: boxes only count before a <rethink>")
    elif k == 0:
        where = f" ({chain.n_boxes} after it)" if chain.n_boxes else ""
        checks["box_before_rethink"] = Check(False, f"no box before <rethink>{where}")
    else:
        more = "+" if chain.boxes_truncated else ""
        checks["box_before_rethink"] = Check(True, f"{k}{more} box{'es' if k != 1 else ''} before <rethink>")
    n_ans = counts[ANSWER]
    if n_ans == 0:
        checks["answer"] = Check(False, "missing <answer>")
    elif n_ans > 1:
        checks["answer"] = Check(False, f"{n_ans} x <answer>; the first is used")
    elif not chain.answer:
        checks["answer"] = Check(False, "empty answer after <answer>")
    else:
        checks["answer"] = Check(True, "one <answer> with text")
    positions = [text.find(t) for t in (THINK, RETHINK, ANSWER)]
    present = [p for p in positions if p >= 0]
    if len(present) < 3:
        missing = [t for t, p in zip((THINK, RETHINK, ANSWER), positions, strict=True) if p < 0]
        checks["order"] = Check(False, f"missing {', '.join(missing)}")
    elif present != sorted(present):
        checks["order"] = Check(False, "parts out of order (expected think, rethink, answer)")
    else:
        checks["order"] = Check(True, "think, rethink, answer in order")
    coords = chain.box_coords
    if chain.box_limit_hit:
        checks["boxes"] = Check(
            False, f"more than {chain.max_boxes} boxes; only the first {chain.max_boxes} parsed"
        )
    elif chain.scan_end < len(text):
        checks["boxes"] = Check(
            False, f"{len(text)} characters; boxes searched in the first {chain.scan_end} only"
        )
    else:
        bad = sum(1 for c in coords if not (c[2] > c[0] and c[3] > c[1]))
        checks["boxes"] = (
            Check(False, f"{bad} of {len(coords)} boxes have x2 <= x1 or y2 <= y1")
            if bad
            else Check(True, f"{len(coords)} boxes, all with x2 > x1 and y2 > y1")
        )
    return checks


# --- emitting -------------------------------------------------------------------------------------


def format_number(v: float) -> str:
    """Integers without a decimal point, other values with up to 6 decimals."""
    if float(v).is_integer():
        return str(int(v))
    return f"{v:.6f}".rstrip("0").rstrip(".")


def format_box(
    coords: tuple[float, float, float, float] | list[float],
    syntax: str = "json",
    label: str | None = None,
    index: int = 1,
) -> str:
    """Write a box in one of :data:`SYNTAXES` (what :func:`parse_chain` reads back)."""
    x1, y1, x2, y2 = (format_number(v) for v in coords)
    flat = f"{x1}, {y1}, {x2}, {y2}"
    if syntax == "json":
        lab = f', "label": "{label}"' if label is not None else ""
        return f'{{"bbox_2d": [{flat}]{lab}}}'
    if syntax == "keyed":
        return f'"{label}": [{flat}]' if label is not None else f"bbox_2d_{index}: [{flat}]"
    if syntax == "list":
        return f"[{flat}]"
    if syntax == "tuple":
        return f"({flat})"
    if syntax == "bare":
        return flat
    if syntax == "points":
        return f"({x1}, {y1}), ({x2}, {y2})"
    if syntax == "qwen2_vl":
        ref = f"<|object_ref_start|>{label}<|object_ref_end|>" if label is not None else ""
        return f"{ref}<|box_start|>({x1},{y1}),({x2},{y2})<|box_end|>"
    if syntax == "internvl":
        ref = f"<ref>{label}</ref>" if label is not None else ""
        return f"{ref}<box>[[{flat}]]</box>"
    raise ValueError(f"unknown box syntax {syntax!r}; choose one of {SYNTAXES}")


def format_chain(think: str, rethink: str, answer: str) -> str:
    """The paper's chain layout (PAPER.md §2)."""
    return f"{THINK} {think} {THINK_END} {RETHINK} {rethink} {RETHINK_END} {ANSWER} {answer} {ANSWER_END}"


# --- grounded reasoning ---------------------------------------------------------------------------

GROUNDED_CHECKS = ("think", "rethink", "answer", "box_before_rethink")


def is_grounded(chain: Chain) -> bool:
    """A grounded reasoning chain (the eval metric and the training statistic): well-formed
    think, rethink and answer parts, and at least one box before ``<rethink>``."""
    return all(chain.checks[name].passed for name in GROUNDED_CHECKS)
