"""Box geometry against an independent computation (unit-cell rasterisation of integer boxes)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grit.boxes import box_problem, clip_box, grounding_iou, iou, union_area, union_iou


def _cells(boxes):
    out = set()
    for x1, y1, x2, y2 in boxes:
        if x2 > x1 and y2 > y1:
            out |= {(x, y) for x in range(int(x1), int(x2)) for y in range(int(y1), int(y2))}
    return out


@st.composite
def int_box(draw, size=24):
    x1 = draw(st.integers(0, size - 1))
    y1 = draw(st.integers(0, size - 1))
    return (x1, y1, draw(st.integers(x1 + 1, size)), draw(st.integers(y1 + 1, size)))


boxes_st = st.lists(int_box(), max_size=6)


@settings(max_examples=200, deadline=None)
@given(int_box(), int_box())
def test_iou_matches_rasterised(a, b):
    ca, cb = _cells([a]), _cells([b])
    assert iou(a, b) == pytest.approx(len(ca & cb) / len(ca | cb))


@settings(max_examples=200, deadline=None)
@given(boxes_st, boxes_st)
def test_union_area_and_union_iou_match_rasterised(pred, gt):
    cp, cg = _cells(pred), _cells(gt)
    assert union_area(pred) == pytest.approx(len(cp))
    expected = len(cp & cg) / len(cp | cg) if cp | cg else 0.0
    assert union_iou(pred, gt) == pytest.approx(expected)


@settings(max_examples=100, deadline=None)
@given(boxes_st, st.floats(0.1, 10))
def test_union_area_scales_with_the_square(boxes, k):
    scaled = [tuple(v * k for v in b) for b in boxes]
    assert union_area(scaled) == pytest.approx(union_area(boxes) * k * k, rel=1e-9, abs=1e-9)


def test_validation_reasons():
    assert box_problem([1, 2, 3, 4]) is None
    assert "x2" in box_problem([3, 2, 1, 4])
    assert "y2" in box_problem([1, 4, 3, 4])
    assert box_problem([1, 2, math.nan, 4]) == "coordinates must be finite"
    assert box_problem([1, 2, 3]) == "expected 4 numbers, got 3"


def test_clip_and_grounding_iou():
    assert clip_box([-5, -5, 50, 50], 20, 10) == (0, 0, 20, 10)
    assert grounding_iou([[0, 0, 10, 10]], []) is None  # not annotated
    assert grounding_iou([], [[0, 0, 10, 10]]) == 0.0
    # Two predicted halves cover the one gt box exactly: union IoU is 1, per-box IoU is not.
    assert grounding_iou([[0, 0, 5, 10], [5, 0, 10, 10]], [[0, 0, 10, 10]]) == pytest.approx(1.0)
    assert grounding_iou([[0, 0, 20, 10]], [[0, 0, 10, 10]], image_size=(10, 10)) == pytest.approx(1.0)
    assert grounding_iou([[5, 5, 1, 1]], [[0, 0, 10, 10]]) == 0.0  # invalid predicted box ignored
