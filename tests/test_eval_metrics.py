"""Metrics on hand-written completions: every number checked against a value worked out by hand."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grit.boxes import union_area, union_iou, union_iou_batch
from grit.chain import parse_chain
from grit.evaluate import PredictionsWriter, build_record, compute_metrics, format_table, read_predictions
from grit.evaluate.predictions import SettingsMismatchError, prepare_out_dir
from grit.evaluate.records import judge_rows, stated_count
from grit.judges import AutoJudge, Judgment


def _identity(boxes, size):
    return [list(b) for b in boxes]


class _FlakyJudge:
    """The auto judge, except that it fails (None) on the answer "maybe"."""

    name = "flaky"

    def judge_batch(self, requests):
        inner = AutoJudge()
        return [
            Judgment(None, "judge outage") if r.prediction == "maybe" else inner.judge_batch([r])[0]
            for r in requests
        ]


def _row(i, dataset, question, answer, qtype, gt):
    return {
        "id": f"{dataset}:{i}",
        "dataset": dataset,
        "question": question,
        "answer": answer,
        "question_type": qtype,
        "gt_boxes": gt,
        "image_width": 100,
        "image_height": 100,
        "image_path": "",
    }


B = '{{"bbox_2d": [{}], "label": "x"}}'

CASES = [
    # (row, completion)
    (
        _row(1, "vsr", "Is the cat left of the dog?", "yes", "yes_no", [[0, 0, 10, 10]]),
        f"<think> The cat {B.format('0, 0, 10, 10')} is left. </think> <rethink> yes </rethink> <answer> yes </answer>",
    ),
    (
        _row(2, "vsr", "Is the cat above the dog?", "no", "yes_no", [[0, 0, 10, 10]]),
        "<think> cat [5, 0, 15, 10] </think> <rethink> it is </rethink> <answer> yes </answer>",
    ),
    (
        _row(3, "vsr", "Is the cup on the table?", "no", "yes_no", []),
        "<think> [1, 2, 3, 4] </think> <answer> no </answer>",
    ),
    (
        _row(7, "vsr", "Is the bird near the car?", "yes", "yes_no", []),
        "<think> [0, 0, 5, 5] </think> <rethink> hmm </rethink> <answer> maybe </answer>",
    ),
    (
        _row(4, "tallyqa", "How many dogs are there?", "2", "count", [[0, 0, 10, 10], [20, 0, 30, 10]]),
        "<think> dog 1 (0, 0, 10, 10) and dog 2 (20, 0, 30, 10) </think> <rethink> two </rethink> <answer> 2 </answer>",
    ),
    (
        _row(5, "tallyqa", "How many cats are there?", "3", "count", [[0, 0, 10, 10]]),
        "<think> a cat [0, 0, 10, 20] </think> <rethink> one more? </rethink> <answer> There are 2 cats. </answer>",
    ),
    (
        _row(6, "tallyqa", "How many birds are there?", "1", "count", [[50, 50, 60, 60]]),
        "I don't know",
    ),
    (
        _row(8, "gqa", "Which side is the lamp on?", "left", "open", [[0, 0, 10, 10], [5, 0, 15, 10]]),
        "<think> lamp [0, 0, 10, 10] and [10, 0, 15, 10] </think> <rethink> left </rethink> <answer> left </answer>",
    ),
]

EXPECTED = {
    "vsr": {
        "n": 4,
        "acc": 2 / 3,
        "n_scored": 3,
        "judge_failures": 1,
        "giou": (1 + 1 / 3) / 2,
        "n_giou": 2,
        "grounded_rate": 3 / 4,
        "count_consistency": None,
        "n_count": 0,
        "boxes_per_answer": 1.0,
        "skipped": 0,
    },
    "tallyqa": {
        "n": 3,
        "acc": 1 / 3,
        "n_scored": 3,
        "judge_failures": 0,
        "giou": (1 + 0.5 + 0) / 3,
        "n_giou": 3,
        "grounded_rate": 2 / 3,
        "count_consistency": 1 / 3,
        "n_count": 3,
        "boxes_per_answer": 1.0,
        "skipped": 0,
    },
    "gqa": {
        "n": 1,
        "acc": 1.0,
        "n_scored": 1,
        "judge_failures": 0,
        "giou": 1.0,
        "n_giou": 1,
        "grounded_rate": 1.0,
        "count_consistency": None,
        "n_count": 0,
        "boxes_per_answer": 2.0,
        "skipped": 0,
    },
}


def _records():
    rows = [r for r, _ in CASES]
    chains = [parse_chain(c) for _, c in CASES]
    verdicts = judge_rows(_FlakyJudge(), rows, chains, "grit")
    return [build_record(r, c, v, _identity) for (r, c), v in zip(CASES, verdicts, strict=False)]


def _close(actual, expected):
    for key, want in expected.items():
        got = actual[key]
        if want is None:
            assert got is None, key
        else:
            assert got == pytest.approx(want), key


def test_metrics_on_known_completions():
    metrics = compute_metrics(_records())
    assert list(metrics) == ["gqa", "tallyqa", "vsr", "overall"]
    for name, expected in EXPECTED.items():
        _close(metrics[name], expected)
    overall = metrics["overall"]
    assert overall["n"] == 8
    assert overall["acc"] == pytest.approx(4 / 7)  # 4 right of 7 scored
    assert overall["judge_failures"] == 1
    assert overall["giou"] == pytest.approx((1 + 1 / 3 + 1 + 0.5 + 0 + 1) / 6)
    assert overall["grounded_rate"] == pytest.approx(6 / 8)
    assert overall["count_consistency"] == pytest.approx(1 / 3)
    table = format_table(metrics)
    assert table.splitlines()[0].split()[:3] == ["dataset", "n", "ACC"]
    assert "overall" in table.splitlines()[-1]


def test_record_fields():
    records = {r["id"]: r for r in _records()}
    r = records["vsr:1"]
    assert r["boxes"] == [[0, 0, 10, 10]] and r["box_labels"] == ["x"] and r["grounded"] is True
    assert r["score"] == 1.0 and r["iou"] == 1.0
    assert records["vsr:7"]["score"] is None and records["vsr:7"]["reason"] == "judge outage"
    assert records["tallyqa:5"]["count_stated"] == 2 and records["tallyqa:5"]["count_boxes"] == 1
    assert records["tallyqa:6"]["reason"] == "no <answer> in the completion"
    assert records["tallyqa:6"]["score"] == 0.0


def test_metrics_from_file_equal_metrics_in_memory(tmp_path):
    records = _records()
    with PredictionsWriter(tmp_path) as writer:
        writer.write_many(records)
        writer.write_many(records[:2])  # already done: not written twice
    assert compute_metrics(read_predictions(tmp_path / "predictions.jsonl")) == compute_metrics(records)
    assert len((tmp_path / "predictions.jsonl").read_text().splitlines()) == len(records)


def test_truncated_last_line_is_cut_and_rewritten(tmp_path):
    records = _records()
    with PredictionsWriter(tmp_path) as writer:
        writer.write_many(records[:3])
    path = tmp_path / "predictions.jsonl"
    with path.open("a") as f:
        f.write(json.dumps(records[3])[:40])  # a kill in the middle of a line
    assert len(read_predictions(path)) == 3
    with PredictionsWriter(tmp_path) as writer:
        assert len(writer.done) == 3
        writer.write_many(records)
    ids = [json.loads(line)["id"] for line in path.read_text().splitlines()]
    assert sorted(ids) == sorted(r["id"] for r in records)


def test_settings_mismatch_refused_then_set_aside(tmp_path):
    prepare_out_dir(tmp_path, {"model": "a"})
    (tmp_path / "predictions.jsonl").write_text('{"id": "x"}\n')
    prepare_out_dir(tmp_path, {"model": "a"})  # same settings: resume
    with pytest.raises(SettingsMismatchError, match="model"):
        prepare_out_dir(tmp_path, {"model": "b"})
    prepare_out_dir(tmp_path, {"model": "b"}, overwrite=True)
    aside = sorted(p.name for p in tmp_path.iterdir() if ".old-" in p.name)
    assert any(n.startswith("predictions.jsonl.old-") for n in aside)
    assert not (tmp_path / "predictions.jsonl").exists()


def test_stated_count_ignores_numbers_inside_boxes():
    assert stated_count("There are 3 cats [1, 2, 30, 40]") == 3
    assert stated_count("three") == 3
    assert stated_count("2 or 3") is None
    assert stated_count(None) is None


def test_union_iou_examples():
    assert union_iou([[0, 0, 10, 10]], [[0, 0, 10, 10]]) == 1.0
    assert union_iou([[0, 0, 10, 10]], [[5, 0, 15, 10]]) == pytest.approx(1 / 3)
    assert union_iou([], [[0, 0, 1, 1]]) == 0.0
    # union of regions, not a matching: two halves equal one whole
    assert union_iou([[0, 0, 5, 10], [5, 0, 10, 10]], [[0, 0, 10, 10]]) == pytest.approx(1.0)
    # overlapping predictions are not counted twice
    assert union_iou([[0, 0, 10, 10], [0, 0, 10, 10]], [[0, 0, 10, 10]]) == pytest.approx(1.0)
    assert union_area([[0, 0, 10, 10], [5, 5, 15, 15], [2, 2, 3, 1]]) == pytest.approx(175)


_box = st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(1, 6), st.integers(1, 6)).map(
    lambda t: [t[0], t[1], t[0] + t[2], t[1] + t[3]]
)


def _cells(boxes):
    return {(x, y) for x1, y1, x2, y2 in boxes for x in range(x1, x2) for y in range(y1, y2)}


@settings(max_examples=200, deadline=None)
@given(st.lists(_box, min_size=1, max_size=5), st.lists(_box, min_size=1, max_size=5))
def test_union_iou_matches_rasterised_grid(pred, gt):
    a, b = _cells(pred), _cells(gt)
    assert union_area(pred) == pytest.approx(len(a))
    assert union_iou(pred, gt) == pytest.approx(len(a & b) / len(a | b))
    assert union_iou(pred, gt) == pytest.approx(union_iou(gt, pred))
    assert union_iou_batch([(pred, gt), (gt, pred), ([], gt)]) == pytest.approx(
        [len(a & b) / len(a | b)] * 2 + [0]
    )
