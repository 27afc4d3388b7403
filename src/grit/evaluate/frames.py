"""Chain boxes from the model's coordinate frame to original-image pixels (PAPER.md §2).

The family adapters in ``grit.families`` own this conversion (``get_family(model_type).frame(w, h,
processor).to_pixels(box)``). TODO(issue 3): the fallback below mirrors PAPER.md §2 only so that
evaluation worked before ``grit.families`` landed; delete it once that package is committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

NORMALISED_1000 = ("qwen2_vl", "qwen3_vl", "internvl", "internvl_chat")


def to_pixels(
    boxes: Sequence[Sequence[float]], model_type: str, size: tuple[int, int], processor: Any
) -> list[list[float]]:
    """``boxes`` (model frame) as ``[x1, y1, x2, y2]`` in pixels of the original ``size`` (w, h)."""
    if not boxes:
        return []
    try:
        from grit.families import get_family
    except ImportError:  # TODO(issue 3): remove with the fallback once grit.families is in every tree
        return _fallback(boxes, model_type, size, processor)
    frame = get_family(model_type).frame(size[0], size[1], processor)
    return [[float(v) for v in frame.to_pixels(list(b))] for b in boxes]


def _fallback(
    boxes: Sequence[Sequence[float]], model_type: str, size: tuple[int, int], processor: Any
) -> list[list[float]]:
    width, height = size
    if model_type == "qwen2_5_vl":
        rw, rh = qwen25_resized_size(width, height, processor)
        sx, sy = width / rw, height / rh
    elif model_type in NORMALISED_1000:
        sx, sy = width / 1000.0, height / 1000.0
    else:
        raise ValueError(f"no coordinate frame known for model type {model_type!r}")
    return [[b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy] for b in boxes]


def qwen25_resized_size(width: int, height: int, processor: Any) -> tuple[int, int]:
    """The (w, h) Qwen2.5-VL's processor resizes an image to (its ``smart_resize`` rule)."""
    from transformers.models.qwen2_vl.image_processing_qwen2_vl import smart_resize

    ip = processor.image_processor
    size = dict(getattr(ip, "size", None) or {})
    factor = int(ip.patch_size) * int(ip.merge_size)
    min_pixels = size.get("shortest_edge") or getattr(ip, "min_pixels", None) or 3136
    max_pixels = size.get("longest_edge") or getattr(ip, "max_pixels", None) or 12845056
    h, w = smart_resize(height, width, factor=factor, min_pixels=min_pixels, max_pixels=max_pixels)
    return w, h
