"""Box geometry in the library's one convention: ``[x1, y1, x2, y2]`` in original-image pixels.

Includes the paper's grounding IoU (PAPER.md §6): the IoU of the *union* of the predicted boxes
with the *union* of the ground-truth boxes, computed exactly (areas of unions of rectangles by
sweeping x-slabs), not by per-box matching or rasterisation.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence

Box = tuple[float, float, float, float]


def box_problem(box: Sequence[float]) -> str | None:
    """Why ``box`` is not a valid box, or ``None`` when it is (four finite numbers, x2 > x1, y2 > y1)."""
    if len(box) != 4:
        return f"expected 4 numbers, got {len(box)}"
    try:
        x1, y1, x2, y2 = (float(v) for v in box)
    except (TypeError, ValueError):
        return "coordinates must be numbers"
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        return "coordinates must be finite"
    if x2 <= x1:
        return f"x2 ({x2:g}) must be greater than x1 ({x1:g})"
    if y2 <= y1:
        return f"y2 ({y2:g}) must be greater than y1 ({y1:g})"
    return None


def is_valid_box(box: Sequence[float]) -> bool:
    return box_problem(box) is None


def clip_box(box: Sequence[float], width: float, height: float) -> Box:
    """``box`` clipped to the image ``[0, width] x [0, height]`` (may become empty: x2 == x1)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    x1 = min(max(x1, 0.0), width)
    x2 = min(max(x2, 0.0), width)
    y1 = min(max(y1, 0.0), height)
    y2 = min(max(y2, 0.0), height)
    return (x1, y1, max(x1, x2), max(y1, y2))


def box_area(box: Sequence[float]) -> float:
    x1, y1, x2, y2 = box
    return max(0.0, x2 - x1) * max(0.0, y2 - y1)


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two boxes; 0.0 when both are empty."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    inter = iw * ih if iw > 0 and ih > 0 else 0.0
    union = box_area(a) + box_area(b) - inter
    return inter / union if union > 0 else 0.0


def _usable(boxes: Iterable[Sequence[float]]) -> list[Box]:
    out = []
    for b in boxes:
        if box_problem(b) is None:
            x1, y1, x2, y2 = (float(v) for v in b)
            out.append((x1, y1, x2, y2))
    return out


def _covered_length(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Merge 1-D intervals into disjoint sorted ones."""
    intervals.sort()
    merged: list[tuple[float, float]] = []
    for lo, hi in intervals:
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def _length(merged: list[tuple[float, float]]) -> float:
    return sum(hi - lo for lo, hi in merged)


def _overlap(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    i = j = 0
    total = 0.0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if hi > lo:
            total += hi - lo
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def _union_areas(a: list[Box], b: list[Box]) -> tuple[float, float, float]:
    """(area of union of a, area of union of b, area of their intersection), by x-slabs."""
    xs = sorted({x for box in (*a, *b) for x in (box[0], box[2])})
    area_a = area_b = inter = 0.0
    for x0, x1 in itertools.pairwise(xs):
        w = x1 - x0
        if w <= 0:
            continue
        ia = _covered_length([(bx[1], bx[3]) for bx in a if bx[0] <= x0 and bx[2] >= x1])
        ib = _covered_length([(bx[1], bx[3]) for bx in b if bx[0] <= x0 and bx[2] >= x1])
        area_a += w * _length(ia)
        area_b += w * _length(ib)
        inter += w * _overlap(ia, ib)
    return area_a, area_b, inter


def union_area(boxes: Iterable[Sequence[float]]) -> float:
    """Exact area covered by the union of ``boxes`` (invalid boxes contribute nothing)."""
    return _union_areas(_usable(boxes), [])[0]


def union_iou(pred: Iterable[Sequence[float]], gt: Iterable[Sequence[float]]) -> float:
    """IoU of the union of ``pred`` with the union of ``gt``; 0.0 when both unions are empty."""
    a, b, inter = _union_areas(_usable(pred), _usable(gt))
    union = a + b - inter
    return inter / union if union > 0 else 0.0


def grounding_iou(
    pred: Iterable[Sequence[float]],
    gt: Iterable[Sequence[float]],
    image_size: tuple[float, float] | None = None,
) -> float | None:
    """The paper's grounding IoU for one sample (PAPER.md §6), or ``None`` if it has no gt boxes.

    With ``image_size`` (width, height) the predicted boxes are clipped to the image first.
    A sample with ground truth and no (valid) predicted box scores 0.
    """
    gt_boxes = _usable(gt)
    if not gt_boxes:
        return None
    pred_boxes = list(pred)
    if image_size is not None:
        w, h = image_size
        pred_boxes = [clip_box(b, w, h) for b in pred_boxes if len(b) == 4 and box_problem(b) is None]
    return union_iou(pred_boxes, gt_boxes)


def union_iou_batch(
    pairs: Sequence[tuple[Sequence[Sequence[float]], Sequence[Sequence[float]]]],
) -> list[float]:
    """:func:`union_iou` of many (pred, gt) pairs at once, exact, vectorised with numpy (evaluation's GIoU).

    Pairs are grouped by box counts; within a group the coordinates of each pair cut the plane
    into a grid whose cells are either inside or outside every box, so summing the areas of cells
    covered by both unions (and by either) is exact. Degenerate boxes cover no cell.
    """
    import numpy as np

    out = np.zeros(len(pairs))
    groups = {}
    for k, (p, g) in enumerate(pairs):
        if p and g:
            grp = groups.get((len(p), len(g)))
            if grp is None:
                grp = groups[(len(p), len(g))] = ([], [], [])
            grp[0].append(k)
            grp[1].append(p)
            grp[2].append(g)
    for (n_p, n_g), (idx, ps, gs) in groups.items():
        P = np.asarray(ps, dtype=np.float64)  # (N, n_p, 4)
        G = np.asarray(gs, dtype=np.float64)
        if n_p == 1 and n_g == 1:
            a, b = P[:, 0], G[:, 0]
            iw = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
            ih = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
            area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
            area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
            valid = (area_a > 0) & (area_b > 0)
            inter = np.where(valid, iw * ih, 0.0)
            uni = area_a + area_b - inter
            out[idx] = np.where(valid & (uni > 0), inter / np.where(uni > 0, uni, 1), 0.0)
            continue
        B = np.concatenate([P, G], axis=1)  # (N, n, 4)
        xs = np.sort(np.concatenate([B[:, :, 0], B[:, :, 2]], axis=1), axis=1)  # (N, 2n)
        ys = np.sort(np.concatenate([B[:, :, 1], B[:, :, 3]], axis=1), axis=1)
        cx = (xs[:, 1:] + xs[:, :-1]) / 2
        cy = (ys[:, 1:] + ys[:, :-1]) / 2
        area = (xs[:, 1:] - xs[:, :-1])[:, :, None] * (ys[:, 1:] - ys[:, :-1])[:, None, :]
        inx = (B[:, None, :, 0] <= cx[:, :, None]) & (cx[:, :, None] <= B[:, None, :, 2])  # (N, X, n)
        iny = (B[:, None, :, 1] <= cy[:, :, None]) & (cy[:, :, None] <= B[:, None, :, 3])  # (N, Y, n)
        cp = (inx[:, :, None, :n_p] & iny[:, None, :, :n_p]).any(-1)
        cg = (inx[:, :, None, n_p:] & iny[:, None, :, n_p:]).any(-1)
        inter = (area * (cp & cg)).sum((1, 2))
        uni = (area * (cp | cg)).sum((1, 2))
        out[idx] = np.where(uni > 0, inter / np.where(uni > 0, uni, 1), 0.0)
    return out.tolist()
