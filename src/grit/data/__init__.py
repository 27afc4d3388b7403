"""Data: GRIT-format JSON Lines + image folders, Hugging Face datasets, and the synthetic toy world.

Heavy libraries (datasets, PIL) are imported inside the functions that need them, so importing
``grit.data.question_types`` stays instant.
"""

from __future__ import annotations

from grit.data.question_types import QuestionType, detect_question_type

__all__ = ["QuestionType", "detect_question_type"]
