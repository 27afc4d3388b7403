"""``grit demo``: the paper's claim, end to end, on a CPU in minutes.

1. write 20 training triplets (10 counting + 10 spatial, as in the paper) and a held-out
   evaluation set of fresh scenes;
2. evaluate the shipped toy base with the GRIT prompt (greedy);
3. train it with GRPO-GR -- rewards see only the answer and the format, never a box;
4. evaluate again, and write ``metrics.json`` (before / after), ``report.html`` and a table.

Every stage goes through the same code as real models (``grit eval``'s ``run_eval`` and
``grit train``'s ``build_trainer``). A stage that already finished is not redone, so an
interrupted demo resumes where it stopped; nothing in ``--out`` is deleted.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# Rewards of the ablations (benchmarks/bench_demo_ablations.py); "grpo-gr" is the paper's.
REWARD_MODES = {
    "grpo-gr": {"format_reward_weight": 1.0, "count_reward_weight": 1.0, "answer_reward_weight": 1.0},
    "no-count": {"format_reward_weight": 1.0, "count_reward_weight": 0.0, "answer_reward_weight": 1.0},
    "answer-only": {"format_reward_weight": 0.0, "count_reward_weight": 0.0, "answer_reward_weight": 1.0},
}


# TRL's policy losses that need no other setting: the paper's grpo and three token-level ones.
DEMO_LOSS_TYPES = ("grpo", "dapo", "dr_grpo", "bnpo")


@dataclass
class DemoConfig:
    """The demo's settings. Optimiser values are scaled for a 5 M-parameter model (see docs/demo.md)."""

    out: str = "demo-out"
    model: str | None = None  # default: the shipped toy base
    seed: int = 0
    n_train: int = 20  # half counting, half spatial
    # half counting, half spatial; 500 so that the accuracy change's 95 % interval is about ±5 points
    # (at 100 it was ±12, and a lucky held-out draw read as a gain; see docs/demo.md)
    n_eval: int = 500
    reward_mode: str = "grpo-gr"
    max_steps: int = 200
    num_generations: int = 8
    prompts_per_step: int = 2
    learning_rate: float = 5e-5
    # KL weight 10x the paper's: at 25x the paper's learning rate, the paper's 0.01 lets the boxes,
    # which no reward sees, drift from the base's (see docs/toy-research.md, "The KL weight")
    beta: float = 0.1
    temperature: float = 1.0
    max_completion_length: int = 160
    # The paper's sequence-normalised loss; "dapo" (TRL's default) normalises by the batch's tokens,
    # so that a correct chain's tokens are not pushed harder for being fewer
    loss_type: str = "grpo"
    eval_max_new_tokens: int = 200
    eval_batch_size: int = 50
    rollout_log_steps: int = 25
    threads: int | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        if self.reward_mode not in REWARD_MODES:
            raise ValueError(f"reward_mode must be one of {sorted(REWARD_MODES)}, got {self.reward_mode!r}")
        if self.n_train < 2 or self.n_eval < 2:
            raise ValueError("n_train and n_eval must be at least 2")
        if self.num_generations < 2 or self.prompts_per_step < 1:
            # a group of one has no spread, so GRPO's advantage would be zero on every step
            raise ValueError("num_generations must be at least 2 and prompts_per_step at least 1")
        if self.loss_type not in DEMO_LOSS_TYPES:
            raise ValueError(f"loss_type must be one of {DEMO_LOSS_TYPES}, got {self.loss_type!r}")
        if self.beta < 0:
            raise ValueError(f"beta (the KL weight) must be at least 0, got {self.beta}")


def _log(message: str) -> None:
    print(f"[grit demo] {message}", file=sys.stderr, flush=True)


