"""Answer judges: decide how well a predicted answer matches the reference.

Every judge returns a :class:`Judgment` whose ``score`` is in [0, 1], or ``None`` when the judge
could not decide (an LLM call that failed after its retries). ``None`` is never a silent 0: the
rewards and metrics exclude it and count it.
"""

from grit.judges.base import (
    SCORE_MODES,
    ExactMatchJudge,
    Judge,
    JudgeRequest,
    Judgment,
    apply_score_mode,
    normalize_answer,
)

__all__ = [
    "SCORE_MODES",
    "ExactMatchJudge",
    "Judge",
    "JudgeRequest",
    "Judgment",
    "apply_score_mode",
    "normalize_answer",
]
