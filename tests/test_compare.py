"""``grit compare DIR_A DIR_B``: metrics side by side with per-dataset differences."""

from __future__ import annotations

import json

import pytest

from grit.cli import main
from grit.evaluate.compare import compare_metrics


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
