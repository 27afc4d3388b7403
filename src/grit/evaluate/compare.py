"""Side-by-side metrics of two evaluations (``grit compare DIR_A DIR_B``), with per-dataset differences."""

from __future__ import annotations

import json
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
