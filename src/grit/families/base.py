"""What a model family adapter is: its prompt messages, processor budget and coordinate frame.

The library's one box convention is ``[x1, y1, x2, y2]`` in original-image pixels. Models write
boxes in their own frame (PAPER.md §2):

* ``resized_pixels`` (Qwen2.5-VL): absolute pixels of the image *as resized by the processor*
  (its ``smart_resize`` rule for the pixel budget); mapped back by the ratio of sizes;
* ``norm1000`` (Qwen2-VL, Qwen3-VL, InternVL3): integers normalised to 0-1000 of the image.

A :class:`Frame` is that mapping for one image, in both directions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from grit.prompts import PromptMode, build_messages

FrameKind = Literal["resized_pixels", "norm1000"]


@dataclass(frozen=True)
class PixelBudget:
    """How a Qwen-style processor resizes: pixel range and the side multiple (patch * merge)."""

    min_pixels: int
    max_pixels: int
    patch_size: int = 14
    merge_size: int = 2

    @property
    def factor(self) -> int:
        return self.patch_size * self.merge_size


def resized_size(width: int, height: int, budget: PixelBudget) -> tuple[int, int]:
    """(width, height) of the image after the Qwen processor's resize, by transformers' own rule."""
    from transformers.models.qwen2_vl.image_processing_qwen2_vl import smart_resize

    h, w = smart_resize(
        int(height),
        int(width),
        factor=budget.factor,
        min_pixels=budget.min_pixels,
        max_pixels=budget.max_pixels,
    )
    return int(w), int(h)


def budget_from_processor(processor: Any) -> PixelBudget:
    """The pixel budget a (Qwen-style) processor or image processor actually uses.

    transformers v5 keeps it as ``image_processor.size = {"shortest_edge": min, "longest_edge": max}``;
    older versions had ``min_pixels`` / ``max_pixels`` attributes.
    """
    ip = getattr(processor, "image_processor", processor)
    size = getattr(ip, "size", None) or {}
    if not isinstance(size, dict):
        size = {k: getattr(size, k, None) for k in ("shortest_edge", "longest_edge")}
    min_pixels = size.get("shortest_edge") or getattr(ip, "min_pixels", None)
    max_pixels = size.get("longest_edge") or getattr(ip, "max_pixels", None)
    if min_pixels is None or max_pixels is None:
        raise ValueError(f"cannot read a pixel budget from {type(ip).__name__} (size={size!r})")
    return PixelBudget(
        int(min_pixels),
        int(max_pixels),
        int(getattr(ip, "patch_size", 14) or 14),
        int(getattr(ip, "merge_size", 2) or 2),
    )


@dataclass(frozen=True)
class Frame:
    """The model's coordinate frame for one image: ``scale_x`` model units per original pixel."""

    kind: FrameKind
    width: float  # original image size
    height: float
    frame_width: float  # size of the model's frame (resized image, or 1000 x 1000)
    frame_height: float

    def to_pixels(self, box: Sequence[float]) -> tuple[float, float, float, float]:
        """A box as the model wrote it -> original-image pixels."""
        sx = self.width / self.frame_width
        sy = self.height / self.frame_height
        x1, y1, x2, y2 = box
        return (x1 * sx, y1 * sy, x2 * sx, y2 * sy)

    def from_pixels(
        self, box: Sequence[float], round_to_int: bool = True
    ) -> tuple[float, float, float, float]:
        """Original-image pixels -> the model's frame (rounded to integers as models write them)."""
        sx = self.frame_width / self.width
        sy = self.frame_height / self.height
        x1, y1, x2, y2 = box
        out = (x1 * sx, y1 * sy, x2 * sx, y2 * sy)
        if round_to_int:
            return tuple(float(round(v)) for v in out)  # type: ignore[return-value]
        return out


@dataclass(frozen=True)
class FamilyAdapter:
    """One model family. ``model_types`` are the ``config.model_type`` values it serves."""

    name: str
    model_types: tuple[str, ...]
    frame_kind: FrameKind
    patch_size: int = 14
    merge_size: int = 2
    # Pixel budget used when none is given: the authors' training budget for Qwen2.5-VL (PAPER.md §2).
    default_budget: PixelBudget | None = None
    box_syntax: str = "json"  # how this family writes boxes natively (grit.chain.format_box)
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def messages(
        self, question: str, mode: PromptMode = "grit", system: str | None = None
    ) -> list[dict[str, Any]]:
        """The user turn: the image, then ``"\\nQuestion: " + question + GRIT_SUFFIX``."""
        return build_messages(question, mode=mode, system=system)

    def budget(self, min_pixels: int | None = None, max_pixels: int | None = None) -> PixelBudget | None:
        if self.default_budget is None and min_pixels is None and max_pixels is None:
            return None
        base = self.default_budget or PixelBudget(56 * 56, 28 * 28 * 1280, self.patch_size, self.merge_size)
        return PixelBudget(
            int(min_pixels if min_pixels is not None else base.min_pixels),
            int(max_pixels if max_pixels is not None else base.max_pixels),
            self.patch_size,
            self.merge_size,
        )

    def processor_kwargs(
        self, min_pixels: int | None = None, max_pixels: int | None = None
    ) -> dict[str, Any]:
        """Keyword arguments for ``AutoProcessor.from_pretrained`` that set the pixel budget."""
        budget = self.budget(min_pixels, max_pixels)
        if budget is None:
            return {}
        return {"min_pixels": budget.min_pixels, "max_pixels": budget.max_pixels}

    def frame(
        self,
        width: float,
        height: float,
        processor: Any = None,
        budget: PixelBudget | None = None,
    ) -> Frame:
        """The model's coordinate frame for an image of ``width`` x ``height`` original pixels.

        For ``resized_pixels`` families the resized size comes from the processor's own resize
        rule: pass the ``processor`` in use (its budget is read from it), or a ``budget``, else
        the family's default budget is assumed.
        """
        if width <= 0 or height <= 0:
            raise ValueError(f"image size must be positive, got {width} x {height}")
        if self.frame_kind == "norm1000":
            return Frame("norm1000", float(width), float(height), 1000.0, 1000.0)
        if processor is not None:
            budget = budget_from_processor(processor)
        if budget is None:
            budget = self.budget()
        if budget is None:
            raise ValueError(f"{self.name}: a pixel budget or processor is needed for its resized frame")
        rw, rh = resized_size(int(width), int(height), budget)
        return Frame("resized_pixels", float(width), float(height), float(rw), float(rh))


def apply_pixel_budget(processor: Any, min_pixels: int | None, max_pixels: int | None) -> None:
    """Set a Qwen-style processor's pixel budget; refuse budgets on processors that have none."""
    if min_pixels is None and max_pixels is None:
        return
    image_processor = processor.image_processor
    size = dict(getattr(image_processor, "size", None) or {})
    if "longest_edge" not in size or "shortest_edge" not in size:
        raise ValueError(
            f"min_pixels/max_pixels: {type(image_processor).__name__} has no pixel budget "
            "(InternVL tiles images instead; set its max_patches in the processor config)"
        )
    if min_pixels is not None:
        size["shortest_edge"] = min_pixels
    if max_pixels is not None:
        size["longest_edge"] = max_pixels
    image_processor.size = size
