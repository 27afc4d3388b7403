"""``grit data synth`` and ``grit data validate`` end to end through ``grit.cli.main``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grit.cli import main


def test_synth_then_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "toy"
    rc = main(["data", "synth", "--n", "20", "--seed", "3", "--out", str(out), "--n-eval", "10",
               "--families", "count=1,spatial=1", "--relations", "left of", "--image-size", "112"])  # fmt: skip
    assert rc == 0
    text = capsys.readouterr().out
    assert "count answers: 0=2, 1=2, 2=2, 3=2, 4=2" in text and "spatial answers: no=5, yes=5" in text
    assert "wrote 30 rows" in text
    assert (out / "toy_train.jsonl").exists() and (out / "toy_eval" / "000000.png").exists()
    report = json.loads((out / "synth_report.json").read_text())
    assert report["config"]["image_size"] == 112 and report["eval"]["rows"] == 10

    assert main(["data", "validate", str(out)]) == 0
    text = capsys.readouterr().out
    assert "rows read: 30, kept: 30, skipped: 0" in text
    assert "toy_count=15" in text and "count=15" in text and "yes_no=15" in text
    assert "problems: none" in text

    # refuses to overwrite without --overwrite
    assert main(["data", "synth", "--n", "2", "--out", str(out)]) == 2
    assert "overwrite" in capsys.readouterr().err


def test_validate_reports_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    (tmp_path / "d").mkdir()
    Image.new("RGB", (20, 20)).save(tmp_path / "d" / "a.png")
    rows = [
        {
            "question": "How many?",
            "answer": "1",
            "image": "a.png",
            "width": 20,
            "height": 20,
            "bboxs": [[1, 1, 5, 5]],
        },
        {
            "question": "Where?",
            "answer": "x",
            "image": "a.png",
            "width": 20,
            "height": 20,
            "bboxs": [[1, 1, 50, 5]],
        },
    ]
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n")
    assert main(["data", "validate", str(path)]) == 1
    text = capsys.readouterr().out
    assert "rows read: 3, kept: 1, skipped: 2" in text and "rows with boxes: 1" in text
    assert f"{path}:2: field 'bboxs[0]'" in text and f"{path}:3: field 'json'" in text
    assert main(["data", "validate", "--json", str(path)]) == 1
    assert json.loads(capsys.readouterr().out)["skipped_by_reason"] == {"box_outside_image": 1, "bad_json": 1}


def test_data_without_subcommand_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data"]) == 2
    assert "synth" in capsys.readouterr().out
