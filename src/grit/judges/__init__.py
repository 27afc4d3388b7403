"""Answer judges: decide how well a predicted answer matches the reference.

Every judge returns a :class:`Judgment` whose ``score`` is in [0, 1], or ``None`` when the judge
could not decide (an LLM call that failed after its retries). ``None`` is never a silent 0: the
rewards and metrics exclude it and count it.

Offline rule verifiers live in :mod:`grit.judges.rules` (routed per question type by
:class:`~grit.judges.auto.AutoJudge`); the LLM judge in :mod:`grit.judges.llm`; configuration and
``--judge*`` flags in :mod:`grit.judges.config`. See docs/judges.md.
"""

from grit.judges.auto import AutoJudge
from grit.judges.base import (
    SCORE_MODES,
    ExactMatchJudge,
    Judge,
    JudgeRequest,
    Judgment,
    apply_score_mode,
    normalize_answer,
)
from grit.judges.config import (
    JUDGE_KINDS,
    JudgeConfig,
    add_judge_arguments,
    build_judge,
    judge_config_from_args,
)
from grit.judges.llm import JudgeConfigurationError, JudgeStats, LLMJudge, MultimodalQuery, image_to_data_url
from grit.judges.prompt import JUDGE_PROMPT, build_judge_prompt, parse_score
from grit.judges.rules import MathJudge, MultipleChoiceJudge, NumberJudge, OpenAnswerJudge, YesNoJudge

__all__ = [
    "JUDGE_KINDS",
    "JUDGE_PROMPT",
    "SCORE_MODES",
    "AutoJudge",
    "ExactMatchJudge",
    "Judge",
    "JudgeConfig",
    "JudgeConfigurationError",
    "JudgeRequest",
    "JudgeStats",
    "Judgment",
    "LLMJudge",
    "MathJudge",
    "MultimodalQuery",
    "MultipleChoiceJudge",
    "NumberJudge",
    "OpenAnswerJudge",
    "YesNoJudge",
    "add_judge_arguments",
    "apply_score_mode",
    "build_judge",
    "build_judge_prompt",
    "image_to_data_url",
    "judge_config_from_args",
    "normalize_answer",
    "parse_score",
]
