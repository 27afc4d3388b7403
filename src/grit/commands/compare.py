"""``grit compare DIR_A DIR_B``: the metrics of two evaluations side by side, with differences (B - A)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="Compare the metrics of two grit eval output folders",
        description="Print the metrics of two evaluations (their metrics.json) side by side for every "
        "dataset and overall, with the difference B - A; where both scored the same questions "
        "(predictions.jsonl with shared row ids), also the accuracy difference with its standard error "
        "paired by question and a 95%% interval. See docs/evaluation.md.",
    )
    parser.add_argument("dir_a", metavar="DIR_A", help="first grit eval output folder")
    parser.add_argument("dir_b", metavar="DIR_B", help="second grit eval output folder")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from grit.evaluate.compare import (
        add_paired_accuracy,
        compare_metrics,
        format_comparison,
        format_paired,
        load_metrics,
        load_scored_rows,
    )

    try:
        a, b = load_metrics(args.dir_a), load_metrics(args.dir_b)
    except (FileNotFoundError, ValueError) as exc:
        print(f"grit compare: {exc}", file=sys.stderr)
        return 2
    table = add_paired_accuracy(
        compare_metrics(a, b), load_scored_rows(args.dir_a), load_scored_rows(args.dir_b)
    )
    if args.json:
        print(json.dumps(table, indent=2))
    else:
        print(f"A = {args.dir_a}\nB = {args.dir_b}")
        print(format_comparison(table))
        paired = format_paired(table)
        if paired:
            print("\naccuracy on the questions both scored, paired by question (B - A):")
            print(paired)
    return 0