def write_data(config: DemoConfig, out: Path, model: str) -> tuple[Path, Path]:
    """The training triplets and the held-out set, drawn in the world the model was trained in."""
    from grit.toy.world import trained_background, write_questions

    background = trained_background(model)
    data = out / "data"
    paths = []
    for name, n, seed in (
        ("train", config.n_train, config.seed),
        ("eval", config.n_eval, 10_000 + config.seed),
    ):
        jsonl = data / f"{name}.jsonl"
        if not jsonl.exists():
            write_questions(data, name, n // 2, n - n // 2, seed, background=background)
        paths.append(jsonl)
    return paths[0], paths[1]


def evaluate(config: DemoConfig, model: str, data: Path, out: Path) -> dict[str, Any]:
    from grit.evaluate.generate import GenerationSettings
    from grit.evaluate.run import EvalConfig, run_eval
    from grit.judges import JudgeConfig

    eval_config = EvalConfig(
        model=model,
        data=[f"{data}={data.with_suffix('')}"],
        out_dir=str(out),
        prompt_mode="grit",
        batch_size=config.eval_batch_size,
        generation=GenerationSettings(max_new_tokens=config.eval_max_new_tokens),
        judge=JudgeConfig(kind="auto", cache=False),
        seed=config.seed,
        progress=config.progress,
    )
    return run_eval(eval_config, log=_log).metrics["metrics"]


def train(config: DemoConfig, model: str, data: Path, out: Path) -> dict[str, Any]:
    """GRPO-GR on the training triplets; returns the reward curve summary from metrics.jsonl."""
    from grit.train.config import GritTrainConfig
    from grit.train.run import run_training

    if (out / "model.safetensors").exists():
        _log(f"training already finished in {out}; reusing it")
    else:
        batch = config.num_generations * config.prompts_per_step
        train_config = GritTrainConfig(
            model_name_or_path=model,
            train_data=[f"{data}={data.with_suffix('')}"],
            output_dir=str(out),
            resume=(out / "metrics.jsonl").exists(),
            use_cpu=True,
            bf16=False,
            reward_preset="paper",
            judge="auto",
            judge_cache_dir=None,
            num_generations=config.num_generations,
            per_device_train_batch_size=batch,
            gradient_accumulation_steps=1,
            learning_rate=config.learning_rate,
            lr_scheduler_type="cosine",
            warmup_steps=0,
            beta=config.beta,
            loss_type=config.loss_type,
            # TRL turns it on by default; for a 5 M-parameter model on a CPU, recomputing the
            # forward pass in the backward one costs time and saves no memory worth having
            gradient_checkpointing=False,
            max_steps=config.max_steps,
            temperature=config.temperature,
            max_completion_length=config.max_completion_length,
            logging_steps=1,
            save_steps=max(25, config.max_steps // 4),
            save_total_limit=1,
            rollout_log_steps=config.rollout_log_steps,
            report_to="none",
            seed=config.seed,
            disable_tqdm=not config.progress,
            progress_style="compact",
            **REWARD_MODES[config.reward_mode],
        )
        run_training(train_config)
    return reward_curve(out / "metrics.jsonl")


def reward_curve(path: Path, window: int = 20) -> dict[str, Any]:
    """Mean training reward over the first and last ``window`` steps (the CI demo's check)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rewards = [(r["step"], r["reward"]) for r in rows if "reward" in r and "step" in r]
    values = [v for _, v in rewards]
    k = max(1, min(window, len(values) // 2))
    grounded = [r.get("grit/grounded_rate") for r in rows if r.get("grit/grounded_rate") is not None]
    return {
        "steps": len(values),
        "reward_first": sum(values[:k]) / k if values else None,
        "reward_last": sum(values[-k:]) / k if values else None,
        "grounded_rate_first": sum(grounded[:k]) / k if grounded else None,
        "grounded_rate_last": sum(grounded[-k:]) / k if grounded else None,
        "window": k,
    }


def reading(
    before: dict[str, Any], after: dict[str, Any], n_train: int, paired: dict[str, Any] | None = None
) -> str:
    """One line that says what the table shows; ``paired`` (the overall ``acc_paired`` cell of the
    comparison) adds the accuracy change's 95 % interval, so a lucky draw is not read as a gain."""
    from grit.evaluate.compare import describe_change

    b, a = before["overall"], after["overall"]

    def pct(v: Any) -> str:
        return "n/a" if v is None else f"{100 * v:.0f}%"

    def num(v: Any) -> str:
        return "n/a" if v is None else f"{v:.2f}"

    return (
        f"After GRPO-GR on {n_train} training triplets, grounded chains went from {pct(b['grounded_rate'])} "
        f"to {pct(a['grounded_rate'])} of held-out answers, accuracy from {pct(b['acc'])} to {pct(a['acc'])}{describe_change(paired)}, "
        f"and grounding IoU against never-rewarded boxes from {num(b['giou'])} to {num(a['giou'])}."
    )


SHOWN_METRICS = (
    ("acc", "accuracy"),
    ("grounded_rate", "grounded chains"),
    ("giou", "grounding IoU"),
    ("boxes_per_answer", "boxes per answer"),
    ("count_consistency", "count = boxes"),
)


def before_after_table(before: dict[str, Any], after: dict[str, Any]) -> str:
    """Rows = metric x dataset, columns = before, after, change (what the demo prints)."""
    from grit.evaluate.metrics import align_table

    def cell(v: Any, signed: bool = False) -> str:
        if v is None:
            return "-"
        return f"{v:+.3f}" if signed else f"{v:.3f}"

    rows = []
    for key, title in SHOWN_METRICS:
        for name in [n for n in after if n != "overall"] + ["overall"]:
            b, a = (before.get(name) or {}).get(key), (after.get(name) or {}).get(key)
            diff = a - b if a is not None and b is not None else None
            rows.append([f"{title} ({name})", cell(b), cell(a), cell(diff, signed=True)])
    return align_table(["held-out metric", "before", "after", "change"], rows)


def write_demo_report(
    out: Path, before: dict[str, Any], after: dict[str, Any], after_dir: Path, summary: str | None = None
) -> Path:
    """``DIR/report.html``: the reading and before/after metrics on top, then every held-out chain
    after training."""
    from grit.evaluate.predictions import PREDICTIONS, read_predictions
    from grit.report import write_report

    table = {f"before · {k}": v for k, v in before.items()} | {f"after · {k}": v for k, v in after.items()}
    settings = json.loads((after_dir / "metrics.json").read_text(encoding="utf-8")).get("settings", {})
    return write_report(
        out,
        records=read_predictions(after_dir / PREDICTIONS),
        metrics={"metrics": table, "settings": settings},
        max_samples=None,
        title="grit demo: the toy base after GRPO-GR (held-out chains)",
        summary=summary,
    )


# Settings that do not change results; a folder resumes under any of their values.
NEUTRAL_SETTINGS = ("out", "progress", "threads", "rollout_log_steps", "eval_batch_size")
# Settings added after runs were recorded without them, at the value those runs used.
LATER_SETTINGS = {"loss_type": "grpo"}


def check_settings(out: Path, config: DemoConfig, model: str) -> None:
    """Record the settings in ``OUT/demo_settings.json``; refuse to mix runs made with others."""
    settings = {k: v for k, v in asdict(config).items() if k not in NEUTRAL_SETTINGS} | {"model": model}
    path = out / "demo_settings.json"
    if path.exists():
        previous = LATER_SETTINGS | json.loads(path.read_text(encoding="utf-8"))
        if previous != json.loads(json.dumps(settings)):
            changed = sorted(
                k for k in settings.keys() | previous.keys() if settings.get(k) != previous.get(k)
            )
            raise ValueError(
                f"{out} holds a demo run made with other settings ({', '.join(changed)} differ); "
                "choose another --out, or delete that folder yourself to start over"
            )
        return
    path.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")


def run_demo(config: DemoConfig) -> dict[str, Any]:
    """Run every stage into ``config.out`` and return the contents of ``metrics.json``."""
    import torch

    from grit.evaluate.compare import (
        OVERALL,
        PAIRED_KEY,
        add_paired_accuracy,
        compare_metrics,
        load_scored_rows,
    )
    from grit.evaluate.predictions import write_json_atomic
    from grit.toy.shipped import base_model_path
    from grit.toy.world import trained_background

    if config.threads:
        torch.set_num_threads(config.threads)
    started = time.perf_counter()
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    model = config.model or str(base_model_path())
    check_settings(out, config, model)
    timings: dict[str, float] = {}

    def stage(name: str, message: str, fn, *args):
        _log(message)
        t0 = time.perf_counter()
        result = fn(*args)
        timings[name] = round(time.perf_counter() - t0, 1)
        return result

    train_data, eval_data = stage(
        "data", f"[1/4] writing {config.n_train} training and {config.n_eval} held-out questions", write_data,
        config, out, model,
    )  # fmt: skip
    before = stage(
        "eval_before", "[2/4] evaluating the base with the GRIT prompt", evaluate, config, model, eval_data,
        out / "before",
    )  # fmt: skip
    curve = stage(
        "train",
        f"[3/4] GRPO-GR ({config.reward_mode}) for {config.max_steps} steps on {config.n_train} triplets",
        train, config, model, train_data, out / "train",
    )  # fmt: skip
    after = stage(
        "eval_after", "[4/4] evaluating the trained model", evaluate, config, str(out / "train"), eval_data,
        out / "after",
    )  # fmt: skip
    comparison = add_paired_accuracy(
        compare_metrics(before, after), load_scored_rows(out / "before"), load_scored_rows(out / "after")
    )
    result = {
        "before": before,
        "after": after,
        "comparison": comparison,
        "train": curve,
        "reading": reading(before, after, config.n_train, comparison[OVERALL].get(PAIRED_KEY)),
        "config": asdict(config) | {"model": model, "background": trained_background(model)},
        "seconds": timings | {"total": round(time.perf_counter() - started, 1)},
        "peak_rss_mb": _peak_rss_mb(),
    }
    write_json_atomic(out / "metrics.json", result)
    write_demo_report(out, before, after, out / "after", result["reading"])
    print(before_after_table(before, after))
    print(result["reading"])
    _log(f"wrote {out / 'metrics.json'} and {out / 'report.html'} in {result['seconds']['total']:.0f} s")
    return result


def _peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
