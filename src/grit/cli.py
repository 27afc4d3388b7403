"""The ``grit`` command: one subcommand per module under ``grit.commands``.

Each command module exposes ``register(subparsers)`` which adds its parser and sets
``func`` to the function that runs it. Command modules import torch/transformers only inside
that function, so ``grit --help`` answers instantly.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from grit import __version__

# Order is the order shown in ``grit --help``.
COMMAND_MODULES: dict[str, str] = {
    "demo": "grit.commands.demo",
    "train": "grit.commands.train",
    "eval": "grit.commands.eval",
    "infer": "grit.commands.infer",
    "compare": "grit.commands.compare",
    "score": "grit.commands.score",
    "data": "grit.commands.data",
    "tiny-model": "grit.commands.tiny_model",
    "toy": "grit.commands.toy",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grit",
        description=(
            "Teach vision-language models to think with images (GRIT): grounded reasoning "
            "chains that interleave text with bounding boxes, learned by GRPO-GR."
        ),
        epilog="Run 'grit COMMAND --help' for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"grit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES.values():
        importlib.import_module(module_name).register(subparsers)
    _accept_both_spellings(parser)
    return parser


def _accept_both_spellings(parser: argparse.ArgumentParser) -> None:
    """Let every flag be written ``--max-new-tokens`` or ``--max_new_tokens`` (as TRL's parser does).

    The alias is accepted but not shown in ``--help``, so help stays readable.
    """
    for action in list(parser._actions):
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                _accept_both_spellings(sub)
            continue
        for option in action.option_strings:
            if not option.startswith("--"):
                continue
            body = option[2:]
            for alias in ("--" + body.replace("-", "_"), "--" + body.replace("_", "-")):
                parser._option_string_actions.setdefault(alias, action)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Commands with their own parser (``grit train`` uses TRL's) get their arguments untouched.
    if argv and argv[0] in COMMAND_MODULES:
        module = importlib.import_module(COMMAND_MODULES[argv[0]])
        if getattr(module, "PARSES_OWN_ARGS", False):
            return int(module.main(argv[1:]) or 0)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        result = args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
