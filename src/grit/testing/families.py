"""Specifications of the tiny test models: one per supported family, real architecture, tiny sizes.

Every spec keeps the real model's *structure* -- patch size, spatial merge, the special tokens,
the chat template, the processor classes and their pixel-budget rules -- and shrinks only
widths, depths and vocabulary, so that code paths (placeholder expansion, coordinate frames,
generation, GRPO) are the real ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from grit.testing.templates import INTERNVL_TEMPLATE, QWEN2_VL_TEMPLATE, QWEN3_VL_TEMPLATE

# Special tokens of the Qwen2 tokenizer family, in the real models' order.
QWEN_SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)
# Added as single, non-special ids in the real Qwen2.5/Qwen3 tokenizers.
QWEN2_5_PLAIN_TOKENS = ("<tool_call>", "</tool_call>")
QWEN3_PLAIN_TOKENS = (
    "<tool_call>",
    "</tool_call>",
    "<tool_response>",
    "</tool_response>",
    "<think>",
    "</think>",
)
# InternVL3 = Qwen2.5 tokenizer + its own image/grounding tokens.
INTERNVL_EXTRA_TOKENS = (
    "<img>",
    "</img>",
    "<IMG_CONTEXT>",
    "<quad>",
    "</quad>",
    "<ref>",
    "</ref>",
    "<box>",
    "</box>",
    "<video>",
)
INTERNVL_NAMED_TOKENS = {
    "start_image_token": "<img>",
    "end_image_token": "</img>",
    "context_image_token": "<IMG_CONTEXT>",
    "video_token": "<video>",
}

# Small but real pixel budgets: an image of a few hundred pixels becomes a few dozen tokens.
TINY_QWEN_MIN_PIXELS = 4 * 28 * 28
TINY_QWEN_MAX_PIXELS = 64 * 28 * 28
TINY_QWEN3_MIN_PIXELS = 4 * 32 * 32
TINY_QWEN3_MAX_PIXELS = 64 * 32 * 32
TINY_INTERNVL_TILE = 56  # InternVL tiles are square; 56 px / 14 px patches / pixel-shuffle 0.5 -> 4 tokens
TINY_INTERNVL_MAX_TILES = 4

TEXT_HIDDEN = 32
TEXT_HEADS = 4
VISION_HIDDEN = 32


@dataclass(frozen=True)
class TinyFamilySpec:
    """How to build one family's tiny model: tokenizer tokens, template, config, processor."""

    family: str
    special_tokens: tuple[str, ...]
    plain_tokens: tuple[str, ...]
    chat_template: str
    build_config: Callable[[dict[str, int]], Any]
    build_processor: Callable[[Any], Any]
    named_tokens: dict[str, str] = field(default_factory=dict)


def qwen_text_config(ids: dict[str, int], vocab_size: int, **extra: Any) -> dict[str, Any]:
    return {
        "vocab_size": vocab_size,
        "hidden_size": TEXT_HIDDEN,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": TEXT_HEADS,
        "num_key_value_heads": 2,
        "max_position_embeddings": 4096,
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
        **extra,
    }


def qwen_token_ids(ids: dict[str, int]) -> dict[str, int]:
    return {
        "image_token_id": ids["<|image_pad|>"],
        "video_token_id": ids["<|video_pad|>"],
        "vision_start_token_id": ids["<|vision_start|>"],
        "vision_end_token_id": ids["<|vision_end|>"],
    }


