"""Data benchmarks: toy-world generation rate and the memory of loading 10,000 rows lazily.

Targets (issue 5): >= 300 samples/s on one core at 224x224, and <= 200 MB memory growth when
loading 10,000 rows. Run pinned to one core, e.g.::

    taskset -c 1 .venv/bin/python benchmarks/bench_data.py --n 10000

Memory is measured in a fresh subprocess: resident set size after importing datasets and PIL,
then after ``load_grit_jsonl`` (which validates every image) while the dataset is held, and the
peak. Results are printed as JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_synth(n: int, out: Path, image_size: int) -> dict:
    from grit.data.synth import SynthConfig, generate

    start = time.perf_counter()
    generate(n, 0, out, config=SynthConfig(image_size=image_size))
    elapsed = time.perf_counter() - start
    return {
        "rows": n,
        "image_size": image_size,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(n / elapsed, 1),
    }


def bench_load(jsonl: str, image_check: str) -> dict:
    """Run in a child process so that the memory figures are this load's alone."""
    import datasets  # noqa: F401  (import cost is not the loader's)
    import PIL.Image  # noqa: F401

    from grit.data import load_grit_jsonl

    before, peak_before = rss_mb(), peak_mb()
    start = time.perf_counter()
    ds, report = load_grit_jsonl(jsonl, image_check=image_check)
    elapsed = time.perf_counter() - start
    after = rss_mb()
    for i in range(0, len(ds), max(1, len(ds) // 20)):  # touch a few rows: images decode per access
        ds[i]["image"].load()
    return {
        "rows": len(ds),
        "image_check": image_check,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(len(ds) / elapsed, 1),
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        "rss_growth_mb": round(after - before, 1),
        "peak_growth_mb": round(peak_mb() - max(before, peak_before), 1),
        "rss_after_access_mb": round(rss_mb(), 1),
        "skipped": report.rows_skipped,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000, help="rows to generate and load (default 10000)")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--out", default=None, help="folder for the generated data (default: a temp dir)")
    parser.add_argument("--child", nargs=2, metavar=("JSONL", "CHECK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(bench_load(*args.child)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp)
        results = {"synth": bench_synth(args.n, out, args.image_size)}
        jsonl = str(out / "toy_train.jsonl")
        for check in ("full", "header"):
            child = subprocess.run(
                [sys.executable, __file__, "--child", jsonl, check],
                check=True,
                capture_output=True,
                text=True,
            )
            results[f"load_{check}"] = json.loads(child.stdout.strip().splitlines()[-1])
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
