"""Shared fixtures: tiny random models of every family, built offline once per session."""

from __future__ import annotations

import os

import pytest

# No test may touch the network: make the Hugging Face libraries fail fast instead.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "disabled")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """``tiny_model_dir(family)`` -> path of a tiny model of that family, built once per session."""
    from grit.testing import build_tiny_model

    root = tmp_path_factory.mktemp("tiny-models")
    built: dict[str, object] = {}

    def get(family: str):
        if family not in built:
            built[family] = build_tiny_model(family, root / family).path
        return built[family]

    return get
