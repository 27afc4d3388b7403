"""``grit compare DIR_A DIR_B``: metrics side by side with per-dataset differences."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grit.cli import main
from grit.evaluate.compare import compare_metrics, paired_accuracy


def _write(folder, metrics):
    folder.mkdir()
    (folder / "metrics.json").write_text(json.dumps({"metrics": metrics}))
    return folder


A = {"vsr": {"n": 10, "acc": 0.5, "giou": 0.2}, "overall": {"n": 10, "acc": 0.5, "giou": 0.2}}
B = {
    "vsr": {"n": 10, "acc": 0.7, "giou": 0.25},
    "tallyqa": {"n": 5, "acc": 0.4, "giou": None},
    "overall": {"n": 15, "acc": 0.6, "giou": 0.25},
}


def test_compare_metrics_differences():
    table = compare_metrics(A, B)
    assert list(table) == ["tallyqa", "vsr", "overall"]
    assert table["vsr"]["acc"]["diff"] == pytest.approx(0.2)
    assert table["vsr"]["giou"]["diff"] == pytest.approx(0.05)
    assert table["tallyqa"]["acc"] == {"a": None, "b": 0.4, "diff": None}
    assert table["overall"]["n"]["diff"] == 5


def test_compare_cli(tmp_path, capsys):
    a, b = _write(tmp_path / "a", A), _write(tmp_path / "b", B)
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    vsr = next(line for line in out.splitlines() if line.startswith("vsr"))
    assert "+0.200" in vsr and "0.500" in vsr and "0.700" in vsr
    assert main(["compare", str(a), str(b), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["vsr"]["acc"]["b"] == 0.7
    assert main(["compare", str(a), str(tmp_path / "missing")]) == 2
    assert "metrics.json" in capsys.readouterr().err


def _rows(folder, scores, dataset="vsr", skip=()):
    """A predictions.jsonl with one scored row per score (None: a judge failure)."""
    with (folder / "predictions.jsonl").open("w") as f:
        for i, score in enumerate(scores):
            row = {"id": f"q{i}", "dataset": dataset, "score": score}
            if i in skip:
                row["skipped"] = True
            f.write(json.dumps(row) + "\n")


def test_paired_accuracy_by_hand():
    a = {
        "1": {"score": 0.0, "dataset": "x"},
        "2": {"score": 1.0, "dataset": "x"},
        "3": {"score": 0.0, "dataset": "y"},
    }
    b = {
        "1": {"score": 1.0, "dataset": "x"},
        "2": {"score": 1.0, "dataset": "x"},
        "4": {"score": 1.0, "dataset": "y"},
    }
    table = paired_accuracy(a, b)
    assert list(table) == ["x", "overall"]  # "3" and "4" are not shared, so y has no paired row
    cell = table["x"]
    assert (cell["n"], cell["a"], cell["b"], cell["diff"]) == (2, 0.5, 1.0, 0.5)
    # differences (1, 0): sample sd 0.7071, s.e. 0.5
    assert cell["stderr"] == pytest.approx(0.5)
    assert cell["ci95"] == pytest.approx([0.5 - 1.959964 * 0.5, 0.5 + 1.959964 * 0.5])
    assert paired_accuracy(a, {}) == {}


@given(st.lists(st.tuples(st.sampled_from([0.0, 1.0]), st.sampled_from([0.0, 1.0])), min_size=2, max_size=60))
def test_paired_accuracy_matches_the_unpaired_means(pairs):
    a = {str(i): {"score": x, "dataset": "d"} for i, (x, _) in enumerate(pairs)}
    b = {str(i): {"score": y, "dataset": "d"} for i, (_, y) in enumerate(pairs)}
    cell = paired_accuracy(a, b)["overall"]
    assert cell["n"] == len(pairs)
    assert cell["diff"] == pytest.approx(
        sum(y for _, y in pairs) / len(pairs) - sum(x for x, _ in pairs) / len(pairs)
    )
    assert cell["ci95"][0] <= cell["diff"] <= cell["ci95"][1]
    if len({y - x for x, y in pairs}) == 1:  # every question moved the same way: no uncertainty
        assert cell["stderr"] == pytest.approx(0.0)


def test_compare_cli_pairs_shared_questions(tmp_path, capsys):
    a, b = _write(tmp_path / "a", A), _write(tmp_path / "b", B)
    _rows(a, [0.0, 0.0, 1.0, None, 0.0])
    _rows(b, [1.0, 0.0, 1.0, 1.0, 1.0], skip={4})
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "paired by question" in out
    # q3 has no score in A and q4 is skipped in B: three questions are paired
    line = next(
        x
        for x in out.splitlines()[
            out.splitlines().index("accuracy on the questions both scored, paired by question (B - A):") :
        ]
        if x.startswith("overall")
    )
    assert line.split()[1:5] == ["3", "0.333", "0.667", "+0.333"]
    assert main(["compare", str(a), str(b), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["overall"]["acc_paired"]["n"] == 3


def test_compare_cli_without_predictions_prints_no_paired_block(tmp_path, capsys):
    a, b = _write(tmp_path / "a", A), _write(tmp_path / "b", B)
    assert main(["compare", str(a), str(b)]) == 0
    assert "paired" not in capsys.readouterr().out
