"""``grit compare DIR_A DIR_B``: the metrics of two evaluations side by side, with differences (B - A)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="Compare the metrics of two grit eval output folders",
        description="Print the metrics of two evaluations (their metrics.json) side by side for every "
        "dataset and overall, with the difference B - A. See docs/evaluation.md.",
    )
    parser.add_argument("dir_a", metavar="DIR_A", help="first grit eval output folder")
    parser.add_argument("dir_b", metavar="DIR_B", help="second grit eval output folder")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from grit.evaluate.compare import compare_metrics, format_comparison, load_metrics

    try:
        a, b = load_metrics(args.dir_a), load_metrics(args.dir_b)
    except (FileNotFoundError, ValueError) as exc:
        print(f"grit compare: {exc}", file=sys.stderr)
        return 2
    table = compare_metrics(a, b)
    if args.json:
        print(json.dumps(table, indent=2))
    else:
        print(f"A = {args.dir_a}\nB = {args.dir_b}")
        print(format_comparison(table))
    return 0
