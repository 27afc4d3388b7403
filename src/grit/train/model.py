"""Loading the policy model and processor for training: dtype, pixel budget, LoRA, frozen vision tower."""

from __future__ import annotations

import logging
from typing import Any

from grit.families import apply_pixel_budget
from grit.train.config import GritTrainConfig

logger = logging.getLogger(__name__)

# Parameter-name prefixes of the vision encoder in each family (transformers v5 layout).
VISION_TOWER_PREFIXES = (
    "model.visual.",
    "visual.",
    "model.vision_tower.",
    "vision_tower.",
    "model.multi_modal_projector.",
)


def resolve_dtype(config: GritTrainConfig) -> Any:
    import torch

    if config.torch_dtype == "auto":
        if config.bf16:
            return torch.bfloat16
        return torch.float16 if config.fp16 else torch.float32
    try:
        return {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[
            config.torch_dtype
        ]
    except KeyError:
        raise ValueError(
            f"torch_dtype: {config.torch_dtype!r} is not one of auto, bfloat16, float16, float32"
        ) from None


def load_processor(config: GritTrainConfig) -> Any:
    """The model's processor with grit's pixel budget applied (Qwen families: min/max pixels)."""
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(config.model_name_or_path, padding_side="left")
    apply_pixel_budget(processor, config.min_pixels, config.max_pixels)
    return processor


def load_model(config: GritTrainConfig) -> Any:
    """The policy model (AutoModelForImageTextToText), with the vision tower frozen if asked."""
    from transformers import AutoModelForImageTextToText

    kwargs: dict[str, Any] = {"dtype": resolve_dtype(config)}
    if config.attn_implementation:
        kwargs["attn_implementation"] = config.attn_implementation
    model = AutoModelForImageTextToText.from_pretrained(config.model_name_or_path, **kwargs)
    if config.freeze_vision_tower:
        frozen = freeze_vision_tower(model)
        logger.info("froze %d vision-tower parameters", frozen)
    return model


def freeze_vision_tower(model: Any) -> int:
    """Freeze the vision encoder (and InternVL's projector); return how many tensors were frozen."""
    frozen = 0
    for name, parameter in model.named_parameters():
        if name.startswith(VISION_TOWER_PREFIXES):
            parameter.requires_grad_(False)
            frozen += 1
    if frozen == 0:
        raise ValueError("freeze_vision_tower: found no vision-tower parameters in this model")
    return frozen


def lora_config(config: GritTrainConfig) -> Any:
    """A peft LoraConfig for the language model's projections (the vision tower is left out)."""
    if not config.use_lora:
        return None
    from peft import LoraConfig

    # Restrict adapters to the language model: vision blocks reuse names such as q_proj/qkv.
    pattern = (
        r"^(?!.*(visual|vision_tower|multi_modal_projector)).*\.("
        + "|".join(config.lora_target_modules)
        + r")$"
    )
    return LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=pattern,
        task_type="CAUSAL_LM",
    )
