"""``grit tiny-model``: build a tiny random model of a supported family, offline."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    from grit.testing.families import TINY_FAMILIES

    parser = subparsers.add_parser(
        "tiny-model",
        help="Build a tiny random model + processor of a supported family (offline, for tests)",
        description=(
            "Build a tiny, randomly initialised model of a real architecture and its processor, "
            "entirely offline, and save both in Hugging Face format. The result loads with "
            "AutoModelForImageTextToText.from_pretrained(DIR) and AutoProcessor.from_pretrained(DIR). "
            "Its tokenizer is a small byte-level BPE carrying the family's real special tokens and a "
            "chat template that renders images as the real model's does."
        ),
    )
    parser.add_argument("--family", required=True, choices=sorted(TINY_FAMILIES), help="model family")
    parser.add_argument("--out", required=True, help="directory to write (must not exist or be empty)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for the weights (default 0)")
    parser.add_argument("--overwrite", action="store_true", help="allow writing into a non-empty directory")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from grit.testing import build_tiny_model

    info = build_tiny_model(args.family, args.out, seed=args.seed, overwrite=args.overwrite)
    print(
        f"wrote tiny {info.family} model to {info.path} "
        f"({info.num_parameters:,} parameters, {info.size_bytes / 1e6:.2f} MB on disk)"
    )
    return 0
