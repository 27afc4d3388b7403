"""``grit demo``: Run the end-to-end toy-world demo: evaluate, train with GRPO-GR on 20 examples, evaluate again."""

from grit.commands._planned import register_planned


def register(subparsers) -> None:
    register_planned(
        subparsers,
        "demo",
        "Run the end-to-end toy-world demo: evaluate, train with GRPO-GR on 20 examples, evaluate again.",
        "demo",
    )
