"""The toy base model: a real Qwen2.5-VL architecture, a few million parameters, and its processor.

Same classes, chat template, special tokens and pixel-budget rules as Qwen2.5-VL-3B, so the
demo runs through exactly the code paths a real model does (placeholder expansion, the
absolute-pixel coordinate frame, generation, GRPO). Only widths, depths and the vocabulary shrink.
The tokenizer is a byte-level BPE trained on the toy world's own texts and the prompts grit uses
(TOY-NOTES: otherwise the GRIT suffix shatters into a hundred tiny pieces).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from grit.prompts import COT_SUFFIX, DIRECT_SUFFIX, GRIT_SUFFIX
from grit.testing.families import (
    CLIP_MEAN,
    CLIP_STD,
    QWEN2_5_PLAIN_TOKENS,
    QWEN_SPECIAL_TOKENS,
    mrope,
    qwen_processor,
    qwen_text_config,
    qwen_token_ids,
)
from grit.testing.templates import QWEN2_VL_TEMPLATE
from grit.testing.tokenizer import build_tokenizer
from grit.toy import tasks, world

# One 112-px image = 8 x 8 patches of 14 px = 16 merged visual tokens, whatever the input size.
TOY_PIXELS = world.IMAGE_SIZE * world.IMAGE_SIZE


@dataclass(frozen=True)
class ToyModelSpec:
    """Widths and depths of the toy base (defaults: about 5 M parameters)."""

    text_hidden: int = 192
    text_layers: int = 6
    text_heads: int = 6
    text_kv_heads: int = 2
    text_mlp: int = 768
    vision_hidden: int = 128
    vision_depth: int = 4
    vision_heads: int = 4
    vision_mlp: int = 512
    vocab_size: int = 1024
    # Rotary positions. No frequencies are spent on the temporal axis (one still image), so height
    # and width get 7 each. A small theta (20) meant to spread the 4 x 4 grid's angles was worse
    # in practice (one-object localisation IoU 0.03-0.08 vs 0.53 with 1e4, same budget).
    rope_theta: float = 1e4
    mrope_section: tuple[int, int, int] = (2, 7, 7)
    # Vision attention kept inside each 28-px cell (one merged token): window attention of one
    # token in every block, no full-attention block. A tower that attends across the image can
    # spread an object's colour and shape over every token, and then a name has no token to bind
    # to (docs/toy-research.md); a local one cannot. False: Qwen2.5-VL's own layout.
    local_vision: bool = False


def tokenizer_corpus(n_samples: int = 6000, seed: int = 0) -> list[str]:
    """Texts the BPE is trained on: pre-training prompts and targets, grit's prompts, all coordinates."""
    rng = random.Random(f"grit-toy-tokenizer:{seed}")
    corpus = []
    for _ in range(n_samples):
        sample = tasks.sample_task(rng)
        corpus += [sample.prompt, sample.target]
    corpus += [GRIT_SUFFIX, DIRECT_SUFFIX, COT_SUFFIX] * 200
    corpus += [" ".join(str(v) for v in range(world.IMAGE_SIZE + 1))] * 200
    corpus += [
        "<think> </think> <rethink> </rethink> <answer> </answer> think rethink answer based thinking "
        "contents coordinates necessary needed output"
    ] * 50
    return corpus


def build_toy_tokenizer(spec: ToyModelSpec = ToyModelSpec(), seed: int = 0) -> Any:
    return build_tokenizer(
        special_tokens=QWEN_SPECIAL_TOKENS,
        plain_added_tokens=QWEN2_5_PLAIN_TOKENS,
        chat_template=QWEN2_VL_TEMPLATE,
        vocab_size=spec.vocab_size,
        corpus=tokenizer_corpus(seed=seed),
    )


def build_toy_config(tokenizer: Any, spec: ToyModelSpec = ToyModelSpec()) -> Any:
    from transformers import Qwen2_5_VLConfig

    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in QWEN_SPECIAL_TOKENS}
    vocab = (len(tokenizer) + 63) // 64 * 64
    head_dim = spec.text_hidden // spec.text_heads
    text = qwen_text_config(
        ids,
        vocab,
        hidden_size=spec.text_hidden,
        intermediate_size=spec.text_mlp,
        num_hidden_layers=spec.text_layers,
        num_attention_heads=spec.text_heads,
        num_key_value_heads=spec.text_kv_heads,
        rope_parameters=mrope(spec.rope_theta, head_dim, mrope_section=list(spec.mrope_section)),
        tie_word_embeddings=True,
    )
    config = Qwen2_5_VLConfig(
        text_config=text,
        vision_config={
            "depth": spec.vision_depth,
            "hidden_size": spec.vision_hidden,
            "intermediate_size": spec.vision_mlp,
            "num_heads": spec.vision_heads,
            "out_hidden_size": spec.text_hidden,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            **vision_attention_layout(spec.local_vision, spec.vision_depth),
        },
        tie_word_embeddings=True,
        **qwen_token_ids(ids),
    )
    return config


def vision_attention_layout(local: bool, depth: int) -> dict[str, Any]:
    """Qwen2.5-VL's window size and full-attention blocks: local to a cell, or its usual mix."""
    if local:
        return {"window_size": world.CELL, "fullatt_block_indexes": []}
    return {"window_size": world.IMAGE_SIZE, "fullatt_block_indexes": [depth // 2 - 1, depth - 1]}


def build_toy_processor(tokenizer: Any) -> Any:
    return qwen_processor("Qwen2_5_VLProcessor", 14, TOY_PIXELS, TOY_PIXELS, CLIP_MEAN, CLIP_STD)(tokenizer)


def build_toy_model(spec: ToyModelSpec = ToyModelSpec(), seed: int = 0) -> tuple[Any, Any]:
    """A freshly initialised toy model and its processor."""
    import torch
    from transformers import AutoModelForImageTextToText, GenerationConfig

    tokenizer = build_toy_tokenizer(spec, seed)
    config = build_toy_config(tokenizer, spec)
    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config, dtype=torch.float32)
    pad = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    model.generation_config = GenerationConfig(
        bos_token_id=pad,
        eos_token_id=[tokenizer.convert_tokens_to_ids("<|im_end|>"), pad],
        pad_token_id=pad,
        use_cache=True,
    )
    return model, build_toy_processor(tokenizer)
