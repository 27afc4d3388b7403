"""``grit train``: GRPO-GR training on TRL's GRPOTrainer, configured TRL-style.

``grit train --config recipes/NAME.yaml [--key value ...]``: the YAML file sets defaults for any
field of :class:`grit.train.config.GritTrainConfig` (TRL's ``GRPOConfig`` plus grit's), and
command-line flags override it. Parsing is TRL's own ``TrlParser``, so every GRPOConfig option
works exactly as in TRL. Also runs under ``accelerate launch -m grit train ...``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

SUMMARY = "Train a vision-language model with GRPO-GR (TRL GRPOTrainer; YAML config + CLI overrides)"

# This command parses its own arguments (TRL's parser); the top-level CLI hands them over as they are.
PARSES_OWN_ARGS = True


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help=SUMMARY, add_help=False)
    parser.set_defaults(func=lambda args: main(["--help"]))


def build_parser():
    from trl import TrlParser

    from grit.train.config import GritTrainConfig

    return TrlParser(
        [GritTrainConfig],
        prog="grit train",
        description=SUMMARY + ". Options are GritTrainConfig fields; a YAML --config sets defaults.",
    )


def parse_config(argv: Sequence[str]):
    """Parse ``argv`` (with an optional ``--config file.yaml``) into a validated GritTrainConfig."""
    (config,) = build_parser().parse_args_and_config(list(argv))
    return config


def main(argv: Sequence[str]) -> int:
    import logging

    from grit.train.outputs import OutputDirError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = parse_config(argv)
    except ValueError as exc:
        print(f"grit train: invalid configuration: {exc}", file=sys.stderr)
        return 2
    from grit.data import DataError
    from grit.train.run import run_training

    try:
        result = run_training(config)
    except (OutputDirError, DataError) as exc:
        print(f"grit train: {exc}", file=sys.stderr)
        return 2
    print(
        f"grit train: finished at step {result.global_step}; model saved to {result.output_dir}"
        + (f" (resumed from {result.resumed_from})" if result.resumed_from else "")
    )
    return 0
