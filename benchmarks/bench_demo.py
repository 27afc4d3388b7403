"""The demo's claim over seeds, and its ablations (issue 8), as a table.

    python benchmarks/bench_demo.py --out runs/demo-bench                     # 3 seeds, GRPO-GR
    python benchmarks/bench_demo.py --out runs/demo-bench --ablations --jobs 3

Each run is a full ``grit demo`` (held-out evaluation before and after training) in its own
process and folder, so runs can go in parallel (``--jobs``, each with ``--threads`` torch
threads) and a finished run is reused when the script is run again. Ablations, compared in
direction with the paper's Table 3 and data-scaling result:

- ``answer-only``: plain GRPO, the answer reward alone (no format or count reward);
- ``no-count``: GRPO-GR without the count reward;
- ``grpo-gr`` with 200 training triplets instead of 20.

Choosing a setting (learning rate, temperature, group size, KL weight) by its held-out figures
would be selecting on the evaluation set, whose seed spread is several points. ``--validation N``
also scores every trained model, and the base, on N questions of a separate validation set (fresh
scenes, seed 20000, never the demo's training or held-out scenes); compare settings there and
report the held-out table of the one chosen:

    python benchmarks/bench_demo.py --out runs/lr --learning-rate 1e-4 --validation 300 --jobs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grit.commands.demo import GRPO_OPTIONS

VARIANTS = {
    "grpo-gr": {"reward_mode": "grpo-gr", "n_train": 20},
    "answer-only": {"reward_mode": "answer-only", "n_train": 20},
    "no-count": {"reward_mode": "no-count", "n_train": 20},
    "grpo-gr-200": {"reward_mode": "grpo-gr", "n_train": 200},
}
# ``grit demo`` settings passed through when given: (option, type, help), from the command's own table
DEMO_OPTIONS = (("learning_rate", float, "GRPO-GR learning rate (default {default})"), *GRPO_OPTIONS)
METRICS = (("acc", "ACC"), ("grounded_rate", "grounded"), ("giou", "GIoU"))
VALIDATION_SEED = 20_000  # the demo draws training scenes from its seed and held-out ones from 10000 + seed


def base_model(args: argparse.Namespace) -> str:
    from grit.toy.shipped import base_model_path

    return args.model or str(base_model_path())


def write_validation(out: Path, args: argparse.Namespace) -> Path:
    """The validation questions, once per benchmark folder, in the base's own world."""
    from grit.toy.world import trained_background, write_questions

    data = out / "validation-data"
    jsonl = data / "val.jsonl"
    if not jsonl.exists():
        n = args.validation
        background = trained_background(base_model(args))
        write_questions(data, "val", n // 2, n - n // 2, VALIDATION_SEED, background=background)
    return jsonl


def validate(model: str, data: Path, folder: Path, args: argparse.Namespace) -> dict:
    """``grit eval`` of MODEL on the validation set, greedy and judged as the demo's evaluations."""
    metrics = folder / "metrics.json"
    if not metrics.exists():
        cmd = [sys.executable, "-m", "grit.cli", "eval", "--model", model]
        cmd += ["--data", f"{data}={data.with_suffix('')}", "--out", str(folder)]
        cmd += ["--prompt-mode", "grit", "--max-new-tokens", "200", "--batch-size", "50"]
        cmd += ["--judge", "auto", "--no-progress", "--no-report"]
        env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "eval.log").open("w") as log:
            subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT, env=env)
    return json.loads(metrics.read_text())["metrics"]["overall"]


def run_one(
    out: Path, variant: str, seed: int, args: argparse.Namespace, validation_data: Path | None
) -> dict:
    folder = out / f"{variant}-seed{seed}"
    if not (folder / "metrics.json").exists():
        run_demo(folder, variant, seed, args)
    result = json.loads((folder / "metrics.json").read_text())
    if validation_data is not None:
        result["validation"] = validate(str(folder / "train"), validation_data, folder / "validation", args)
    return result


def run_demo(folder: Path, variant: str, seed: int, args: argparse.Namespace) -> None:
    spec = VARIANTS[variant]
    cmd = [sys.executable, "-m", "grit.cli", "demo", "--out", str(folder), "--seed", str(seed)]
    cmd += [
        "--reward-mode",
        spec["reward_mode"],
        "--n-train",
        str(spec["n_train"]),
        "--steps",
        str(args.steps),
    ]
    cmd += ["--threads", str(args.threads)]
    for option, _, _ in DEMO_OPTIONS:
        value = getattr(args, option)
        if value is not None:
            cmd += ["--" + option.replace("_", "-"), str(value)]
    if args.model:
        cmd += ["--model", args.model]
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    with (folder / "demo.log").open("w") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT, env=env)


def _mean_std(values: list[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def table(results: dict[str, list[dict]], validation_base: dict | None = None) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from grit.evaluate.metrics import align_table

    header = ["variant", "seeds"]
    for _, title in METRICS:
        header += [f"{title} before", f"{title} after"]
    header += ["train reward first→last", "minutes"]
    if validation_base is not None:
        header += ["val ACC before", "val ACC after", "val grounded after"]
    rows = []
    for variant, runs in results.items():
        row = [variant, str(len(runs))]
        for key, _ in METRICS:
            row.append(_mean_std([r["before"]["overall"][key] or 0.0 for r in runs]))
            row.append(_mean_std([r["after"]["overall"][key] or 0.0 for r in runs]))
        first = _mean_std([r["train"]["reward_first"] for r in runs])
        last = _mean_std([r["train"]["reward_last"] for r in runs])
        row += [f"{first} → {last}", f"{statistics.mean(r['seconds']['total'] for r in runs) / 60:.1f}"]
        if validation_base is not None:
            row += [
                f"{validation_base['acc']:.3f}",
                _mean_std([r["validation"]["acc"] for r in runs]),
                _mean_std([r["validation"]["grounded_rate"] for r in runs]),
            ]
        rows.append(row)
    return align_table(header, rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--ablations", action="store_true", help="also run answer-only, no-count, 200 samples"
    )
    parser.add_argument("--variants", nargs="+", default=None, choices=sorted(VARIANTS))
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel")
    parser.add_argument("--threads", type=int, default=2, help="torch threads per run")
    parser.add_argument("--model", default=None, help="base model (default: the shipped toy base)")
    parser.add_argument(
        "--validation",
        type=int,
        default=0,
        metavar="N",
        help="also score the base and every trained model on N validation questions (seed 20000)",
    )
    from grit.toy.demo import DemoConfig

    defaults = DemoConfig()
    for option, kind, text in DEMO_OPTIONS:
        help_text = text.format(default=getattr(defaults, option))
        parser.add_argument("--" + option.replace("_", "-"), type=kind, default=None, help=help_text)
    args = parser.parse_args()
    variants = args.variants or (list(VARIANTS) if args.ablations else ["grpo-gr"])
    out = Path(args.out)
    jobs = [(v, s) for v in variants for s in args.seeds]
    # written once, before the parallel runs, so that no two of them write it at the same time
    validation_data = write_validation(out, args) if args.validation else None
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        done = list(pool.map(lambda job: run_one(out, job[0], job[1], args, validation_data), jobs))
    results: dict[str, list[dict]] = {}
    for (variant, _), result in zip(jobs, done, strict=True):
        results.setdefault(variant, []).append(result)
    validation_base = None
    if validation_data is not None:
        validation_base = validate(base_model(args), validation_data, out / "validation-base", args)
    text = table(results, validation_base)
    (out / "table.txt").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
