"""Family adapters: registry, prompt messages, frames both ways, and the real processors' resize."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grit.families import FamilyAdapter, PixelBudget, get_family, known_families, register_family
from grit.prompts import GRIT_SUFFIX


def test_registry_by_model_type_and_clear_error():
    assert get_family("qwen2_5_vl").frame_kind == "resized_pixels"
    for name in ("qwen2_vl", "qwen3_vl", "internvl", "internvl_chat", "qwen3_vl_moe"):
        assert get_family(name).frame_kind == "norm1000"
    with pytest.raises(ValueError, match=r"unknown model family 'llava'.*qwen2_5_vl"):
        get_family("llava")
    assert {"qwen2_5_vl", "qwen2_vl", "qwen3_vl", "internvl"} <= set(known_families())


def test_register_a_new_family():
    fam = register_family(FamilyAdapter("toyvl_test", ("toyvl_test",), "norm1000"), replace=True)
    assert get_family("toyvl_test") is fam
    with pytest.raises(ValueError, match="already registered"):
        register_family(FamilyAdapter("toyvl_test", (), "norm1000"))


def test_messages_carry_the_exact_grit_suffix():
    msgs = get_family("internvl").messages("Is the cat on the mat?")
    text = msgs[-1]["content"][1]["text"]
    assert msgs[-1]["content"][0] == {"type": "image"}
    assert text == "\nQuestion: Is the cat on the mat?" + GRIT_SUFFIX


def test_norm1000_frame():
    fr = get_family("qwen2_vl").frame(640, 480)
    assert fr.to_pixels((0, 0, 1000, 1000)) == (0, 0, 640, 480)
    assert fr.from_pixels((64, 48, 320, 240)) == (100, 100, 500, 500)


def test_qwen2_5_vl_default_budget_is_the_authors():
    fam = get_family("qwen2_5_vl")
    assert fam.processor_kwargs() == {"min_pixels": 3136, "max_pixels": 256 * 28 * 28}
    fr = fam.frame(640, 480)
    assert fr.frame_width % 28 == 0 and fr.frame_height % 28 == 0
    assert fr.frame_width * fr.frame_height <= 256 * 28 * 28


sizes = st.tuples(st.integers(28, 3000), st.integers(28, 3000))


@settings(max_examples=100, deadline=None)
@given(sizes, st.sampled_from(["qwen2_5_vl", "qwen2_vl", "qwen3_vl", "internvl"]), st.data())
def test_frames_round_trip_within_a_pixel(size, family, data):
    w, h = size
    fr = get_family(family).frame(w, h)
    x1 = data.draw(st.integers(0, w - 1))
    y1 = data.draw(st.integers(0, h - 1))
    box = (x1, y1, data.draw(st.integers(x1 + 1, w)), data.draw(st.integers(y1 + 1, h)))
    # pixels -> model frame (as the model would write it, integers) -> pixels: within one model
    # unit, i.e. within a pixel wherever the model frame is at least as fine as the image
    back = fr.to_pixels(fr.from_pixels(box))
    unit_x, unit_y = w / fr.frame_width, h / fr.frame_height
    for a, b, unit in zip(box, back, (unit_x, unit_y, unit_x, unit_y), strict=True):
        assert abs(a - b) <= max(1.0, unit / 2) + 1e-9
    # model frame -> pixels -> model frame is exact up to float error
    mbox = fr.from_pixels(box)
    assert fr.from_pixels(fr.to_pixels(mbox), round_to_int=False) == pytest.approx(mbox)


@pytest.fixture(scope="session")
def tiny_processors(tmp_path_factory):
    pytest.importorskip("transformers")
    from transformers import AutoProcessor

    from grit.testing import build_tiny_model

    out = {}
    for fam in ("qwen2_5_vl", "qwen3_vl"):
        info = build_tiny_model(fam, tmp_path_factory.mktemp(fam) / "model")
        out[fam] = AutoProcessor.from_pretrained(info.path)
    return out


@pytest.mark.parametrize("size", [(640, 480), (333, 1000), (50, 50), (1920, 1080), (29, 300)])
@pytest.mark.parametrize("family", ["qwen2_5_vl", "qwen3_vl"])
def test_resized_size_matches_the_real_processor(tiny_processors, family, size):
    from PIL import Image

    proc = tiny_processors[family]
    fam = get_family(family)
    assert proc.image_processor.patch_size == fam.patch_size  # qwen3_vl: 16
    grid = proc.image_processor(images=[Image.new("RGB", size)], return_tensors="pt")["image_grid_thw"][0]
    expected = (int(grid[2]) * fam.patch_size, int(grid[1]) * fam.patch_size)  # (width, height)
    fr = fam.frame(*size, processor=proc) if family == "qwen2_5_vl" else None
    if fr is not None:
        assert (fr.frame_width, fr.frame_height) == expected
        assert fr.to_pixels((0, 0, *expected)) == pytest.approx((0, 0, *size))
    from grit.families import budget_from_processor, resized_size

    assert resized_size(*size, budget_from_processor(proc)) == expected


def test_processor_kwargs_set_the_budget(tiny_processors, tmp_path):
    from transformers import AutoProcessor

    proc = tiny_processors["qwen2_5_vl"]
    proc.save_pretrained(tmp_path)
    kwargs = get_family("qwen2_5_vl").processor_kwargs(max_pixels=128 * 28 * 28)
    again = AutoProcessor.from_pretrained(tmp_path, **kwargs)
    from grit.families import budget_from_processor

    assert budget_from_processor(again) == PixelBudget(3136, 128 * 28 * 28, 14, 2)
