"""Drawing boxes on images: numbered, in a fixed palette shared with the HTML report and terminal.

Boxes are ``[x1, y1, x2, y2]`` in original-image pixels (the library's one convention).
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw

# Distinct, colour-blind-friendly colours (Okabe-Ito, then Tol's bright), as RGB hex.
PALETTE = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#EE6677",
    "#228833",
    "#4477AA",
)


def box_color(index: int) -> str:
    """The colour of the ``index``-th box of a chain (same in pictures, report and terminal)."""
    return PALETTE[index % len(PALETTE)]


def _dashed_rectangle(
    draw: ImageDraw.ImageDraw, box: Sequence[float], color: str, width: int, dash: int = 6
) -> None:
    x1, y1, x2, y2 = box
    for start, end, horizontal, fixed in (
        (x1, x2, True, y1),
        (x1, x2, True, y2),
        (y1, y2, False, x1),
        (y1, y2, False, x2),
    ):
        pos = start
        while pos < end:
            stop = min(pos + dash, end)
            segment = [(pos, fixed), (stop, fixed)] if horizontal else [(fixed, pos), (fixed, stop)]
            draw.line(segment, fill=color, width=width)
            pos += 2 * dash


def draw_boxes(
    image: Image.Image,
    boxes: Sequence[Sequence[float]],
    gt_boxes: Sequence[Sequence[float]] = (),
    labels: Sequence[str | None] | None = None,
) -> Image.Image:
    """A copy of ``image`` with predicted boxes numbered 1..n in palette colours, ground truth dashed white.

    Boxes partly outside the image are drawn clipped; the caller's image is not modified.
    """
    canvas = image.convert("RGB").copy()
    draw = ImageDraw.Draw(canvas)
    width = max(1, round(max(canvas.size) / 200))
    for box in gt_boxes:
        _dashed_rectangle(draw, _clip(box, canvas.size), "#FFFFFF", width)
    for index, box in enumerate(boxes):
        x1, y1, x2, y2 = _clip(box, canvas.size)
        color = box_color(index)
        draw.rectangle([x1, y1, x2, y2], outline=color, width=width)
        tag = str(index + 1)
        if labels and index < len(labels) and labels[index]:
            tag += f" {labels[index]}"
        left, top, right, bottom = draw.textbbox((x1, y1), tag)
        draw.rectangle([left, top, right + 2, bottom + 2], fill=color)
        draw.text((x1 + 1, y1 + 1), tag, fill="#000000")
    return canvas


def _clip(box: Sequence[float], size: tuple[int, int]) -> tuple[float, float, float, float]:
    w, h = size
    x1, y1, x2, y2 = (float(v) for v in box)
    x1, x2 = sorted((min(max(x1, 0.0), w - 1), min(max(x2, 0.0), w - 1)))
    y1, y2 = sorted((min(max(y1, 0.0), h - 1), min(max(y2, 0.0), h - 1)))
    return x1, y1, x2, y2
