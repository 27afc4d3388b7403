"""``grit train`` end to end on tiny models: config, safety, rollouts, checkpoints, recipes, resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from grit.cli import main

REPO = Path(__file__).resolve().parents[1]
RECIPES = REPO / "recipes"

# Settings that make any recipe run in seconds on a tiny model on CPU.
TINY_RUN = [
    "--use_cpu", "true", "--bf16", "false", "--gradient_checkpointing", "false",
    "--judge", "auto", "--report_to", "none", "--per_device_train_batch_size", "4",
    "--gradient_accumulation_steps", "1", "--max_completion_length", "24",
    "--logging_steps", "1", "--dataloader_num_workers", "0",
]  # fmt: skip


@pytest.fixture(scope="module")
def toy_data(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("toy")
    assert main(["data", "synth", "--n", "24", "--seed", "3", "--out", str(out), "--image-size", "96"]) == 0
    return out / "toy_train.jsonl"


def _args(model: Path, data: Path, out: Path, *extra: str) -> list[str]:
    return [
        "train", "--model_name_or_path", str(model), "--train_data", str(data), "--output_dir", str(out),
        "--max_steps", "2", "--save_steps", "2", "--max_train_samples", "8", "--learning_rate", "1e-3",
        "--rollout_log_steps", "1", "--rollout_log_count", "2", *TINY_RUN, *extra,
    ]  # fmt: skip


def test_paper_defaults_and_yaml_with_cli_override(tmp_path):
    from grit.commands.train import parse_config

    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        yaml.safe_dump({"model_name_or_path": "m", "train_data": ["a.jsonl"], "learning_rate": 1e-5})
    )
    config = parse_config(
        [
            "--config",
            str(recipe),
            "--learning_rate",
            "3e-6",
            "--output_dir",
            str(tmp_path / "o"),
            *TINY_RUN[:4],
        ]
    )
    assert config.learning_rate == 3e-6  # CLI beats YAML
    assert config.train_data == ["a.jsonl"]
    # The paper's settings are the defaults (TRL's differ: beta 0, loss dapo).
    assert (config.beta, config.num_generations, config.temperature, config.loss_type) == (
        0.01,
        4,
        0.9,
        "grpo",
    )
    assert (config.lr_scheduler_type.value, config.max_steps, config.max_completion_length) == (
        "cosine",
        200,
        1000,
    )


@pytest.mark.parametrize(
    ("flags", "field"),
    [
        (["--reward_preset", "nope"], "reward_preset"),
        (["--data_policy", "drop"], "data_policy"),
        (["--judge", "gpt"], "judge"),
        (["--min_pixels", "5000", "--max_pixels", "100"], "min_pixels"),
        (["--progress_style", "quiet"], "progress_style"),
    ],
)
def test_bad_config_fails_naming_the_field(flags, field, tmp_path, capsys):
    rc = main(
        [
            "train",
            "--model_name_or_path",
            "m",
            "--train_data",
            "a.jsonl",
            "--output_dir",
            str(tmp_path),
            *flags,
        ]
    )
    assert rc == 2
    assert field in capsys.readouterr().err


def test_missing_required_fields(tmp_path, capsys):
    assert main(["train", "--output_dir", str(tmp_path), "--train_data", "a.jsonl"]) == 2
    assert "model_name_or_path" in capsys.readouterr().err


def test_bad_data_fails_before_the_model_loads(tmp_path, capsys):
    data = tmp_path / "bad.jsonl"
    data.write_text('{"question": "q?", "answer": "1"\n')
    # The model path does not exist: a data error proves data is checked first.
    rc = main(["train", "--model_name_or_path", str(tmp_path / "no-model"), "--train_data", str(data),
               "--output_dir", str(tmp_path / "out"), *TINY_RUN])  # fmt: skip
    assert rc == 2
    err = capsys.readouterr().err
    assert "bad.jsonl:1:" in err and "field" in err


def test_non_empty_output_dir_is_refused_and_kept(tmp_path, toy_data, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(_args(tmp_path / "no-model", toy_data, out)) == 2
    assert "--resume" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"


def test_resume_without_checkpoint_is_an_error(tmp_path, toy_data, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "x").write_text("")
    assert main([*_args(tmp_path / "m", toy_data, out), "--resume", "true"]) == 2
    assert "no checkpoint" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("family", ["qwen2_5_vl", "internvl"])
def test_train_end_to_end(family, tiny_model_dir, toy_data, tmp_path):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    out = tmp_path / "run"
    assert main(_args(tiny_model_dir(family), toy_data, out)) == 0
    # Hugging Face-format checkpoint and final model, loadable by transformers.
    assert (out / "checkpoint-2" / "config.json").exists()
    AutoModelForImageTextToText.from_pretrained(out)
    AutoProcessor.from_pretrained(out)
    # One log line per step with per-reward statistics and grounding metrics.
    logs = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [e["step"] for e in logs if "loss" in e]
    assert steps == [1, 2]
    for key in ("rewards/format_reward/mean", "rewards/answer_reward/std", "grit/grounded_rate",
                "grit/boxes_per_completion", "judge_failures"):  # fmt: skip
        assert key in logs[0], key
    # Rollouts with boxes drawn: PNG + JSON Lines, each line naming its rewards and checks.
    lines = [json.loads(x) for x in (out / "rollouts" / "rollouts.jsonl").read_text().splitlines()]
    assert len(lines) >= 2
    assert {"completion", "rewards", "checks", "boxes", "gt_boxes"} <= set(lines[0])
    assert (out / "rollouts" / lines[0]["image"]).exists()


def test_compact_progress_shows_the_figures_on_the_bar_and_prints_no_log_dicts(
    tiny_model_dir, toy_data, tmp_path, capsys
):
    full, compact = tmp_path / "full", tmp_path / "compact"
    assert main(_args(tiny_model_dir("qwen2_5_vl"), toy_data, full, "--disable_tqdm", "false")) == 0
    printed = capsys.readouterr()
    assert "'rewards/format_reward/mean'" in printed.out + printed.err  # transformers' default

    args = _args(tiny_model_dir("qwen2_5_vl"), toy_data, compact, "--disable_tqdm", "false")
    assert main([*args, "--progress_style", "compact"]) == 0
    printed = capsys.readouterr()
    assert "rewards/format_reward/mean" not in printed.out + printed.err
    assert "grounded=" in printed.err and "reward=" in printed.err and "2/2" in printed.err
    # the log file keeps every entry either way
    logs = [json.loads(line) for line in (compact / "metrics.jsonl").read_text().splitlines()]
    assert [e["step"] for e in logs if "loss" in e] == [1, 2]
    assert "rewards/format_reward/mean" in logs[0]


@pytest.mark.slow
def test_rollout_pictures_reach_tensorboard(tiny_model_dir, toy_data, tmp_path, monkeypatch):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = tmp_path / "tb"
    args = _args(tiny_model_dir("qwen2_5_vl"), toy_data, out)
    args[args.index("--report_to") + 1] = "tensorboard"
    monkeypatch.setenv("TENSORBOARD_LOGGING_DIR", str(tmp_path / "tb"))  # transformers v5's setting
    assert main(args) == 0
    events = EventAccumulator(str(tmp_path / "tb"), size_guidance={"images": 0})
    events.Reload()
    assert "rollouts/0" in events.Tags()["images"]
    assert any(t.startswith("train/grit/grounded_rate") for t in events.Tags()["scalars"])


@pytest.mark.slow
@pytest.mark.parametrize("recipe", ["grit-qwen2.5-vl-3b.yaml", "grit-internvl3-2b.yaml", "grit-toy-cpu.yaml"])
def test_recipes_run_on_a_tiny_model(recipe, tiny_model_dir, toy_data, tmp_path):
    family = "internvl" if "internvl" in recipe else "qwen2_5_vl"
    extra = ["--min_pixels", "3136", "--max_pixels", str(64 * 28 * 28)] if family == "qwen2_5_vl" else []
    args = ["train", "--config", str(RECIPES / recipe), "--model_name_or_path", str(tiny_model_dir(family)),
            "--train_data", str(toy_data), "--output_dir", str(tmp_path / "o"), "--max_steps", "2",
            "--save_steps", "2", *TINY_RUN, *extra]  # fmt: skip
    assert main(args) == 0
    assert (tmp_path / "o" / "checkpoint-2").is_dir()


@pytest.mark.slow
def test_lora_with_frozen_vision_tower(tiny_model_dir, toy_data, tmp_path):
    out = tmp_path / "lora"
    assert main([*_args(tiny_model_dir("qwen2_5_vl"), toy_data, out), "--use_lora", "true",
                 "--freeze_vision_tower", "true", "--lora_r", "4"]) == 0  # fmt: skip
    assert (out / "adapter_config.json").exists()


def _cli(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "grit", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip


@pytest.mark.slow
def test_sigkill_then_resume_finishes_without_gap_or_repeat(tiny_model_dir, toy_data, tmp_path):
    out = tmp_path / "killed"
    args = _args(tiny_model_dir("qwen2_5_vl"), toy_data, out)
    args[args.index("--max_steps") + 1] = "4"
    args[args.index("--save_steps") + 1] = "1"
    proc = _cli(*args)
    deadline = time.time() + 240
    while not (out / "checkpoint-2" / "trainer_state.json").exists():
        assert proc.poll() is None, proc.stdout.read()
        assert time.time() < deadline, "no checkpoint appeared"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "checkpoint-4").exists(), "training finished before it could be killed"

    resumed = _cli(*args, "--resume", "true")
    output = resumed.communicate(timeout=300)[0]
    assert resumed.returncode == 0, output
    assert "resumed from" in output
    state = json.loads((out / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4
    steps = [json.loads(x)["step"] for x in (out / "metrics.jsonl").read_text().splitlines()]
    loss_steps = [s for s in steps if s is not None]
    assert sorted(set(loss_steps)) == [1, 2, 3, 4]
    logged = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    train_steps = [e["step"] for e in logged if "loss" in e]
    assert train_steps == [1, 2, 3, 4], train_steps


@pytest.mark.slow
def test_two_process_run_with_accelerate(tiny_model_dir, toy_data, tmp_path):
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--config_file",
           str(RECIPES / "accelerate" / "cpu-2proc.yaml"), "-m", "grit",
           *_args(tiny_model_dir("qwen2_5_vl"), toy_data, out)]  # fmt: skip
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-2"]
    logged = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [e["step"] for e in logged if "loss" in e] == [1, 2]  # one set of logs, not one per process


def test_filler_after_the_stop_string_is_masked_out_of_the_loss():
    import torch
    from transformers import AutoTokenizer

    from grit.toy.shipped import base_model_path
    from grit.train.trainer import mask_padding_after_stop

    tokenizer = AutoTokenizer.from_pretrained(base_model_path())
    pad, eos = tokenizer.pad_token_id, tokenizer.convert_tokens_to_ids("<|im_end|>")

    def ids(text: str) -> list[int]:
        return tokenizer(text, add_special_tokens=False)["input_ids"]

    chain = ids("<think> [] </think> <rethink> [] </rethink> <answer> 2 </answer>")
    rows = [
        [*chain, pad, pad],  # stopped at "</answer>": generate filled the rest
        [*chain, eos],  # the model ended the turn itself
        [*ids("<answer> 2"), pad],  # the model sampled <|endoftext|> with no stop string before it
        chain[:-1],  # cut by max_completion_length
    ]
    width = max(map(len, rows))
    completion_ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
    # TRL's mask: everything up to and including the first EOS id (pad is one of Qwen's EOS ids)
    lengths = [len(chain) + 1, len(chain) + 1, len(ids("<answer> 2")) + 1, len(chain) - 1]
    completion_mask = torch.tensor([[int(i < n) for i in range(width)] for n in lengths])
    mask = mask_padding_after_stop(completion_ids, completion_mask, tokenizer, ["</answer>"])
    assert mask.sum(dim=1).tolist() == [len(chain), len(chain) + 1, lengths[2], lengths[3]]
    assert torch.equal(mask[1:], completion_mask[1:])
