"""``grit infer``: Answer one question about one image with a grounded reasoning chain."""

from grit.commands._planned import register_planned


def register(subparsers) -> None:
    register_planned(
        subparsers,
        "infer",
        "Answer one question about one image with a grounded reasoning chain.",
        "evaluation",
    )
