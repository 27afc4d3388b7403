"""Data: GRIT-format JSON Lines + image folders, Hugging Face datasets, and the synthetic toy world.

Public API (documented in docs/data.md):
- ``load_data(sources, ...)``: any mix of JSONL files and Hugging Face datasets -> (Dataset, LoadReport)
- ``load_grit_jsonl(paths, image_dirs, ...)``, ``load_hf_dataset(name_or_path, split, column_map, ...)``
- ``DataError`` (message names file, line and field), ``LoadReport``
- ``QuestionType``, ``detect_question_type``
- ``grit.data.synth.generate(n, seed, out, ...)``: the toy world
Heavy libraries (datasets, PIL) are imported inside the functions that use them.
"""

from __future__ import annotations

from grit.data.errors import DataError, LoadReport, Problem
from grit.data.grit_jsonl import load_grit_jsonl, read_grit_jsonl
from grit.data.hf import load_hf_dataset
from grit.data.question_types import QuestionType, detect_question_type
from grit.data.sources import DataSource, load_data

__all__ = [
    "DataError",
    "DataSource",
    "LoadReport",
    "Problem",
    "QuestionType",
    "detect_question_type",
    "load_data",
    "load_grit_jsonl",
    "load_hf_dataset",
    "read_grit_jsonl",
]
