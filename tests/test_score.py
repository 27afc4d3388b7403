"""``grit score`` end to end: rewards, reasons, parts, pixel boxes, grounding IoU, bad rows."""

from __future__ import annotations

import json

import pytest

from grit.cli import main

ROWS = [
    {  # Qwen2.5-VL, resized-pixel frame; 2 chairs, right
        "question": "How many chairs are there?",
        "answer": "2",
        "image": "1.jpg",
        "width": 640,
        "height": 480,
        "bboxs": [[0, 0, 320, 240]],
        "dataset": "tallyqa",
        "completion": '<think> {"bbox_2d": [0, 0, 252, 182], "label": "chair"} and [300, 10, 400, 100] </think>'
        "<rethink> 2 chairs </rethink><answer> 2 </answer>",
    },
    {  # InternVL, 0-1000 frame, missing <rethink>
        "question": "Is the cat left of the dog?",
        "answer": "yes",
        "image": "2.jpg",
        "width": 1000,
        "height": 500,
        "bboxs": [[0, 0, 500, 250]],
        "dataset": "vsr",
        "family": "internvl",
        "completion": "<think><ref>cat</ref><box>[[0, 0, 500, 500]]</box></think><answer>yes</answer>",
    },
    {"question": "q", "answer": "1", "width": -3, "height": 10, "completion": "x"},
    {"question": "q", "answer": "1", "width": 3, "height": 10},
]


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "in.jsonl"
    lines = [
        json.dumps(ROWS[0] | {"family": "qwen2_5_vl"}),
        json.dumps(ROWS[1]),
        json.dumps(ROWS[2]),
        "{oops",
        json.dumps(ROWS[3]),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_score_end_to_end(data, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    assert main(["score", str(data), "-o", str(out)]) == 1  # bad rows -> exit 1, good rows still written
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 5]
    first, second = rows[0], rows[1]
    assert first["rewards"]["format"] == 1.5 and first["rewards"]["count"] == 0.5
    assert first["rewards"]["answer"] == pytest.approx(1.1)
    assert first["parts"]["answer"] == "2"
    assert first["checks"]["box_before_rethink"] == {"passed": True, "reason": "2 boxes before <rethink>"}
    # 640x480 resized to 504x364 for the authors' budget: model box [0,0,252,182] is the top-left quarter
    assert first["frame"] == {"kind": "resized_pixels", "width": 504.0, "height": 364.0}
    assert first["boxes"][0]["pixels"] == pytest.approx([0, 0, 320, 240], abs=0.01)
    assert first["boxes"][0]["label"] == "chair"
    assert 0 < first["grounding_iou"] < 1
    assert second["boxes"][0]["pixels"] == [0, 0, 500, 250] and second["grounding_iou"] == pytest.approx(1.0)
    assert second["checks"]["rethink"]["reason"] == "missing <rethink> and </rethink>"
    assert second["rewards"]["s_bf"] == 0.0
    assert rows[2]["error"] == "line 3: field 'family': missing (pass --family or add a 'family' field)"
    assert rows[3]["error"].startswith("line 4: not valid JSON")
    assert rows[4]["error"] == "line 5: field 'completion': missing"
    shown = capsys.readouterr().out
    assert "rows scored: 2   bad rows: 3" in shown and "grounding IoU" in shown
    assert "missing <rethink> and </rethink>" in shown


def test_score_family_flag_release_preset_and_no_overwrite(data, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    out.write_text("keep")
    assert main(["score", str(data), "-o", str(out)]) == 2
    assert out.read_text() == "keep"
    assert (
        main(
            ["score", str(data), "-o", str(out), "--overwrite", "--family", "qwen2_vl", "--preset", "release"]
        )
        == 1
    )
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert rows[0]["family"] == "qwen2_vl" and rows[0]["rewards"]["count"] == 1.0
    assert rows[2]["error"] == "line 3: field 'width': expected a positive number, got -3"
    assert rows[0]["rewards"]["answer_format"] == 0.5
