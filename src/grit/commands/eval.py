"""``grit eval``: Evaluate a model on grounded-reasoning benchmarks (ACC, grounding IoU, report)."""

from grit.commands._planned import register_planned


def register(subparsers) -> None:
    register_planned(
        subparsers,
        "eval",
        "Evaluate a model on grounded-reasoning benchmarks (ACC, grounding IoU, report).",
        "evaluation",
    )
