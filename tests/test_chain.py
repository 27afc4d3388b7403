"""The chain parser: parts, boxes of every syntax, checks with reasons, robustness and speed."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grit.chain import SYNTAXES, format_box, format_chain, parse_chain

PAPER_STYLE = (
    '<think> The chairs are here {"bbox_2d": [142, 314, 299, 447], "label": "chair"} and '
    '{"bbox_2d": [0, 439, 58, 531], "label": "chair"}. </think>\n'
    "<rethink> Based on the boxes there are 2 chairs. </rethink>\n<answer> 2 </answer>"
)


def test_parts_and_boxes_of_a_paper_style_chain():
    c = parse_chain(PAPER_STYLE)
    assert c.think.startswith("The chairs are here")
    assert c.rethink == "Based on the boxes there are 2 chairs."
    assert c.answer == "2"
    assert [b.coords for b in c.boxes] == [(142, 314, 299, 447), (0, 439, 58, 531)]
    assert [(b.syntax, b.label, b.section) for b in c.boxes] == [("json", "chair", "think")] * 2
    assert c.n_boxes_before_rethink == 2
    assert all(ch.passed for ch in c.checks.values()), c.problems
    b = c.boxes[0]
    assert PAPER_STYLE[b.span[0] : b.span[1]] == "[142, 314, 299, 447]"
    assert c.sentence_text(b).startswith("The chairs are here")


@pytest.mark.parametrize(
    ("snippet", "coords", "syntax", "label"),
    [
        ('{"bbox_2d": [10, 20, 30, 40], "label": "dog"}', (10, 20, 30, 40), "json", "dog"),
        ('{"label": "dog", "bbox_2d": [10, 20, 30, 40]}', (10, 20, 30, 40), "json", "dog"),
        ("[0, 28, 305, 364]", (0, 28, 305, 364), "list", None),
        ("(200, 168, 248, 202)", (200, 168, 248, 202), "tuple", None),
        ("bbox_2d_1: [1, 2, 3, 4]", (1, 2, 3, 4), "keyed", None),
        ('"cup": [1.5, 2.25, 3, 4]', (1.5, 2.25, 3, 4), "keyed", "cup"),
        ("at 5, 6, 7, 8 there", (5, 6, 7, 8), "bare", None),
        ("(10, 20), (30, 40)", (10, 20, 30, 40), "points", None),
        (
            "<|object_ref_start|>the bird<|object_ref_end|><|box_start|>(10,20),(30,40)<|box_end|>",
            (10, 20, 30, 40),
            "qwen2_vl",
            "the bird",
        ),
        ("<ref>chair</ref><box>[[142, 314, 299, 447]]</box>", (142, 314, 299, 447), "internvl", "chair"),
        ("[ 12.5 ,3,\n 40.25, 50 ]", (12.5, 3, 40.25, 50), "list", None),
    ],
)
def test_every_box_syntax(snippet, coords, syntax, label):
    c = parse_chain(f"<think> look {snippet} ok </think> <rethink> r </rethink> <answer> a </answer>")
    assert [(b.coords, b.syntax, b.label) for b in c.boxes] == [(coords, syntax, label)]


def test_internvl_multi_box_shares_the_label():
    c = parse_chain(
        "<think><ref>cup</ref> <box>[[1, 2, 3, 4], [5, 6, 7, 8]]</box></think><rethink></rethink>"
    )
    assert [(b.coords, b.label, b.syntax) for b in c.boxes] == [
        ((1, 2, 3, 4), "cup", "internvl"),
        ((5, 6, 7, 8), "cup", "internvl"),
    ]


@pytest.mark.parametrize(
    "text", ["[1, 2, 3, 4, 5]", "1, 2, 3", "[1, 2, 3]", "version 1.2.3.4", "[a, b, c, d]"]
)
def test_things_that_are_not_boxes(text):
    assert parse_chain(f"<think>{text}</think>").boxes == ()


def test_checks_say_what_failed():
    c = parse_chain("<think> [1, 2, 3, 4] <answer> 3")
    assert c.answer == "3"
    assert c.think == "[1, 2, 3, 4]"  # truncated think ends at <answer>
    assert not c.checks["think"].passed and "missing </think>" in c.checks["think"].reason
    assert c.checks["rethink"].reason == "missing <rethink> and </rethink>"
    assert "no <rethink>" in c.checks["box_before_rethink"].reason
    assert c.boxes_before_rethink == ()
    dup = parse_chain(
        "<think>a</think><think>b</think><rethink>c</rethink><answer>x</answer><answer>y</answer>"
    )
    assert "2 x <think>" in dup.checks["think"].reason
    assert dup.answer == "x" and "2 x <answer>" in dup.checks["answer"].reason
    late = parse_chain("<think>a</think><rethink>c [1, 2, 3, 4]</rethink><answer>x</answer>")
    assert late.checks["box_before_rethink"].reason == "no box before <rethink> (1 after it)"
    bad = parse_chain("<think>[5, 5, 1, 1]</think>")
    assert "1 of 1 boxes" in bad.checks["boxes"].reason


def test_conversational_completion_and_prefilled_think():
    msg = [
        {"role": "assistant", "content": [{"type": "text", "text": "I see [1, 2, 3, 4] </think><rethink>"}]}
    ]
    c = parse_chain(msg)
    assert c.think == "I see [1, 2, 3, 4]" and c.n_boxes_before_rethink == 1


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_never_raises_on_arbitrary_text(text):
    c = parse_chain(text)
    assert isinstance(c.checks, dict)
    for b in c.boxes:
        assert 0 <= b.span[0] < b.span[1] <= len(text)


_noisy = st.text(alphabet="[](),0123456789 .-<>{}\"':abx\n/", max_size=300)


@settings(max_examples=300, deadline=None)
@given(_noisy)
def test_never_raises_on_box_like_noise(text):
    c = parse_chain("<think>" + text + "</think><rethink>")
    _ = c.boxes, c.checks, c.problems


_coord = st.one_of(
    st.integers(min_value=0, max_value=99999).map(float),
    st.decimals(min_value=0, max_value=9999, places=2, allow_nan=False).map(float),
)
_label = st.text(alphabet="abcdefghij klm", min_size=1, max_size=12).map(str.strip).filter(bool)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.tuples(_coord, _coord, _coord, _coord), st.sampled_from(SYNTAXES), _label),
        min_size=1,
        max_size=6,
    )
)
def test_round_trips_every_syntax_it_emits(items):
    parts = [format_box(c, s, label) for c, s, label in items]
    text = format_chain("Look: " + " then ".join(parts) + ".", "so", "x")
    got = parse_chain(text).boxes
    assert [b.coords for b in got] == [c for c, _, _ in items]
    assert [b.syntax for b in got] == [s for _, s, _ in items]
    with_labels = {"json", "keyed", "qwen2_vl", "internvl"}
    assert [b.label for b in got] == [label if s in with_labels else None for _, s, label in items]


ADVERSARIAL = {
    "boxes": "[1,2,3,4]" * 120_000,
    "digits": "1" * 1_000_000,
    "open_list": "[1, 2, 3, " * 120_000,
    "parens": "(" * 1_000_000,
    "tags": "<think><rethink></think><answer>" * 40_000,
    "commas": "1, " * 400_000,
    "mixed": "(1,1),(1" * 150_000,
    "brackets": "[[[1," * 250_000,
    "keys": '"a": ' * 200_000,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_one_megabyte_adversarial_completion_parses_fast(name):
    text = (ADVERSARIAL[name] * 2)[:1_000_000]
    t0 = time.perf_counter()
    c = parse_chain(text, max_boxes=512)  # not the cached path
    _ = c.checks
    elapsed = time.perf_counter() - t0
    assert elapsed < 0.25, f"{name}: {elapsed * 1000:.0f} ms"  # ~10-20 ms unloaded; slack for shared CI


def test_whole_text_scan_is_linear():
    small = "(1,1),(1" * 12_500
    big = small * 8
    times = []
    for text in (small, big):
        t0 = time.perf_counter()
        parse_chain(text, max_boxes=512, max_scan_chars=None)
        times.append(time.perf_counter() - t0)
    assert times[1] < 8 * times[0] * 3 + 0.05
