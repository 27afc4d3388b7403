"""The paper's evaluation metrics (PAPER.md §6), per dataset and overall, from prediction records.

- ``acc``: mean judge score, continuous as in the paper's tables; judge failures (``None``) are
  left out of the mean and counted in ``judge_failures``.
- ``giou``: mean union IoU (PAPER.md §6) over rows with ground-truth boxes (``n_giou``).
- ``grounded_rate``: complete format with at least one box before ``<rethink>``
  (``grit.chain.is_grounded``).
- ``count_consistency``: over counting questions (``n_count``), the fraction whose answer states a
  count equal to the number of boxes listed before ``<rethink>``.
- ``boxes_per_answer``: mean number of boxes in a chain.
- ``n``: rows evaluated; ``skipped``: rows the data policy skipped at run time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

OVERALL = "overall"

# (key, header, format) of the stdout table and of ``grit compare``.
TABLE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("n", "n", "{:d}"),
    ("acc", "ACC", "{:.3f}"),
    ("giou", "GIoU", "{:.3f}"),
    ("n_giou", "n_box", "{:d}"),
    ("grounded_rate", "grounded", "{:.3f}"),
    ("count_consistency", "count_cons", "{:.3f}"),
    ("boxes_per_answer", "boxes/ans", "{:.2f}"),
    ("judge_failures", "judge_fail", "{:d}"),
)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Metrics of one group of records (see the module docstring for each key)."""
    done = [r for r in records if not r.get("skipped")]
    scores = [float(r["score"]) for r in done if r.get("score") is not None]
    ious = [float(r["iou"]) for r in done if r.get("iou") is not None]
    counts = [r for r in done if r.get("count_consistent") is not None]
    return {
        "n": len(done),
        "acc": _mean(scores),
        "n_scored": len(scores),
        "judge_failures": sum(1 for r in done if r.get("score") is None),
        "giou": _mean(ious),
        "n_giou": len(ious),
        "grounded_rate": _mean([1.0 if r.get("grounded") else 0.0 for r in done]),
        "count_consistency": _mean([1.0 if r["count_consistent"] else 0.0 for r in counts]),
        "n_count": len(counts),
        "boxes_per_answer": _mean([float(len(r.get("boxes") or ())) for r in done]),
        "skipped": len(records) - len(done),
    }


def compute_metrics(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{dataset: metrics, ..., "overall": metrics}``; overall pools every row (datasets sorted)."""
    records = list(records)
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in records:
        groups.setdefault(str(r.get("dataset") or ""), []).append(r)
    out = {name: summarize(groups[name]) for name in sorted(groups)}
    out[OVERALL] = summarize(records)
    return out


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return "-"
    return fmt.format(value)


def format_table(metrics: Mapping[str, Mapping[str, Any]]) -> str:
    """A plain-text table, one row per dataset and the overall row last."""
    header = ["dataset", *(h for _, h, _ in TABLE_COLUMNS)]
    rows = [[name, *(_cell(m.get(key), fmt) for key, _, fmt in TABLE_COLUMNS)] for name, m in metrics.items()]
    return align_table(header, rows)


def align_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain-text columns: the first left-aligned, the others right-aligned, a rule under the header."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=False))
        )

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(row) for row in rows)])
