"""Model-family adapters and their registry, keyed by ``config.model_type``.

``get_family("qwen2_5_vl")`` (or any ``model_type`` an adapter lists) returns the adapter; add a
family with :func:`register_family`. See ``docs/chains-and-rewards.md`` for the frames.
"""

from __future__ import annotations

from grit.families.base import (
    FamilyAdapter,
    Frame,
    PixelBudget,
    apply_pixel_budget,
    budget_from_processor,
    resized_size,
)

_REGISTRY: dict[str, FamilyAdapter] = {}


def register_family(adapter: FamilyAdapter, replace: bool = False) -> FamilyAdapter:
    """Make ``adapter`` findable by its name and each of its ``model_types``."""
    keys = {adapter.name, *adapter.model_types}
    if not replace:
        taken = sorted(k for k in keys if k in _REGISTRY and _REGISTRY[k] is not adapter)
        if taken:
            raise ValueError(f"family keys already registered: {taken} (pass replace=True)")
    for k in keys:
        _REGISTRY[k] = adapter
    return adapter


def known_families() -> list[str]:
    return sorted(_REGISTRY)


def get_family(name_or_model_type: str) -> FamilyAdapter:
    """The adapter for a family name or ``config.model_type``; a clear error for unknown ones."""
    key = name_or_model_type.strip().lower().replace("-", "_")
    try:
        return _REGISTRY[key]
    except KeyError:
        raise ValueError(
            f"unknown model family {name_or_model_type!r}; known: {', '.join(known_families())} "
            "(add one with grit.families.register_family)"
        ) from None


QWEN2_5_VL = register_family(
    FamilyAdapter(
        name="qwen2_5_vl",
        model_types=("qwen2_5_vl",),
        frame_kind="resized_pixels",
        patch_size=14,
        merge_size=2,
        default_budget=PixelBudget(3136, 256 * 28 * 28, 14, 2),
        box_syntax="json",
        notes="absolute pixels of the processor-resized image",
    )
)
QWEN2_VL = register_family(
    FamilyAdapter(
        name="qwen2_vl",
        model_types=("qwen2_vl",),
        frame_kind="norm1000",
        patch_size=14,
        merge_size=2,
        box_syntax="qwen2_vl",
        notes="0-1000 normalised, <|box_start|>(x1,y1),(x2,y2)<|box_end|>",
    )
)
QWEN3_VL = register_family(
    FamilyAdapter(
        name="qwen3_vl",
        model_types=("qwen3_vl", "qwen3_vl_moe"),
        frame_kind="norm1000",
        patch_size=16,
        merge_size=2,
        box_syntax="json",
        notes="0-1000 normalised",
    )
)
INTERNVL = register_family(
    FamilyAdapter(
        name="internvl",
        model_types=("internvl", "internvl_chat"),
        frame_kind="norm1000",
        patch_size=14,
        merge_size=1,
        box_syntax="internvl",
        notes="0-1000 normalised, <ref>label</ref><box>[[x1, y1, x2, y2]]</box>",
    )
)

__all__ = [
    "INTERNVL",
    "QWEN2_5_VL",
    "QWEN2_VL",
    "QWEN3_VL",
    "FamilyAdapter",
    "Frame",
    "PixelBudget",
    "apply_pixel_budget",
    "budget_from_processor",
    "get_family",
    "known_families",
    "register_family",
    "resized_size",
]
