"""``run_training``: everything ``grit train`` does, callable from Python.

Order matters for users: the config and the data are validated, and the output directory
checked, *before* the model loads, so a typo costs seconds, not a model download.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from grit.train.config import GritTrainConfig
from grit.train.outputs import resolve_output_dir

logger = logging.getLogger(__name__)

STOP_STRING = "</answer>"


@dataclass
class TrainResult:
    output_dir: Path
    global_step: int
    training_loss: float
    resumed_from: str | None


def load_training_data(config: GritTrainConfig) -> Any:
    """The training rows (validated; bad rows fail or are skipped-and-reported per ``data_policy``)."""
    from grit.data.sources import load_data

    dataset, report = load_data(config.train_data, policy=config.data_policy, prompt_mode=config.prompt_mode)
    logger.info("training data: %s", report.summary() if hasattr(report, "summary") else report)
    if config.max_train_samples is not None:
        dataset = dataset.select(range(min(config.max_train_samples, len(dataset))))
    if len(dataset) == 0:
        raise ValueError("train_data: no usable rows")
    return dataset


def build_judge_from_config(config: GritTrainConfig) -> Any:
    from grit.judges.config import JudgeConfig, build_judge

    return build_judge(
        JudgeConfig(
            kind=config.judge,
            model=config.judge_model,
            base_url=config.judge_base_url,
            api_key_env=config.judge_api_key_env,
            concurrency=config.judge_concurrency,
            timeout=config.judge_timeout,
            max_retries=config.judge_max_retries,
            cache_dir=config.judge_cache_dir,
        )
    )


def generation_kwargs(config: GritTrainConfig, processor: Any) -> dict[str, Any]:
    """Rollout settings TRL passes to ``generate`` (or to vLLM's SamplingParams)."""
    from grit.generation import placeholder_token_ids

    placeholders = placeholder_token_ids(processor)
    kwargs: dict[str, Any] = dict(config.generation_kwargs or {})
    if config.use_vllm:
        # vLLM: stop string kept in the output (the closing tag is part of the format), placeholders banned.
        if config.stop_at_answer:
            kwargs.setdefault("stop", [STOP_STRING])
            kwargs.setdefault("include_stop_str_in_output", True)
        kwargs.setdefault("logit_bias", {token: -100.0 for token in placeholders})
    else:
        kwargs.setdefault("suppress_tokens", placeholders)
        if config.stop_at_answer:
            kwargs.setdefault("stop_strings", [STOP_STRING])
    return kwargs


def bind_tokenizer_to_generate(model: Any, tokenizer: Any) -> None:
    """Let ``generate`` honour ``stop_strings``: transformers needs the tokenizer for them, TRL passes none."""
    model.generate = partial(model.generate, tokenizer=tokenizer)


def check_vllm_pixel_budget(config: GritTrainConfig) -> None:
    """vLLM loads its own processor from the model folder: the budget there must be the one asked for."""
    if not config.use_vllm or (config.min_pixels is None and config.max_pixels is None):
        return
    from transformers import AutoProcessor

    from grit.families import budget_from_processor

    budget = budget_from_processor(AutoProcessor.from_pretrained(config.model_name_or_path))
    saved = (budget.min_pixels, budget.max_pixels)
    wanted = (config.min_pixels or saved[0], config.max_pixels or saved[1])
    if saved != wanted:
        raise ValueError(
            f"min_pixels/max_pixels: vLLM would use the model folder's budget {saved}, not {wanted}. "
            "Write the budget into the folder's preprocessor_config.json (size.shortest_edge / size.longest_edge) "
            "or drop --min_pixels/--max_pixels."
        )


@dataclass
class BuiltTrainer:
    trainer: Any
    processor: Any
    resume_from: str | None


def build_trainer(config: GritTrainConfig, reward_funcs: list[Any] | None = None) -> BuiltTrainer:
    """Validate outputs and data, load the model, and assemble the trainer (``reward_funcs`` overrides GRPO-GR's)."""
    from grit.train.model import load_model, load_processor, lora_config
    from grit.train.rewards import reward_functions
    from grit.train.rollouts import RolloutWriter
    from grit.train.trainer import GritGRPOTrainer, JsonlMetricsCallback, use_compact_progress

    resume_from = resolve_output_dir(config.output_dir, config.resume, config.overwrite_output_dir)
    dataset = load_training_data(config)
    check_vllm_pixel_budget(config)
    if reward_funcs is None:
        reward_funcs, config.reward_weights = reward_functions(config, build_judge_from_config(config))

    processor = load_processor(config)
    model = load_model(config)
    family = config.family or model.config.model_type
    config.generation_kwargs = generation_kwargs(config, processor)
    if config.stop_at_answer and not config.use_vllm:
        bind_tokenizer_to_generate(model, processor.tokenizer)

    resume_step = int(Path(resume_from).name.split("-")[-1]) if resume_from else None
    writer = RolloutWriter(config.output_dir, partial(_to_pixels, family=family, processor=processor))
    trainer = GritGRPOTrainer(
        model=model,
        reward_funcs=reward_funcs,
        args=config,
        train_dataset=dataset,
        processing_class=processor,
        peft_config=lora_config(config),
        callbacks=[JsonlMetricsCallback(config.output_dir, resume_step)],
        rollout_writer=writer,
        rollout_log_steps=config.rollout_log_steps,
        rollout_log_count=config.rollout_log_count,
    )
    if config.progress_style == "compact":
        use_compact_progress(trainer)
    return BuiltTrainer(trainer, processor, resume_from)


def run_training(config: GritTrainConfig) -> TrainResult:
    """Validate, load, train, save. Returns where the final model is and how training went."""
    built = build_trainer(config)
    trainer = built.trainer
    result = trainer.train(resume_from_checkpoint=built.resume_from)
    trainer.save_model(config.output_dir)
    if trainer.accelerator.is_main_process:
        built.processor.save_pretrained(config.output_dir)
    if config.push_to_hub:
        trainer.push_to_hub()
    return TrainResult(
        Path(config.output_dir), trainer.state.global_step, result.training_loss, built.resume_from
    )


def _to_pixels(boxes: list[list[float]], row: dict, family: str, processor: Any) -> list[list[float]]:
    """Boxes in the model's frame -> original-image pixels, with the processor actually in use."""
    from grit.families import get_family

    frame = get_family(family).frame(row["image_width"], row["image_height"], processor=processor)
    return [list(frame.to_pixels(box)) for box in boxes]
