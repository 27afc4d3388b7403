"""Subcommands of the ``grit`` command; each module has ``register(subparsers)``."""
