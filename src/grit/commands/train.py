"""``grit train``: Train a vision-language model with GRPO-GR (TRL GRPOTrainer, the paper's recipes)."""

from grit.commands._planned import register_planned


def register(subparsers) -> None:
    register_planned(
        subparsers,
        "train",
        "Train a vision-language model with GRPO-GR (TRL GRPOTrainer, the paper's recipes).",
        "train",
    )
