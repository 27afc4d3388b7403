"""``grit score``: score completions with the GRPO-GR rewards and explain every check.

Input: JSON Lines in the GRIT data format (``question``, ``answer``, ``image``, ``width``,
``height``, ``bboxs``, ``dataset``) plus ``completion`` and the model family (``--family`` or a
``family`` / ``model_type`` column). Output: one JSON line per input line with every reward, each
format check's verdict and reason, the parsed parts, the boxes in the model frame and in
original-image pixels, and the grounding IoU where ``bboxs`` is given. A bad line gets
``{"line": N, "error": "..."}`` naming the field. A summary table goes to stdout (stderr when the
JSON Lines themselves go to stdout).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "score",
        help="Score completions with the GRPO-GR rewards and explain every check",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", help="JSON Lines file of rows with a 'completion' field")
    parser.add_argument("-o", "--output", default="-", help="output JSON Lines file (default: stdout)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    parser.add_argument(
        "--family", help="model family or config.model_type (else each row's 'family'/'model_type' field)"
    )
    parser.add_argument(
        "--preset",
        default="paper",
        choices=("paper", "release"),
        help="reward definitions: the paper's (default) or the authors' release variants",
    )
    parser.add_argument("--format-weight", type=float, default=None)
    parser.add_argument("--count-weight", type=float, default=None)
    parser.add_argument("--answer-weight", type=float, default=None)
    parser.add_argument(
        "--processor", help="processor directory whose pixel budget Qwen2.5-VL boxes refer to"
    )
    parser.add_argument("--min-pixels", type=int, default=None, help="Qwen2.5-VL pixel budget (default 3136)")
    parser.add_argument(
        "--max-pixels", type=int, default=None, help="Qwen2.5-VL pixel budget (default 200704)"
    )
    try:
        from grit.judges.config import add_judge_arguments

        add_judge_arguments(parser)
    except ImportError:  # pragma: no cover - judges ship with grit
        parser.add_argument("--judge", default="exact", choices=("exact",))
    parser.set_defaults(func=run)


class RowError(ValueError):
    pass


def _number(row: dict[str, Any], key: str, positive: bool = True) -> float:
    if key not in row or row[key] is None:
        raise RowError(f"field '{key}': missing")
    v = row[key]
    if (
        isinstance(v, bool)
        or not isinstance(v, (int, float))
        or not math.isfinite(v)
        or (positive and v <= 0)
    ):
        raise RowError(f"field '{key}': expected a positive number, got {v!r}")
    return float(v)


def _check_row(row: Any, family_flag: str | None) -> dict[str, Any]:
    from grit.boxes import box_problem
    from grit.families import get_family

    if not isinstance(row, dict):
        raise RowError(f"expected a JSON object, got {type(row).__name__}")
    if "completion" not in row:
        raise RowError("field 'completion': missing")
    comp = row["completion"]
    if not isinstance(comp, (str, list)):
        raise RowError("field 'completion': expected a string or a list of chat messages")
    if "answer" not in row or row["answer"] is None:
        raise RowError("field 'answer': missing")
    if not isinstance(row["answer"], (str, int, float)):
        raise RowError(f"field 'answer': expected text, got {type(row['answer']).__name__}")
    question = row.get("question", "")
    if not isinstance(question, str):
        raise RowError("field 'question': expected text")
    fam_name = family_flag or row.get("family") or row.get("model_type")
    if not fam_name:
        raise RowError("field 'family': missing (pass --family or add a 'family' field)")
    try:
        family = get_family(str(fam_name))
    except ValueError as e:
        raise RowError(f"field 'family': {e}") from None
    width, height = _number(row, "width"), _number(row, "height")
    gt = row.get("bboxs", row.get("gt_boxes"))
    if gt is not None:
        if not isinstance(gt, list):
            raise RowError("field 'bboxs': expected a list of [x1, y1, x2, y2]")
        for i, b in enumerate(gt):
            problem = box_problem(b) if isinstance(b, (list, tuple)) else "not a list"
            if problem:
                raise RowError(f"field 'bboxs'[{i}]: {problem}")
    qt = row.get("question_type")
    if qt is not None and qt not in ("count", "yes_no", "multiple_choice", "open", "box"):
        raise RowError(f"field 'question_type': unknown type {qt!r}")
    return {
        "completion": comp,
        "answer": str(row["answer"]),
        "question": question,
        "question_type": qt,
        "dataset": row.get("dataset"),
        "family": family,
        "width": width,
        "height": height,
        "gt": gt,
    }


def _read(
    path: str, family_flag: str | None
) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    good, bad = [], []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                bad.append({"line": lineno, "error": f"line {lineno}: not valid JSON ({e.msg})"})
                continue
            try:
                good.append((lineno, _check_row(row, family_flag)))
            except RowError as e:
                bad.append({"line": lineno, "error": f"line {lineno}: {e}"})
    return good, bad


def _row_output(lineno: int, row: dict[str, Any], r: Any, processor: Any, budget: Any) -> dict[str, Any]:
    from grit.boxes import grounding_iou
    from grit.chain import parse_chain

    chain = parse_chain(row["completion"])
    frame = row["family"].frame(row["width"], row["height"], processor=processor, budget=budget)
    boxes = []
    for b in chain.boxes:
        px = frame.to_pixels(b.coords)
        boxes.append(
            {
                "model": list(b.coords),
                "pixels": [round(v, 2) for v in px],
                "label": b.label,
                "syntax": b.syntax,
                "section": b.section,
                "span": list(b.span),
                "before_rethink": chain.rethink_at is not None and b.span[0] < chain.rethink_at,
            }
        )
    giou = None
    if row["gt"]:
        giou = grounding_iou([b["pixels"] for b in boxes], row["gt"], (row["width"], row["height"]))
    return {
        "line": lineno,
        "family": row["family"].name,
        "frame": {"kind": frame.kind, "width": frame.frame_width, "height": frame.frame_height},
        "rewards": r.to_dict(),
        "checks": {k: {"passed": c.passed, "reason": c.reason} for k, c in chain.checks.items()},
        "parts": {"think": chain.think, "rethink": chain.rethink, "answer": chain.answer},
        "boxes": boxes,
        "grounding_iou": giou,
    }


def _summary(results: list[dict[str, Any]], errors: list[dict[str, Any]]) -> str:
    lines = [f"rows scored: {len(results)}   bad rows: {len(errors)}"]
    if results:
        failures = sum(1 for r in results if r["rewards"]["answer"] is None)
        lines.append(f"judge failures: {failures} (excluded from the answer and total means)")
        lines.append(f"{'reward':<14}{'mean':>8}{'min':>8}{'max':>8}{'> 0':>8}")
        for key in (
            "total",
            "format",
            "s_st",
            "s_bf",
            "count",
            "answer",
            "judge",
            "bleu1",
            "repetition",
            "answer_format",
        ):
            vals = [r["rewards"][key] for r in results if r["rewards"].get(key) is not None]
            if not vals:
                continue
            pos = sum(v > 0 for v in vals) / len(vals)
            lines.append(
                f"{key:<14}{sum(vals) / len(vals):>8.3f}{min(vals):>8.3f}{max(vals):>8.3f}{pos:>8.0%}"
            )
        lines.append(f"{'check':<20}{'passed':>8}  most common failure")
        for name in results[0]["checks"]:
            verdicts = [r["checks"][name] for r in results]
            passed = sum(v["passed"] for v in verdicts)
            reasons: dict[str, int] = {}
            for v in verdicts:
                if not v["passed"]:
                    reasons[v["reason"]] = reasons.get(v["reason"], 0) + 1
            common = max(reasons, key=reasons.__getitem__) if reasons else ""
            lines.append(f"{name:<20}{passed:>4}/{len(verdicts):<4} {common}")
        gious = [r["grounding_iou"] for r in results if r["grounding_iou"] is not None]
        if gious:
            lines.append(f"grounding IoU: {sum(gious) / len(gious):.3f} over {len(gious)} annotated rows")
    for e in errors[:10]:
        lines.append(f"error: {e['error']}")
    if len(errors) > 10:
        lines.append(f"... {len(errors) - 10} more errors in the output")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from grit.families import PixelBudget
    from grit.rewards import get_preset, score_batch

    if args.output != "-" and os.path.exists(args.output) and not args.overwrite:
        print(f"grit score: {args.output} exists; pass --overwrite to replace it", file=sys.stderr)
        return 2
    overrides: dict[str, Any] = {}
    for key in ("format_weight", "count_weight", "answer_weight"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    if getattr(args, "judge_score_mode", None):
        overrides["judge_mode"] = args.judge_score_mode
    config = get_preset(args.preset, **overrides)
    try:
        from grit.judges.config import build_judge, judge_config_from_args

        judge = build_judge(judge_config_from_args(args))
    except ImportError:  # pragma: no cover
        from grit.judges.base import ExactMatchJudge

        judge = ExactMatchJudge()
    processor = None
    if args.processor:
        from transformers import AutoProcessor

        processor = AutoProcessor.from_pretrained(args.processor)
    budget = None
    if args.min_pixels is not None or args.max_pixels is not None:
        budget = PixelBudget(args.min_pixels or 3136, args.max_pixels or 256 * 28 * 28)

    try:
        good, bad = _read(args.input, args.family)
    except OSError as e:
        print(f"grit score: cannot read {args.input}: {e}", file=sys.stderr)
        return 2
    rows = [r for _, r in good]
    breakdowns = score_batch(
        [r["completion"] for r in rows],
        [r["answer"] for r in rows],
        [r["question"] for r in rows],
        [r["question_type"] for r in rows],
        [r["dataset"] for r in rows],
        config=config,
        judge=judge,
    )
    results = []
    for (lineno, row), br in zip(good, breakdowns, strict=True):
        try:
            results.append(_row_output(lineno, row, br, processor, budget))
        except ValueError as e:
            bad.append({"line": lineno, "error": f"line {lineno}: {e}"})
    out_rows = sorted([*results, *bad], key=lambda r: r["line"])

    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out_rows)
    summary = _summary(results, sorted(bad, key=lambda r: r["line"]))
    if args.output == "-":
        sys.stdout.write(text)
        print(summary, file=sys.stderr)
    else:
        directory = os.path.dirname(os.path.abspath(args.output))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".grit-score-", suffix=".jsonl")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, args.output)
        print(summary)
        print(f"wrote {len(out_rows)} lines to {args.output}")
    return 1 if bad else 0
