"""Chain boxes from the model's coordinate frame to original-image pixels (PAPER.md §2).

The family adapters in :mod:`grit.families` own the frames; this is the evaluation's one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def to_pixels(
    boxes: Sequence[Sequence[float]], model_type: str, size: tuple[int, int], processor: Any
) -> list[list[float]]:
    """``boxes`` (model frame) as ``[x1, y1, x2, y2]`` in pixels of the original ``size`` (w, h)."""
    if not boxes:
        return []
    from grit.families import get_family

    frame = get_family(model_type).frame(size[0], size[1], processor)
    return [[float(v) for v in frame.to_pixels(list(b))] for b in boxes]
