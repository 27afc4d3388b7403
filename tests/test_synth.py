"""The synthetic toy world: exact boxes, balance, determinism, split separation, loadability."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from grit.data import detect_question_type, load_grit_jsonl
from grit.data.synth import COLOURS, Scene, SynthConfig, generate, render_scene


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("toy")
    return generate(120, 7, out, n_eval=60)


def rows_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_boxes_are_exact_by_rerendering_masks(toy: dict) -> None:
    for split in ("train", "eval"):
        path = toy[split]
        for row in rows_of(path):
            scene = Scene.from_json(row["scene"])
            image, labels = render_scene(scene)
            png = np.asarray(Image.open(path.with_suffix("") / row["image"]).convert("RGB"))
            assert np.array_equal(np.asarray(image), png), "the scene spec re-renders the PNG pixel for pixel"
            lab = np.asarray(labels)
            for k, box in enumerate(row["object_boxes"]):
                ys, xs = np.nonzero(lab == k + 1)
                assert box == [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]
            for box in row["bboxs"]:
                assert box in row["object_boxes"]


def test_boxes_are_tight_on_the_png_itself(toy: dict) -> None:
    """Independent of the renderer: every pixel of an object colour lies in a box of that colour,
    and each box touches its colour on all four sides."""
    for row in rows_of(toy["train"])[:60]:
        png = np.asarray(Image.open(toy["train"].with_suffix("") / row["image"]).convert("RGB"))
        objects = row["scene"]["objects"]
        for colour in {o["colour"] for o in objects}:
            mask = np.all(png == np.array(COLOURS[colour], np.uint8), axis=-1)
            covered = np.zeros_like(mask)
            for o, box in zip(objects, row["object_boxes"], strict=True):
                if o["colour"] != colour:
                    continue
                x1, y1, x2, y2 = (int(v) for v in box)
                covered[y1:y2, x1:x2] = True
                inside = mask[y1:y2, x1:x2]
                assert inside[0].any() and inside[-1].any() and inside[:, 0].any() and inside[:, -1].any()
            assert not (mask & ~covered).any()


def test_questions_match_their_boxes_and_answers(toy: dict) -> None:
    for row in rows_of(toy["train"]) + rows_of(toy["eval"]):
        fam, answer, boxes = row["family"], row["answer"], row["bboxs"]
        assert detect_question_type(row["question"], answer).value == row["question_type"]
        if fam == "count":
            assert len(boxes) == int(answer)
        elif fam == "existence":
            assert bool(boxes) == (answer == "yes")
        elif fam == "spatial":
            assert len(boxes) == 2
        elif fam == "where":
            assert len(boxes) == 1 and json.loads(answer) == [int(v) for v in boxes[0]]
        else:
            assert len(boxes) == 1


def test_spatial_answers_are_unambiguous(toy: dict) -> None:
    side, margin = 224, 0.05 * 224
    for row in rows_of(toy["train"]):
        if row["family"] != "spatial":
            continue
        (a, b), rel = row["bboxs"], row["meta"]["relation"]
        truth = {
            "left of": a[2] + margin <= b[0],
            "right of": a[0] >= b[2] + margin,
            "above": a[3] + margin <= b[1],
            "below": a[1] >= b[3] + margin,
        }
        if rel in truth:
            opposite = {"left of": "right of", "right of": "left of", "above": "below", "below": "above"}[rel]
            assert truth[rel] == (row["answer"] == "yes")
            assert truth[opposite] == (row["answer"] == "no")
        else:
            gap = np.hypot(
                max(0, max(a[0], b[0]) - min(a[2], b[2])), max(0, max(a[1], b[1]) - min(a[3], b[3]))
            )
            assert (gap <= 0.06 * side) if row["answer"] == "yes" else (gap >= 0.3 * side)


def test_balance_of_answers_and_splits(toy: dict) -> None:
    report = toy["report"]
    train, ev = report["train"], report["eval"]
    assert train["families"] == {"count": 36, "spatial": 36, "existence": 18, "attribute": 12, "where": 18}
    assert set(train["answers"]["count"].values()) == {36 // 5, 36 // 5 + 1}
    assert sorted(train["answers"]["count"]) == ["0", "1", "2", "3", "4"]
    assert sorted(ev["answers"]["count"]) == [str(i) for i in range(10)]
    assert train["answers"]["spatial"] == {"no": 18, "yes": 18}
    assert train["answers"]["existence"] == {"no": 9, "yes": 9}
    assert json.loads((toy["train"].parent / "synth_report.json").read_text())["train"] == train


def test_paper_style_demo_set_is_exactly_balanced(tmp_path: Path) -> None:
    cfg = SynthConfig(families={"count": 1, "spatial": 1}, relations=("left of",))
    result = generate(20, 3, tmp_path, config=cfg)
    rows = rows_of(result["train"])
    counts = Counter(r["answer"] for r in rows if r["family"] == "count")
    assert counts == {str(i): 2 for i in range(5)}
    assert Counter(r["answer"] for r in rows if r["family"] == "spatial") == {"yes": 5, "no": 5}


def test_deterministic_and_train_eval_scenes_differ(toy: dict, tmp_path: Path) -> None:
    again = generate(120, 7, tmp_path, n_eval=60)
    assert again["train"].read_text() == toy["train"].read_text()
    assert again["eval"].read_text() == toy["eval"].read_text()
    a = (toy["train"].with_suffix("") / "000005.png").read_bytes()
    assert (again["train"].with_suffix("") / "000005.png").read_bytes() == a
    train_scenes = {json.dumps(r["scene"]["objects"]) for r in rows_of(toy["train"])}
    assert not train_scenes & {json.dumps(r["scene"]["objects"]) for r in rows_of(toy["eval"])}
    other = generate(120, 8, tmp_path / "other")
    assert other["train"].read_text() != toy["train"].read_text()


def test_objects_are_big_and_colours_distinct_from_backgrounds(toy: dict) -> None:
    for row in rows_of(toy["train"]):
        for o in row["scene"]["objects"]:
            assert o["size"] >= 224 / 8
    for name, rgb in COLOURS.items():
        assert min(rgb) <= 80, name  # every object colour is saturated or dark; backgrounds are light


def test_refuses_to_overwrite(toy: dict) -> None:
    with pytest.raises(FileExistsError, match="overwrite"):
        generate(5, 7, toy["train"].parent)


def test_loader_reads_the_toy_world(toy: dict) -> None:
    ds, report = load_grit_jsonl([toy["train"], toy["eval"]])
    assert len(ds) == 180 and report.rows_skipped == 0
    assert set(ds["dataset"]) == {"toy_count", "toy_spatial", "toy_existence", "toy_attribute", "toy_where"}
    assert ds[0]["image"].size == (224, 224)


@pytest.mark.parametrize(("size", "grid"), [(112, 0), (224, 28)])
def test_other_image_sizes_and_grid(tmp_path: Path, size: int, grid: int) -> None:
    cfg = SynthConfig(grid=grid, min_object_frac=0.25, max_object_frac=0.4)
    result = generate(15, 1, tmp_path, config=cfg, image_size=size)
    assert result["report"]["config"]["image_size"] == size
    for row in rows_of(result["train"]):
        for o in row["scene"]["objects"]:
            assert o["size"] >= 0.25 * size - 1
            if grid:
                assert o["x"] % grid == 0 and o["y"] % grid == 0


def test_config_errors() -> None:
    with pytest.raises(ValueError, match="unknown colours"):
        SynthConfig(colours=("red", "teal"))
    with pytest.raises(ValueError, match="count_range"):
        SynthConfig(count_range=(3, 1))
