"""``grit eval`` end to end through the CLI on tiny models and a synthetic benchmark."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grit.cli import main
from grit.judges.fake_server import FakeOpenAIServer

FAMILIES = ["qwen2_5_vl", "qwen2_vl", "qwen3_vl", "internvl"]


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Path:
    """A 12-row synthetic benchmark (96 px images) with exact boxes."""
    out = tmp_path_factory.mktemp("toy")
    assert (
        main(["data", "synth", "--n", "12", "--n-eval", "12", "--image-size", "96", "--out", str(out)]) == 0
    )
    return out / "toy_eval.jsonl"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _eval(model, data, out, *extra) -> int:
    args = ["eval", "--model", str(model), "--data", str(data), "--out", str(out), "--no-progress"]
    return main([*args, "--max-new-tokens", "8", "--batch-size", "6", *extra])


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_eval_each_family_then_resume(family, toy, tiny_model_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert _eval(tiny_model_dir(family), toy, out) == 0
    printed = capsys.readouterr().out
    assert "overall" in printed and "ACC" in printed
    rows = _rows(out / "predictions.jsonl")
    assert len(rows) == 12 and len({r["id"] for r in rows}) == 12
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["metrics"]["overall"]["n"] == 12
    assert set(metrics["metrics"]) >= {"overall", "toy_count"}
    assert (out / "report.html").stat().st_size > 1000
    # same command again: nothing regenerated, same metrics
    assert _eval(tiny_model_dir(family), toy, out) == 0
    assert "0 new rows" in capsys.readouterr().out
    assert _rows(out / "predictions.jsonl") == rows
    assert json.loads((out / "metrics.json").read_text())["metrics"] == metrics["metrics"]


def _known_completions(toy: Path, path: Path) -> list[dict]:
    """A perfect chain per row for a 0-1000 family: every gt box, the reference as the answer."""
    lines = []
    rows = _rows(toy)
    for i, row in enumerate(rows):
        w, h = row["width"], row["height"]
        boxes = row["bboxs"] or [[0, 0, w, h]]
        text = " and ".join(
            f'{{"bbox_2d": [{round(b[0] * 1000 / w)}, {round(b[1] * 1000 / h)}, '
            f'{round(b[2] * 1000 / w)}, {round(b[3] * 1000 / h)}], "label": "thing"}}'
            for b in boxes
        )
        lines.append(
            {
                "id": f"toy_eval:{i:06d}",
                "completion": f"<think> I see {text}. </think> "
                f"<rethink> checked </rethink> <answer> {row['answer']} </answer>",
            }
        )
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return rows


@pytest.mark.slow
def test_known_completions_through_the_cli(toy, tiny_model_dir, tmp_path):
    completions = tmp_path / "completions.jsonl"
    rows = _known_completions(toy, completions)
    out = tmp_path / "known"
    assert _eval(tiny_model_dir("qwen2_vl"), toy, out, "--completions", str(completions)) == 0
    overall = json.loads((out / "metrics.json").read_text())["metrics"]["overall"]
    assert overall["acc"] == 1.0 and overall["judge_failures"] == 0
    assert overall["grounded_rate"] == 1.0
    assert overall["giou"] > 0.97  # 0-1000 integer rounding of a 96 px image
    assert overall["n_giou"] == sum(1 for r in rows if r["bboxs"])
    counts = [
        r for r in rows if r.get("question_type", "") == "count" or r["question"].startswith("How many")
    ]
    if counts:
        want = sum(int(r["answer"]) == max(1, len(r["bboxs"])) for r in counts) / len(counts)
        assert overall["count_consistency"] == pytest.approx(want)
    preds = {p["id"]: p for p in _rows(out / "predictions.jsonl")}
    first = preds["toy_eval:000000"]
    for got, want in zip(first["boxes"], rows[0]["bboxs"], strict=True):
        assert got == pytest.approx(want, abs=0.1)


@pytest.mark.slow
def test_judge_outage_gives_counted_none_scores(toy, tiny_model_dir, tmp_path, monkeypatch):
    completions = tmp_path / "completions.jsonl"
    _known_completions(toy, completions)
    monkeypatch.setenv("GRIT_TEST_JUDGE_KEY", "sk-test")
    with FakeOpenAIServer(default_action="500") as server:
        code = _eval(
            tiny_model_dir("qwen2_vl"), toy, tmp_path / "outage", "--completions", str(completions),
            "--judge", "llm", "--judge_base_url", server.base_url, "--judge_api_key_env", "GRIT_TEST_JUDGE_KEY",
            "--judge_max_retries", "0", "--judge_no_cache", "--judge_timeout", "5",
        )  # fmt: skip
    assert code == 0
    overall = json.loads((tmp_path / "outage" / "metrics.json").read_text())["metrics"]["overall"]
    assert overall["judge_failures"] == 12 and overall["acc"] is None and overall["n"] == 12
    assert all(r["score"] is None for r in _rows(tmp_path / "outage" / "predictions.jsonl"))


@pytest.mark.slow
def test_unreadable_image_follows_the_data_policy(toy, tiny_model_dir, tmp_path, capsys):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(toy.parent / "toy_eval", data / "toy_eval")
    shutil.copy(toy, data / "toy_eval.jsonl")
    (data / "toy_eval" / "000003.png").write_bytes(b"not a png")
    model = tiny_model_dir("qwen2_vl")
    assert _eval(model, data / "toy_eval.jsonl", tmp_path / "strict") == 2
    assert "000003.png" in capsys.readouterr().err
    # skipped at load (the image is checked when the data is read)
    assert _eval(model, data / "toy_eval.jsonl", tmp_path / "skip", "--data-policy", "skip") == 0
    metrics = json.loads((tmp_path / "skip" / "metrics.json").read_text())
    assert metrics["metrics"]["overall"]["n"] == 11 and metrics["data"]["rows_skipped_at_load"] == 1
    # not checked at load: skipped at generation, recorded once, counted
    args = ("--data-policy", "skip", "--image-check", "none")
    assert _eval(model, data / "toy_eval.jsonl", tmp_path / "late", *args) == 0
    metrics = json.loads((tmp_path / "late" / "metrics.json").read_text())
    assert metrics["metrics"]["overall"]["skipped"] == 1 and metrics["metrics"]["overall"]["n"] == 11
    assert len(_rows(tmp_path / "late" / "predictions.jsonl")) == 12


@pytest.mark.slow
def test_other_settings_are_refused_then_set_aside(toy, tiny_model_dir, tmp_path, capsys):
    model = tiny_model_dir("qwen2_vl")
    out = tmp_path / "run"
    assert _eval(model, toy, out, "--limit", "1") == 0
    assert _eval(model, toy, out, "--limit", "1", "--prompt-mode", "direct") == 2
    assert "other settings" in capsys.readouterr().err
    assert _eval(model, toy, out, "--limit", "1", "--prompt-mode", "direct", "--overwrite") == 0
    assert any(p.name.startswith("predictions.jsonl.old-") for p in out.iterdir())


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_gives_every_row_once(toy, tiny_model_dir, tmp_path):
    model = tiny_model_dir("qwen2_5_vl")
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "grit", "eval", "--model", str(model), "--data", str(toy), "--out", str(out),
           "--no-progress", "--batch-size", "1", "--max-new-tokens", "96", "--no-stop-at-answer"]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    predictions = out / "predictions.jsonl"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if predictions.exists() and predictions.read_text().count("\n") >= 2:
                break
            time.sleep(0.02)
        killed_mid_run = proc.poll() is None
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    written = predictions.read_text().count("\n")
    assert written >= 2, "the run wrote nothing before the deadline"
    if killed_mid_run:
        assert written < 12
    assert killed_mid_run, "the run finished before it could be killed; make it longer"
    with predictions.open("a") as f:
        f.write('{"id": "toy_eval:0000')  # as if killed in the middle of a write
    rerun = ["--batch-size", "1", "--max-new-tokens", "96", "--no-stop-at-answer"]
    assert (
        main(["eval", "--model", str(model), "--data", str(toy), "--out", str(out), "--no-progress", *rerun])
        == 0
    )
    ids = [r["id"] for r in _rows(predictions)]
    assert sorted(ids) == [f"toy_eval:{i:06d}" for i in range(12)]
