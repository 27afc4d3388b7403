"""Cross-modal correlation (PAPER.md §6): chain boxes vs random boxes, judged by a multimodal judge."""

from __future__ import annotations

import json

import pytest
from PIL import Image, ImageChops

from grit.cli import main
from grit.draw import draw_boxes
from grit.evaluate.crossmodal import cross_modal_correlation, parse_pick, random_boxes, text_without_boxes
from grit.judges.fake_server import FakeOpenAIServer

IMAGE = Image.new("RGB", (64, 48), (240, 240, 240))


def _records():
    out = []
    for i, dataset in enumerate(["vsr", "vsr", "gqa", "gqa", "gqa"]):
        box = [4 + i, 4, 30 + i, 30]
        out.append(
            {
                "id": str(i),
                "dataset": dataset,
                "completion": f'<think> the cup {{"bbox_2d": [{", ".join(map(str, box))}]}} is here </think>',
                "boxes": [box],
            }
        )
    out.append({"id": "nobox", "dataset": "vsr", "completion": "<think> none </think>", "boxes": []})
    return out


def test_oracle_judge_scores_one_and_random_order():
    records = _records()
    judge = _Oracle()
    result = cross_modal_correlation(records, lambda r: IMAGE, judge, repeats=3, seed=1)
    assert result["overall"]["mean"] == 1.0 and result["overall"]["std"] == 0.0
    assert result["overall"]["n"] == 5 and result["overall"]["per_repeat"] == [1.0, 1.0, 1.0]
    assert set(result) == {"vsr", "gqa", "overall"}
    assert {len(q.parts) for q in judge.queries} == {5}
    # the chain text reaches the judge without its boxes
    assert all("bbox_2d" not in q.parts[4] and "[4" not in q.parts[4] for q in judge.queries)


class _Oracle:
    """Picks the image equal to one of the chains' own drawings."""

    def __init__(self):
        self.queries = []
        self.real = [draw_boxes(IMAGE, r["boxes"]) for r in _records() if r["boxes"]]

    def ask_batch(self, queries, parse):
        out = []
        for q in queries:
            self.queries.append(q)
            first = q.parts[1]
            is_real = any(ImageChops.difference(first, real).getbbox() is None for real in self.real)
            out.append(1 if is_real else 2)
        return out


def test_helpers():
    assert parse_pick("Image 2") == 2 and parse_pick("1") == 1 and parse_pick("neither") is None
    import random

    boxes = random_boxes(random.Random(0), [[0, 0, 10, 20], [5, 5, 70, 70]], 64, 48)
    assert [round(b[2] - b[0]) for b in boxes] == [10, 64]
    assert all(b[0] >= 0 and b[2] <= 64 and b[1] >= 0 and b[3] <= 48 for b in boxes)
    assert text_without_boxes('<think> a {"bbox_2d": [1, 2, 3, 4]} b </think>') == "a {} b"


@pytest.mark.slow
def test_cross_modal_flag_through_the_cli(tiny_model_dir, tmp_path, monkeypatch):
    assert (
        main(["data", "synth", "--n", "2", "--n-eval", "6", "--image-size", "64", "--out", str(tmp_path)])
        == 0
    )
    rows = [json.loads(x) for x in (tmp_path / "toy_eval.jsonl").read_text().splitlines()]
    completions = tmp_path / "c.jsonl"
    completions.write_text(
        "".join(
            json.dumps({"id": f"toy_eval:{i:06d}", "completion": "<think> it [100, 100, 500, 500] </think> "
                        f"<rethink> ok </rethink> <answer> {r['answer']} </answer>"}) + "\n"
            for i, r in enumerate(rows)
        )
    )  # fmt: skip
    monkeypatch.setenv("GRIT_TEST_JUDGE_KEY", "sk-test")
    with FakeOpenAIServer(reply_fn=lambda body: "1") as server:
        code = main(
            ["eval", "--model", str(tiny_model_dir("qwen2_vl")), "--data", str(tmp_path / "toy_eval.jsonl"),
             "--out", str(tmp_path / "run"), "--completions", str(completions), "--no-progress", "--cross-modal",
             "--judge_base_url", server.base_url, "--judge_api_key_env", "GRIT_TEST_JUDGE_KEY", "--judge_no_cache"]
        )  # fmt: skip
        multimodal = [b for b in server.bodies if any(isinstance(m["content"], list) for m in b["messages"])]
    assert code == 0
    cm = json.loads((tmp_path / "run" / "metrics.json").read_text())["cross_modal"]["overall"]
    assert cm["n"] == 6 and len(cm["per_repeat"]) == 3 and 0.0 <= cm["mean"] <= 1.0
    assert len(multimodal) == 18  # 6 chains x 3 repeats, two images each
    parts = multimodal[0]["messages"][0]["content"]
    assert sum(p["type"] == "image_url" for p in parts) == 2
    assert "cross-modal" in (tmp_path / "run" / "report.html").read_text()
