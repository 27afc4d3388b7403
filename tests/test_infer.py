"""``grit infer`` and ``grit.evaluate.infer``: the chain printed, boxes in pixels, the picture written."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from grit.cli import main
from grit.draw import PALETTE
from grit.evaluate.infer import Inferencer


class _FixedBackend:
    """Answers every question with one known chain (Qwen2-VL frame: 0-1000)."""

    model_type = "qwen2_vl"
    processor = None

    def __init__(self, completion: str):
        self.completion = completion

    def generate(self, prompts, images):
        assert len(prompts) == len(images) == 1
        return [self.completion]


def test_inferencer_maps_boxes_to_pixels_and_draws_them(tmp_path):
    image = Image.new("RGB", (200, 100), "white")
    completion = (
        '<think> the dog {"bbox_2d": [100, 200, 500, 600], "label": "dog"} \x1b[2J</think> '
        "<rethink> yes </rethink> <answer> one </answer>"
    )
    runner = Inferencer("unused", backend=_FixedBackend(completion))
    result = runner(image, "How many dogs?")
    assert result.answer == "one"
    assert result.boxes == [pytest.approx([20, 20, 100, 60])]
    r, g, b = (int(PALETTE[0][k : k + 2], 16) for k in (1, 3, 5))
    assert result.image.getpixel((60, 60)) == (r, g, b)  # bottom edge of box 1 in its colour
    assert result.image.size == image.size
    text = result.terminal_text(color=False)
    assert "\x1b" not in text and "[1]" in text


@pytest.mark.slow
def test_grit_infer_cli_writes_the_picture(tiny_model_dir, tmp_path, capsys):
    image = tmp_path / "scene.png"
    Image.new("RGB", (120, 90), (200, 220, 240)).save(image)
    out = tmp_path / "annotated.png"
    args = ["infer", "--model", str(tiny_model_dir("qwen2_5_vl")), "--image", str(image)]
    assert main([*args, "--question", "How many circles?", "--out", str(out), "--max-new-tokens", "8"]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed and "answer:" in printed
    with Image.open(out) as im:
        assert im.size == (120, 90)
    assert main([*args, "--question", "Where?", "--max-new-tokens", "4", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(payload) >= {"completion", "answer", "boxes", "image"}
    assert (tmp_path / "scene.grit.png").exists()


def test_grit_infer_missing_image(tmp_path, capsys):
    assert main(["infer", "--model", "m", "--image", str(tmp_path / "nope.png"), "--question", "q"]) == 2
    assert "no such image" in capsys.readouterr().err
