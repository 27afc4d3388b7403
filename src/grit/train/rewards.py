"""GRPO-GR reward functions for a training config (glue between GritTrainConfig and grit.rewards)."""

from __future__ import annotations

from typing import Any

from grit.train.config import GritTrainConfig


def reward_functions(config: GritTrainConfig, judge: Any) -> tuple[list[Any], list[float] | None]:
    """TRL reward functions for ``config.reward_preset`` with grit's weights, and TRL's ``reward_weights``.

    The weights are applied inside grit's reward functions (so each function's logged mean is the
    weighted value that enters the total); TRL's own weights therefore stay at 1.
    """
    from grit.rewards import get_preset, make_reward_funcs

    reward_config = get_preset(
        config.reward_preset,
        format_weight=config.format_reward_weight,
        count_weight=config.count_reward_weight,
        answer_weight=config.answer_reward_weight,
    )
    return make_reward_funcs(reward_config, judge), None
