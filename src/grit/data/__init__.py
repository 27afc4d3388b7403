"""Data: GRIT-format JSON Lines + image folders, Hugging Face datasets, and the synthetic toy world.

Heavy libraries (datasets, PIL) are imported inside the functions that need them, so importing
``grit.data`` stays cheap. See docs/data.md.
"""

from __future__ import annotations

from grit.data.errors import DataError, LoadReport, Problem
from grit.data.grit_jsonl import load_grit_jsonl, read_grit_jsonl
from grit.data.question_types import QuestionType, detect_question_type

__all__ = [
    "DataError",
    "LoadReport",
    "Problem",
    "QuestionType",
    "detect_question_type",
    "load_grit_jsonl",
    "read_grit_jsonl",
]
