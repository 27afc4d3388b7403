"""What a toy model's own boxes allow: its answers against a perfect reading of its chain's boxes.

    .venv/bin/python benchmarks/demo_bounds.py runs/demo-bench/grpo-gr-seed0 runs/demo-bench/grpo-gr-seed1

Each argument is a ``grit demo`` folder (its ``before/`` and ``after/`` evaluations are read) or a
``predictions.jsonl`` of ``grit eval`` on toy-world questions. For every evaluation it prints:

- ``ACC``: the answers' accuracy;
- ``boxes read``: the accuracy a chain would reach by answering exactly what its own boxes say:
  a counting answer equal to the number of boxes it listed, a spatial answer equal to how its first
  two boxes lie (``grit.toy.world.relation_holds``; a guess, 0.5, where they overlap or are
  missing). GRPO-GR rewards answers and format, never boxes, so this is the ceiling that making
  answers follow boxes can reach without seeing better;
- counting: lists of the right length, and answers equal to their list's length;
- spatial: the first two boxes against the question's two objects (IoU >= 0.5): in the question's
  order, swapped, the same object twice, or otherwise; how often the answer is right where the pair
  is in order (the answer follows boxes that are right); and how many spatial chains name their
  boxes (``{"label": ..., "bbox_2d": ...}``, the labelled bases of docs/toy-research.md).

docs/demo.md ("What bounds the gain") reads these tables.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Iterable
from pathlib import Path

from grit.boxes import iou
from grit.evaluate.metrics import align_table
from grit.toy.world import RELATIONS, relation_holds

PAIR_KINDS = ("in order", "swapped", "same object twice", "other")


def relation_of(question: str) -> str:
    """The relation word of a toy spatial question ("Is the red square left of the blue circle?")."""
    for relation in RELATIONS:
        if f" {relation} " in question:
            return relation
    raise ValueError(f"no relation word in spatial question {question!r}")


def boxes_read_right(row: dict) -> float:
    """1 if the answer the chain's own boxes give is right, 0 if wrong, 0.5 where they give none."""
    reference = row["reference"].strip().lower()
    if row["question_type"] == "count":
        return float(row.get("count_boxes") == int(reference))
    boxes = row["boxes"]
    if len(boxes) < 2:
        return 0.5
    holds = relation_holds(relation_of(row["question"]), boxes[0], boxes[1])
    if holds is None:
        return 0.5
    return float(holds == (reference == "yes"))


def pair_kind(boxes: list[list[float]], truth: list[list[float]]) -> str:
    """How a spatial chain's first two boxes match the question's two objects (IoU >= 0.5)."""
    if len(boxes) < 2 or len(truth) != 2:
        return "other"
    hit = [[iou(b, t) >= 0.5 for t in truth] for b in boxes[:2]]
    if hit[0][0] and hit[1][1]:
        return "in order"
    if hit[0][1] and hit[1][0]:
        return "swapped"
    if iou(boxes[0], boxes[1]) >= 0.5:
        return "same object twice"
    return "other"


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else float("nan")


def summarise(rows: list[dict]) -> dict[str, float]:
    """The figures of one evaluation's scored rows."""
    counting = [r for r in rows if r["question_type"] == "count"]
    spatial = [r for r in rows if r["question_type"] != "count"]
    kinds = [pair_kind(r["boxes"], r["gt_boxes"]) for r in spatial]
    # a counting chain's boxes answer right exactly when its list has the right length
    count_read = [boxes_read_right(r) for r in counting]
    spatial_read = [boxes_read_right(r) for r in spatial]
    summary = {
        "acc": _mean(r["score"] for r in rows),
        "boxes_read": _mean(count_read + spatial_read),
        "count_acc": _mean(r["score"] for r in counting),
        "count_right_length": _mean(count_read),
        "count_follows_list": _mean(float(bool(r.get("count_consistent"))) for r in counting),
        "spatial_acc": _mean(r["score"] for r in spatial),
        "spatial_boxes_read": _mean(spatial_read),
    }
    for kind in PAIR_KINDS:
        summary[f"pair_{kind}"] = _mean(float(k == kind) for k in kinds)
    # where the pair is right, a right answer is one that follows it
    summary["in_order_follows"] = _mean(
        r["score"] for r, k in zip(spatial, kinds, strict=True) if k == "in order"
    )
    summary["spatial_labelled"] = _mean(float(any(r.get("box_labels") or [])) for r in spatial)
    return summary


def predictions_files(target: Path) -> list[tuple[str, Path]]:
    """(label, predictions.jsonl) pairs of a demo folder, or the file itself."""
    if target.is_file():
        return [(str(target), target)]
    found = [
        (f"{target.parent.name}/{target.name} {stage}", target / stage / "predictions.jsonl")
        for stage in ("before", "after")
    ]
    found = [(label, path) for label, path in found if path.exists()]
    if not found:
        raise FileNotFoundError(
            f"{target}: no before/ or after/ predictions.jsonl (is it a grit demo folder?)"
        )
    return found


def read_rows(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}, line {number}: not JSON ({error})") from None
    return rows


COLUMNS = (
    ("acc", "ACC"),
    ("boxes_read", "boxes read"),
    ("count_acc", "count ACC"),
    ("count_right_length", "list right length"),
    ("count_follows_list", "answer = list"),
    ("spatial_acc", "spatial ACC"),
    ("spatial_boxes_read", "spatial boxes read"),
    *((f"pair_{kind}", kind) for kind in PAIR_KINDS),
    ("in_order_follows", "answer follows in-order pair"),
    ("spatial_labelled", "spatial labelled"),
)


def table(results: list[tuple[str, dict[str, float]]]) -> str:
    rows = [[label, *(f"{summary[key]:.3f}" for key, _ in COLUMNS)] for label, summary in results]
    for stage in ("before", "after"):
        staged = [summary for label, summary in results if label.endswith(" " + stage)]
        if len(staged) > 1:
            means = [f"{statistics.mean(s[key] for s in staged):.3f}" for key, _ in COLUMNS]
            rows.append([f"mean {stage} ({len(staged)})", *means])
    return align_table(["evaluation", *(title for _, title in COLUMNS)], rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("targets", nargs="+", type=Path, help="grit demo folders or predictions.jsonl files")
    args = parser.parse_args()
    results = []
    for target in args.targets:
        for label, path in predictions_files(target):
            results.append((label, summarise(read_rows(path))))
    print(table(results))


if __name__ == "__main__":
    main()
