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

VARIANTS = {
    "grpo-gr": {"reward_mode": "grpo-gr", "n_train": 20},
    "answer-only": {"reward_mode": "answer-only", "n_train": 20},
    "no-count": {"reward_mode": "no-count", "n_train": 20},
    "grpo-gr-200": {"reward_mode": "grpo-gr", "n_train": 200},
}
METRICS = (("acc", "ACC"), ("grounded_rate", "grounded"), ("giou", "GIoU"))


def run_one(out: Path, variant: str, seed: int, args: argparse.Namespace) -> dict:
    folder = out / f"{variant}-seed{seed}"
    if (folder / "metrics.json").exists():
        return json.loads((folder / "metrics.json").read_text())
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
    for option in ("temperature", "num_generations", "prompts_per_step"):
        value = getattr(args, option)
        if value is not None:
            cmd += ["--" + option.replace("_", "-"), str(value)]
    if args.model:
        cmd += ["--model", args.model]
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    with (folder / "demo.log").open("w") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT, env=env)
    return json.loads((folder / "metrics.json").read_text())


def _mean_std(values: list[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def table(results: dict[str, list[dict]]) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from grit.evaluate.metrics import align_table

    header = ["variant", "seeds"]
    for _, title in METRICS:
        header += [f"{title} before", f"{title} after"]
    header += ["train reward first→last", "minutes"]
    rows = []
    for variant, runs in results.items():
        row = [variant, str(len(runs))]
        for key, _ in METRICS:
            row.append(_mean_std([r["before"]["overall"][key] or 0.0 for r in runs]))
            row.append(_mean_std([r["after"]["overall"][key] or 0.0 for r in runs]))
        first = _mean_std([r["train"]["reward_first"] for r in runs])
        last = _mean_std([r["train"]["reward_last"] for r in runs])
        row += [f"{first} → {last}", f"{statistics.mean(r['seconds']['total'] for r in runs) / 60:.1f}"]
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
        "--temperature", type=float, default=None, help="rollout temperature (default: the demo's)"
    )
    parser.add_argument(
        "--num-generations", type=int, default=None, help="completions per prompt (default: the demo's)"
    )
    parser.add_argument(
        "--prompts-per-step", type=int, default=None, help="prompts per step (default: the demo's)"
    )
    args = parser.parse_args()
    variants = args.variants or (list(VARIANTS) if args.ablations else ["grpo-gr"])
    out = Path(args.out)
    jobs = [(v, s) for v in variants for s in args.seeds]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        done = list(pool.map(lambda job: run_one(out, job[0], job[1], args), jobs))
    results: dict[str, list[dict]] = {}
    for (variant, _), result in zip(jobs, done, strict=True):
        results.setdefault(variant, []).append(result)
    text = table(results)
    (out / "table.txt").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
