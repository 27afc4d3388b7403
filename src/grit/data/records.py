"""Row checks shared by every source: text fields, sizes, boxes and the image file itself.

Each check raises ``RowProblem(field, reason, message)``; the caller knows the file and line.
Boxes inside the image up to ``box_tolerance`` pixels are clipped to it (annotations often
overshoot by a pixel); beyond that the row is wrong.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from grit.data.errors import RowProblem
from grit.data.question_types import QuestionType, coerce_question_type, detect_question_type

ImageCheck = Literal["full", "header", "none"]
IMAGE_CHECKS = ("full", "header", "none")
DEFAULT_BOX_TOLERANCE = 2.0


@dataclass
class Record:
    """One validated row, source-independent. ``image`` is a path (str) or raw bytes."""

    id: str
    question: str
    answer: str
    image: str | bytes
    width: int
    height: int
    boxes: list[list[float]]
    dataset: str
    question_type: QuestionType
    split: str = ""
    key_words: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def check_text(value: Any, name: str, *, allow_empty: bool = False) -> str:
    """A non-empty string (numbers are accepted and turned into text: answers like 3)."""
    if value is None:
        raise RowProblem(name, f"missing_{name}", f"missing {name}")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise RowProblem(name, f"bad_{name}", f"{name} must be text, got {type(value).__name__}")
    text = str(value)
    if not allow_empty and not text.strip():
        raise RowProblem(name, f"empty_{name}", f"{name} is empty")
    return text


def check_size(value: Any, name: str) -> int | None:
    """A positive integer pixel size, or None when absent (then read from the image)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RowProblem(name, "bad_size", f"{name} must be a positive integer, got {value!r}")
    if value != int(value) or value <= 0:
        raise RowProblem(name, "bad_size", f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_boxes(
    value: Any, width: int, height: int, *, name: str = "bboxs", tolerance: float = DEFAULT_BOX_TOLERANCE
) -> list[list[float]]:
    """Boxes ``[[x1, y1, x2, y2], ...]`` in original pixels, clipped to the image within ``tolerance``."""
    if value is None:
        return []
    if isinstance(value, str):  # some exports store the list as JSON text
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError:
            raise RowProblem(
                name, "box_not_four_numbers", f"{name} is text that is not a JSON list"
            ) from None
    if not isinstance(value, (list, tuple)):
        raise RowProblem(name, "box_not_four_numbers", f"{name} must be a list of boxes, got {value!r}")
    boxes: list[list[float]] = []
    for i, box in enumerate(value):
        where = f"{name}[{i}]"
        if not isinstance(box, (list, tuple)) or len(box) != 4 or not all(_is_number(v) for v in box):
            raise RowProblem(
                where, "box_not_four_numbers", f"a box must be four numbers [x1, y1, x2, y2], got {box!r}"
            )
        x1, y1, x2, y2 = (float(v) for v in box)
        if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
            raise RowProblem(where, "box_not_finite", f"box has a non-finite coordinate: {list(box)!r}")
        if x2 <= x1 or y2 <= y1:
            raise RowProblem(
                where, "box_inverted", f"box must have x1 < x2 and y1 < y2 (inverted or empty): {list(box)!r}"
            )
        if x1 < -tolerance or y1 < -tolerance or x2 > width + tolerance or y2 > height + tolerance:
            raise RowProblem(
                where,
                "box_outside_image",
                f"box {list(box)!r} lies outside the {width}x{height} image by more than {tolerance:g} px",
            )
        clipped = [max(0.0, x1), max(0.0, y1), min(float(width), x2), min(float(height), y2)]
        if clipped[2] <= clipped[0] or clipped[3] <= clipped[1]:
            raise RowProblem(where, "box_outside_image", f"box {list(box)!r} has no area inside the image")
        boxes.append(clipped)
    return boxes


def check_image_file(path: Path, mode: ImageCheck = "full", *, name: str = "image") -> tuple[int, int] | None:
    """The (width, height) of the image at ``path``; decodes it fully in mode ``full`` to catch truncation."""
    if mode == "none":
        return None
    if not path.is_file():
        raise RowProblem(name, "image_missing", f"image file not found: {path}")
    with path.open("rb") as fh:
        return _check_image_stream(fh, mode, name=name, label=str(path))


def check_image_bytes(
    data: bytes, mode: ImageCheck = "full", *, name: str = "image"
) -> tuple[int, int] | None:
    """Like ``check_image_file`` for images stored as bytes (Hugging Face datasets)."""
    import io

    if mode == "none":
        return None
    return _check_image_stream(io.BytesIO(data), mode, name=name, label="embedded image")


def _check_image_stream(fh: Any, mode: ImageCheck, *, name: str, label: str) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(fh) as img:
            size = img.size
            if mode == "full":
                if img.format == "JPEG":  # decode at reduced scale: still reads every byte, much faster
                    img.draft("RGB", (max(1, size[0] // 8), max(1, size[1] // 8)))
                img.load()
    except UnidentifiedImageError:
        raise RowProblem(name, "image_unreadable", f"not a readable image: {label}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        reason = "image_truncated" if "truncat" in str(exc).lower() else "image_unreadable"
        what = "truncated image" if reason == "image_truncated" else "unreadable image"
        raise RowProblem(name, reason, f"{what}: {label} ({exc})") from None
    return size


def check_declared_size(
    declared: tuple[int | None, int | None], actual: tuple[int, int] | None
) -> tuple[int, int]:
    """The image size: declared and actual must agree; a missing one is taken from the other."""
    dw, dh = declared
    if actual is None:
        if dw is None or dh is None:
            raise RowProblem(
                "width" if dw is None else "height",
                "missing_size",
                "width and height are required when images are not checked",
            )
        return dw, dh
    aw, ah = actual
    if dw is not None and dw != aw:
        raise RowProblem("width", "size_mismatch", f"width {dw} disagrees with the image's real width {aw}")
    if dh is not None and dh != ah:
        raise RowProblem(
            "height", "size_mismatch", f"height {dh} disagrees with the image's real height {ah}"
        )
    return aw, ah


def resolve_question_type(override: Any, question: str, answer: str) -> QuestionType:
    """The override column's value when present, otherwise the detected type."""
    if override is None or (isinstance(override, str) and not override.strip()):
        return detect_question_type(question, answer)
    try:
        return coerce_question_type(override)
    except ValueError as exc:
        raise RowProblem("question_type", "bad_question_type", str(exc)) from None


def text_or_json(value: Any) -> str:
    """Optional metadata (``split``, ``key_words``) as a string column."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
