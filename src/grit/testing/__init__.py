"""Tiny random models of every supported family, built offline (see :func:`build_tiny_model`)."""

from grit.testing.build import TinyModelInfo, build_tiny_model, tiny_model_path
from grit.testing.families import TINY_FAMILIES

__all__ = ["TINY_FAMILIES", "TinyModelInfo", "build_tiny_model", "tiny_model_path"]
