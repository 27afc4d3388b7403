"""benchmarks/demo_bounds.py: what a chain's own boxes say, against the toy world's truth."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "demo_bounds.py"
spec = importlib.util.spec_from_file_location("demo_bounds", SCRIPT)
demo_bounds = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo_bounds)

LEFT, RIGHT = [10, 10, 30, 30], [60, 10, 80, 30]


def spatial(boxes, reference="yes", score=1.0, question="Is the red square left of the blue circle?"):
    return {
        "question_type": "spatial",
        "question": question,
        "reference": reference,
        "boxes": boxes,
        "gt_boxes": [LEFT, RIGHT],
        "score": score,
    }


def counting(n_boxes, reference, score):
    return {
        "question_type": "count",
        "question": "How many red squares are there?",
        "reference": str(reference),
        "count_boxes": n_boxes,
        "count_consistent": str(n_boxes) == str(reference) if score else False,
        "boxes": [],
        "gt_boxes": [],
        "score": score,
    }


def test_spatial_boxes_read_follow_the_relation_and_their_order():
    assert demo_bounds.boxes_read_right(spatial([LEFT, RIGHT], "yes")) == 1.0
    assert demo_bounds.boxes_read_right(spatial([RIGHT, LEFT], "yes")) == 0.0  # swapped boxes say "no"
    assert (
        demo_bounds.boxes_read_right(
            spatial([LEFT, RIGHT], "no", question="Is the red square right of the blue circle?")
        )
        == 1.0
    )
    assert demo_bounds.boxes_read_right(spatial([LEFT, LEFT], "yes")) == 0.5  # one box twice says nothing
    assert demo_bounds.boxes_read_right(spatial([LEFT], "yes")) == 0.5


def test_pair_kinds():
    assert demo_bounds.pair_kind([LEFT, RIGHT], [LEFT, RIGHT]) == "in order"
    assert demo_bounds.pair_kind([RIGHT, LEFT, LEFT], [LEFT, RIGHT]) == "swapped"
    assert demo_bounds.pair_kind([RIGHT, [61, 11, 80, 30]], [LEFT, RIGHT]) == "same object twice"
    assert demo_bounds.pair_kind([[0, 90, 5, 100], RIGHT], [LEFT, RIGHT]) == "other"


def test_summary_separates_answers_from_what_the_boxes_say():
    rows = [
        counting(3, 3, 1.0),  # list right, answer follows it
        counting(2, 3, 1.0),  # answer right, list short
        spatial([LEFT, RIGHT], "yes", 0.0),  # boxes right, answer wrong
        spatial([RIGHT, LEFT], "yes", 1.0),  # boxes swapped, answer right
    ]
    rows[-1]["box_labels"] = ["blue circle", "red square"]
    rows[-2]["box_labels"] = [None, None]
    summary = demo_bounds.summarise(rows)
    assert summary["acc"] == 0.75
    assert summary["boxes_read"] == 0.5
    assert summary["count_right_length"] == 0.5
    assert summary["count_follows_list"] == 0.5
    assert summary["spatial_acc"] == 0.5 and summary["spatial_boxes_read"] == 0.5
    assert summary["pair_in order"] == 0.5 and summary["pair_swapped"] == 0.5
    assert summary["in_order_follows"] == 0.0  # the one right pair was answered wrongly
    assert summary["spatial_labelled"] == 0.5


def test_command_line_reads_demo_folders_and_names_bad_lines(tmp_path):
    demo = tmp_path / "demo"
    for stage in ("before", "after"):
        (demo / stage).mkdir(parents=True)
        rows = [counting(1, 1, 1.0), spatial([LEFT, RIGHT], "yes", 1.0)]
        (demo / stage / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(demo)], capture_output=True, text=True, check=True
    )
    assert "demo before" in done.stdout and "demo after" in done.stdout
    (demo / "after" / "predictions.jsonl").write_text('{"score": 1}\nnot json\n')
    with pytest.raises(ValueError, match="line 2"):
        demo_bounds.read_rows(demo / "after" / "predictions.jsonl")
    with pytest.raises(FileNotFoundError, match="grit demo folder"):
        demo_bounds.predictions_files(tmp_path / "empty")
