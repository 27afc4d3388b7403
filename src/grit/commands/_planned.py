"""Shared registration for commands whose implementation has not landed yet.

They appear in ``grit --help`` with what they will do and which issue brings them, and exit
with status 2 and a clear message instead of pretending to work.
"""

from __future__ import annotations

import argparse
import sys


def register_planned(subparsers: argparse._SubParsersAction, name: str, summary: str, issue: str) -> None:
    parser = subparsers.add_parser(
        name,
        help=f"{summary} (not available yet)",
        description=f"{summary}\n\nNot available yet: this command arrives with the {issue} issue.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    def run(_args: argparse.Namespace) -> int:
        print(f"grit {name}: not available yet (arrives with the {issue} issue).", file=sys.stderr)
        return 2

    parser.set_defaults(func=run)
