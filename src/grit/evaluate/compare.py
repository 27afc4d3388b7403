"""Side-by-side metrics of two evaluations (``grit compare DIR_A DIR_B``), with per-dataset differences.

Where both evaluations scored the same questions (the same row ids), the accuracy difference also
gets a standard error *paired by question*: two models on one question set are correlated, so the
paired error is the honest (and much smaller) one, and a difference of a few points on 100
questions is often inside it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from grit.evaluate.metrics import OVERALL, align_table

COMPARED = (
    ("acc", "ACC"),
    ("giou", "GIoU"),
    ("grounded_rate", "grounded"),
    ("count_consistency", "count_cons"),
    ("boxes_per_answer", "boxes/ans"),
    ("judge_failures", "judge_fail"),
    ("n", "n"),
)


def load_metrics(run_dir: str | Path) -> dict[str, dict[str, Any]]:
    """The per-dataset metrics of an evaluation folder (its metrics.json)."""
    path = Path(run_dir) / "metrics.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: is {run_dir} a grit eval output folder?")
    data = json.loads(path.read_text(encoding="utf-8"))
    return data.get("metrics", data)


def compare_metrics(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{dataset: {metric: {"a", "b", "diff"}}}`` over the datasets of either run (overall last)."""
    names = [*sorted((set(a) | set(b)) - {OVERALL}), OVERALL]
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        ma, mb = a.get(name) or {}, b.get(name) or {}
        row = {}
        for key, _ in COMPARED:
            va, vb = ma.get(key), mb.get(key)
            diff = vb - va if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
            row[key] = {"a": va, "b": vb, "diff": diff}
        out[name] = row
    return out


PAIRED_KEY = "acc_paired"
Z95 = 1.959964  # two-sided 95 % normal quantile


def load_scored_rows(run_dir: str | Path) -> dict[str, dict[str, Any]] | None:
    """``{row id: record}`` of an evaluation's scored rows, or None without a predictions.jsonl."""
    from grit.evaluate.predictions import PREDICTIONS, read_predictions

    path = Path(run_dir) / PREDICTIONS
    if not path.exists():
        return None
    return {
        str(r["id"]): r for r in read_predictions(path) if not r.get("skipped") and r.get("score") is not None
    }


def _paired(a: list[float], b: list[float]) -> dict[str, Any]:
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    n = len(diffs)
    mean = sum(diffs) / n
    stderr = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1) / n) if n > 1 else None
    return {
        "n": n,
        "a": sum(a) / n,
        "b": sum(b) / n,
        "diff": mean,
        "stderr": stderr,
        "ci95": None if stderr is None else [mean - Z95 * stderr, mean + Z95 * stderr],
    }


def paired_accuracy(
    rows_a: Mapping[str, Mapping[str, Any]], rows_b: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Accuracy of A and B on the rows both scored, matched by id, per dataset and overall:
    ``{dataset: {"n", "a", "b", "diff", "stderr", "ci95"}}`` (``stderr`` of the mean per-question
    difference; ``ci95`` its normal 95 % interval). Empty when no row id is shared."""
    shared = [key for key in rows_a if key in rows_b]
    groups: dict[str, list[str]] = {}
    for key in shared:
        groups.setdefault(str(rows_b[key].get("dataset") or ""), []).append(key)
    out: dict[str, dict[str, Any]] = {}
    for name, keys in [*sorted(groups.items()), (OVERALL, shared)]:
        if not keys:
            continue
        a = [float(rows_a[k]["score"]) for k in keys]
        b = [float(rows_b[k]["score"]) for k in keys]
        out[name] = _paired(a, b)
    return out


def add_paired_accuracy(
    table: dict[str, dict[str, Any]], rows_a: Mapping[str, Any] | None, rows_b: Mapping[str, Any] | None
) -> dict[str, dict[str, Any]]:
    """``table`` (from ``compare_metrics``) with ``acc_paired`` added to every dataset both runs
    scored on shared questions; unchanged when either run has no predictions."""
    if rows_a is None or rows_b is None:
        return table
    for name, paired in paired_accuracy(rows_a, rows_b).items():
        table.setdefault(name, {})[PAIRED_KEY] = paired
    return table


def format_paired(table: Mapping[str, Mapping[str, Any]], label_a: str = "A", label_b: str = "B") -> str:
    """The paired accuracy rows of a comparison ("" when there are none)."""
    rows = []
    for name, metrics in table.items():
        cell = metrics.get(PAIRED_KEY)
        if not cell:
            continue
        ci = cell["ci95"]
        interval = "-" if ci is None else f"[{ci[0]:+.3f}, {ci[1]:+.3f}]"
        stderr = "-" if cell["stderr"] is None else f"{cell['stderr']:.3f}"
        rows.append(
            [
                name,
                str(cell["n"]),
                _fmt(cell["a"]),
                _fmt(cell["b"]),
                _fmt(cell["diff"], True),
                stderr,
                interval,
            ]
        )
    if not rows:
        return ""
    header = ["dataset", "paired n", f"ACC {label_a}", f"ACC {label_b}", "diff", "s.e.", "95% interval"]
    return align_table(header, rows)


def describe_change(cell: Mapping[str, Any] | None) -> str:
    """' (+8 ± 5 points, 95 % interval over 500 paired questions)' for a reading line; '' without a
    paired cell or with a single question (no standard error)."""
    if not cell or cell.get("stderr") is None:
        return ""
    return f" ({100 * cell['diff']:+.0f} ± {100 * Z95 * cell['stderr']:.0f} points, 95 % interval over {cell['n']} paired questions)"


def _fmt(value: Any, signed: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:+d}" if signed else f"{value:d}"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def format_comparison(table: dict[str, dict[str, Any]], label_a: str = "A", label_b: str = "B") -> str:
    """One line per dataset and metric group: A, B and B - A for each metric."""
    header = ["dataset"]
    for _, title in COMPARED:
        header += [f"{title} {label_a}", f"{title} {label_b}", "diff"]
    rows = []
    for name, metrics in table.items():
        row = [name]
        for key, _ in COMPARED:
            cell = metrics[key]
            row += [_fmt(cell["a"]), _fmt(cell["b"]), _fmt(cell["diff"], signed=True)]
        rows.append(row)
    return align_table(header, rows)
