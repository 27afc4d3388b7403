"""``grit data``: Validate GRIT-format data and synthesise the toy world."""

from grit.commands._planned import register_planned


def register(subparsers) -> None:
    register_planned(
        subparsers, "data", "Validate GRIT-format data and synthesise the toy world.", "datasets"
    )
