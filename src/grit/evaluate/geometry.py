"""The paper's grounding IoU: IoU between the *union* of predicted boxes and the union of ground truth.

PAPER.md §6: "IoU between the union of all boxes the model produced ... and the union of all
ground-truth boxes" (union of regions, not a per-box matching). Areas of unions of axis-aligned
rectangles are computed exactly by a sweep over x slabs (merging y intervals), so overlapping
boxes are never counted twice.

``grit.boxes`` owns the shared geometry; ``union_iou`` delegates to it when it is installed.
TODO(issue 3): once ``grit.boxes`` is committed, drop the local implementation (kept so evaluation
did not wait for it, and property-tested against a rasterised grid either way).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

Box = Sequence[float]

try:
    from grit.boxes import union_iou as _shared_union_iou
except ImportError:  # TODO(issue 3): see the module docstring
    _shared_union_iou = None


def _valid(boxes: Sequence[Box]) -> list[tuple[float, float, float, float]]:
    out = []
    for b in boxes:
        x1, y1, x2, y2 = (float(v) for v in b)
        if x2 > x1 and y2 > y1:
            out.append((x1, y1, x2, y2))
    return out


def union_area(boxes: Sequence[Box]) -> float:
    """Exact area covered by the union of ``boxes``; degenerate boxes cover nothing."""
    valid = _valid(boxes)
    return _union_area(valid)


def _union_area(boxes: list[tuple[float, float, float, float]]) -> float:
    if not boxes:
        return 0.0
    if len(boxes) == 1:
        x1, y1, x2, y2 = boxes[0]
        return (x2 - x1) * (y2 - y1)
    xs = sorted({x for b in boxes for x in (b[0], b[2])})
    total = 0.0
    for left, right in itertools.pairwise(xs):
        spans = sorted((b[1], b[3]) for b in boxes if b[0] <= left and b[2] >= right)
        if not spans:
            continue
        covered = 0.0
        lo, hi = spans[0]
        for a, b in spans[1:]:
            if a > hi:
                covered += hi - lo
                lo, hi = a, b
            elif b > hi:
                hi = b
        covered += hi - lo
        total += covered * (right - left)
    return total


def box_iou(a: Box, b: Box) -> float:
    """Plain IoU of two boxes (0.0 when either is degenerate)."""
    ax1, ay1, ax2, ay2 = a
    bx1, by1, bx2, by2 = b
    if ax2 <= ax1 or ay2 <= ay1 or bx2 <= bx1 or by2 <= by1:
        return 0.0
    iw = min(ax2, bx2) - max(ax1, bx1)
    ih = min(ay2, by2) - max(ay1, by1)
    inter = iw * ih if iw > 0 and ih > 0 else 0.0
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    return inter / union if union > 0 else 0.0


def union_iou(pred: Sequence[Box], gt: Sequence[Box]) -> float:
    """IoU of the union of ``pred`` and the union of ``gt`` (0.0 when either union is empty)."""
    if _shared_union_iou is not None:
        return _shared_union_iou(pred, gt)
    return local_union_iou(pred, gt)


def local_union_iou(pred: Sequence[Box], gt: Sequence[Box]) -> float:
    """IoU of the union of ``pred`` and the union of ``gt`` (0.0 when either union is empty).

    Uses ``area(A ∩ B) = area(A) + area(B) - area(A ∪ B)``, which holds for unions of regions.
    """
    p, g = _valid(pred), _valid(gt)
    if not p or not g:
        return 0.0
    if len(p) == 1 and len(g) == 1:
        return box_iou(p[0], g[0])
    area_p, area_g = _union_area(p), _union_area(g)
    area_all = _union_area(p + g)
    inter = area_p + area_g - area_all
    return max(0.0, min(1.0, inter / area_all)) if area_all > 0 else 0.0


def union_iou_batch(pairs: Sequence[tuple[Sequence[Box], Sequence[Box]]]) -> list[float]:
    """``union_iou`` of many (pred, gt) pairs at once, exact, vectorised with numpy.

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


def clip_boxes(boxes: Sequence[Box], width: float, height: float) -> list[list[float]]:
    """Boxes clipped to the image (a box the model drew outside the picture covers nothing there)."""
    out = []
    for b in boxes:
        x1, y1, x2, y2 = (float(v) for v in b)
        out.append(
            [
                min(max(x1, 0.0), width),
                min(max(y1, 0.0), height),
                min(max(x2, 0.0), width),
                min(max(y2, 0.0), height),
            ]
        )
    return out
