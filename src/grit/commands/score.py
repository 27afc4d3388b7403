"""``grit score``: Score completions with the GRPO-GR rewards and explain every check."""

from grit.commands._planned import register_planned


def register(subparsers) -> None:
    register_planned(
        subparsers,
        "score",
        "Score completions with the GRPO-GR rewards and explain every check.",
        "chains/rewards",
    )
