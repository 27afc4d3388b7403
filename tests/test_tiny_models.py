"""Tiny models of every family: built offline, small, loadable by the Auto classes, and working."""

from __future__ import annotations

import time

import pytest
import torch
from PIL import Image
from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor

from grit.cli import main
from grit.generation import placeholder_token_ids
from grit.prompts import GRIT_SUFFIX, build_messages
from grit.testing import TINY_FAMILIES, build_tiny_model

FAMILIES = ("qwen2_5_vl", "qwen2_vl", "qwen3_vl", "internvl")

IMAGE_TOKENS = {
    "qwen2_5_vl": "<|vision_start|><|image_pad|><|vision_end|>",
    "qwen2_vl": "<|vision_start|><|image_pad|><|vision_end|>",
    "qwen3_vl": "<|vision_start|><|image_pad|><|vision_end|>",
    "internvl": "<IMG_CONTEXT>\n",
}


def test_every_supported_family_has_a_tiny_model():
    assert set(TINY_FAMILIES) == set(FAMILIES)


@pytest.mark.parametrize("family", FAMILIES)
def test_build_is_small_fast_and_loads_with_auto_classes(family, tmp_path):
    start = time.perf_counter()
    info = build_tiny_model(family, tmp_path / family)
    elapsed = time.perf_counter() - start
    assert elapsed < 10, f"building {family} took {elapsed:.1f}s"
    assert info.size_bytes < 5_000_000
    config = AutoConfig.from_pretrained(info.path)
    assert config.model_type == family
    model = AutoModelForImageTextToText.from_pretrained(info.path)
    processor = AutoProcessor.from_pretrained(info.path)
    assert sum(p.numel() for p in model.parameters()) == info.num_parameters
    assert model.config.image_token_id == processor.tokenizer.convert_tokens_to_ids(processor.image_token)


def test_build_refuses_a_non_empty_directory(tmp_path):
    (tmp_path / "keep.txt").write_text("user data")
    with pytest.raises(FileExistsError, match="not empty"):
        build_tiny_model("qwen2_vl", tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "user data"


def test_unknown_family_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="qwen2_5_vl"):
        build_tiny_model("llava", tmp_path)


@pytest.mark.parametrize("family", FAMILIES)
def test_chat_template_renders_the_image_like_the_real_model(family, tiny_model_dir):
    processor = AutoProcessor.from_pretrained(tiny_model_dir(family))
    text = processor.apply_chat_template(
        build_messages("How many cats?"), add_generation_prompt=True, tokenize=False
    )
    assert IMAGE_TOKENS[family] + "\nQuestion: How many cats?" + GRIT_SUFFIX in text
    assert text.endswith("<|im_start|>assistant\n")
    has_default_system = family in ("qwen2_5_vl", "qwen2_vl")
    assert text.startswith("<|im_start|>system\nYou are a helpful assistant.") == has_default_system


@pytest.mark.parametrize("family", FAMILIES)
def test_special_tokens_are_single_ids_and_survive_a_round_trip(family, tiny_model_dir):
    tokenizer = AutoProcessor.from_pretrained(tiny_model_dir(family)).tokenizer
    for token in ("<|im_start|>", "<|im_end|>", "<|box_start|>", "<|object_ref_start|>"):
        assert len(tokenizer(token, add_special_tokens=False).input_ids) == 1, token
    chain = (
        '<think> a cat {"bbox_2d": [12, 30, 64, 88]} </think> <rethink> one </rethink> <answer> 1 </answer>'
    )
    ids = tokenizer(chain, add_special_tokens=False).input_ids
    assert tokenizer.decode(ids) == chain
    if family == "qwen3_vl":  # Qwen3 has <think> as one (non-special) token
        assert len(tokenizer("<think>", add_special_tokens=False).input_ids) == 1
    if family == "internvl":
        assert tokenizer.context_image_token == "<IMG_CONTEXT>"
        assert tokenizer.start_image_token == "<img>"


@pytest.mark.parametrize("family", FAMILIES)
def test_processor_and_generate(family, tiny_model_dir):
    path = tiny_model_dir(family)
    model = AutoModelForImageTextToText.from_pretrained(path)
    processor = AutoProcessor.from_pretrained(path)
    image = Image.new("RGB", (200, 150), (200, 30, 30))
    text = processor.apply_chat_template(
        build_messages("Is it red?"), add_generation_prompt=True, tokenize=False
    )
    inputs = processor(text=[text], images=[image], return_tensors="pt")
    image_token_id = model.config.image_token_id
    n_placeholders = int((inputs["input_ids"] == image_token_id).sum())
    assert n_placeholders > 0
    if "image_grid_thw" in inputs:  # Qwen: one placeholder per merged 2x2 patch group
        assert n_placeholders == int(inputs["image_grid_thw"].prod()) // 4
    torch.manual_seed(0)
    suppress = placeholder_token_ids(processor)
    out = model.generate(**inputs, max_new_tokens=12, do_sample=True, suppress_tokens=suppress)
    new = out[0, inputs["input_ids"].shape[1] :]
    assert 0 < len(new) <= 12
    assert not set(new.tolist()) & set(suppress)
    assert isinstance(processor.decode(new, skip_special_tokens=True), str)


def test_cli_tiny_model_writes_a_loadable_model(tmp_path, capsys):
    out = tmp_path / "m"
    assert main(["tiny-model", "--family", "qwen2_5_vl", "--out", str(out)]) == 0
    assert "qwen2_5_vl" in capsys.readouterr().out
    AutoModelForImageTextToText.from_pretrained(out)
    AutoProcessor.from_pretrained(out)