def mrope(theta: float, head_dim: int = TEXT_HIDDEN // TEXT_HEADS, **extra: Any) -> dict[str, Any]:
    """Multimodal RoPE: the (temporal, height, width) sections must sum to head_dim / 2."""
    return {"rope_type": "default", "mrope_section": [1, 1, head_dim // 2 - 2], "rope_theta": theta, **extra}


def _qwen2_vl_config(ids: dict[str, int]):
    from transformers import Qwen2VLConfig

    return Qwen2VLConfig(
        text_config=qwen_text_config(ids, ids["__vocab_size__"], rope_parameters=mrope(1e6)),
        vision_config={
            "depth": 2,
            "embed_dim": VISION_HIDDEN,
            "hidden_size": TEXT_HIDDEN,  # Qwen2-VL's merger projects embed_dim -> hidden_size (the text width)
            "mlp_ratio": 2,
            "num_heads": 2,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
        },
        **qwen_token_ids(ids),
    )


def _qwen2_5_vl_config(ids: dict[str, int]):
    from transformers import Qwen2_5_VLConfig

    return Qwen2_5_VLConfig(
        text_config=qwen_text_config(ids, ids["__vocab_size__"], rope_parameters=mrope(1e6)),
        vision_config={
            "depth": 2,
            "hidden_size": VISION_HIDDEN,
            "intermediate_size": 64,
            "num_heads": 2,
            "out_hidden_size": TEXT_HIDDEN,  # must equal the text hidden size
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "window_size": 112,
            "fullatt_block_indexes": [1],
        },
        **qwen_token_ids(ids),
    )


def _qwen3_vl_config(ids: dict[str, int]):
    from transformers import Qwen3VLConfig

    head_dim = 8
    return Qwen3VLConfig(
        text_config=qwen_text_config(
            ids,
            ids["__vocab_size__"],
            head_dim=head_dim,
            rope_parameters=mrope(5e6, head_dim, mrope_interleaved=True),
        ),
        vision_config={
            "depth": 2,
            "hidden_size": VISION_HIDDEN,
            "intermediate_size": 64,
            "num_heads": 2,
            "out_hidden_size": TEXT_HIDDEN,
            "patch_size": 16,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "num_position_embeddings": 256,
            "deepstack_visual_indexes": [0],
        },
        **qwen_token_ids(ids),
    )


def _internvl_config(ids: dict[str, int]):
    from transformers import InternVLConfig

    return InternVLConfig(
        vision_config={
            "hidden_size": VISION_HIDDEN,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "intermediate_size": 64,
            "image_size": [TINY_INTERNVL_TILE, TINY_INTERNVL_TILE],
            "patch_size": [14, 14],
        },
        text_config={
            "model_type": "qwen2",
            **qwen_text_config(ids, ids["__vocab_size__"]),
            "tie_word_embeddings": True,
        },
        image_token_id=ids["<IMG_CONTEXT>"],
        image_seq_length=_internvl_seq_length(),
        downsample_ratio=0.5,
    )


def _internvl_seq_length() -> int:
    patches_per_side = TINY_INTERNVL_TILE // 14
    return int(patches_per_side * patches_per_side * 0.5 * 0.5)


def qwen_processor(processor_cls_name: str, patch: int, min_pixels: int, max_pixels: int, mean, std):
    def build(tokenizer):
        import transformers
        from transformers import Qwen2VLImageProcessor

        video_cls = transformers.Qwen3VLVideoProcessor if patch == 16 else transformers.Qwen2VLVideoProcessor
        image_processor = Qwen2VLImageProcessor(
            min_pixels=min_pixels,
            max_pixels=max_pixels,
            patch_size=patch,
            merge_size=2,
            temporal_patch_size=2,
            image_mean=mean,
            image_std=std,
        )
        video_processor = video_cls(
            size={"shortest_edge": min_pixels, "longest_edge": max_pixels},
            patch_size=patch,
            merge_size=2,
            temporal_patch_size=2,
            image_mean=mean,
            image_std=std,
        )
        processor_cls = getattr(transformers, processor_cls_name)
        return processor_cls(
            image_processor=image_processor,
            tokenizer=tokenizer,
            video_processor=video_processor,
            chat_template=tokenizer.chat_template,
        )

    return build


def _internvl_processor(tokenizer):
    from transformers import GotOcr2ImageProcessor, InternVLProcessor, InternVLVideoProcessor

    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]  # ImageNet, as InternVL3
    tile = {"height": TINY_INTERNVL_TILE, "width": TINY_INTERNVL_TILE}
    image_processor = GotOcr2ImageProcessor(
        size=tile,
        crop_to_patches=True,
        min_patches=1,
        max_patches=TINY_INTERNVL_MAX_TILES,
        image_mean=mean,
        image_std=std,
    )
    video_processor = InternVLVideoProcessor(size=tile, image_mean=mean, image_std=std)
    return InternVLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        image_seq_length=_internvl_seq_length(),
        chat_template=tokenizer.chat_template,
    )


CLIP_MEAN, CLIP_STD = [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]

TINY_FAMILIES: dict[str, TinyFamilySpec] = {
    "qwen2_5_vl": TinyFamilySpec(
        family="qwen2_5_vl",
        special_tokens=QWEN_SPECIAL_TOKENS,
        plain_tokens=QWEN2_5_PLAIN_TOKENS,
        chat_template=QWEN2_VL_TEMPLATE,
        build_config=_qwen2_5_vl_config,
        build_processor=qwen_processor(
            "Qwen2_5_VLProcessor", 14, TINY_QWEN_MIN_PIXELS, TINY_QWEN_MAX_PIXELS, CLIP_MEAN, CLIP_STD
        ),
    ),
    "qwen2_vl": TinyFamilySpec(
        family="qwen2_vl",
        special_tokens=QWEN_SPECIAL_TOKENS,
        plain_tokens=(),
        chat_template=QWEN2_VL_TEMPLATE,
        build_config=_qwen2_vl_config,
        build_processor=qwen_processor(
            "Qwen2VLProcessor", 14, TINY_QWEN_MIN_PIXELS, TINY_QWEN_MAX_PIXELS, CLIP_MEAN, CLIP_STD
        ),
    ),
    "qwen3_vl": TinyFamilySpec(
        family="qwen3_vl",
        special_tokens=QWEN_SPECIAL_TOKENS,
        plain_tokens=QWEN3_PLAIN_TOKENS,
        chat_template=QWEN3_VL_TEMPLATE,
        build_config=_qwen3_vl_config,
        build_processor=qwen_processor(
            "Qwen3VLProcessor", 16, TINY_QWEN3_MIN_PIXELS, TINY_QWEN3_MAX_PIXELS, [0.5] * 3, [0.5] * 3
        ),
    ),
    "internvl": TinyFamilySpec(
        family="internvl",
        special_tokens=(*QWEN_SPECIAL_TOKENS, *INTERNVL_EXTRA_TOKENS),
        plain_tokens=QWEN2_5_PLAIN_TOKENS,
        chat_template=INTERNVL_TEMPLATE,
        build_config=_internvl_config,
        build_processor=_internvl_processor,
        named_tokens=INTERNVL_NAMED_TOKENS,
    ),
}
