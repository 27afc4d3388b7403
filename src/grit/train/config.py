"""``GritTrainConfig``: TRL's ``GRPOConfig`` plus what GRPO-GR needs, with the paper's defaults.

Parsed TRL-style: ``grit train --config recipe.yaml --key value ...`` (YAML sets defaults, CLI
flags override them). Where TRL's default differs from the paper (PAPER.md §4), the paper wins:
beta 0.01 (TRL: 0.0), loss ``grpo`` with group-normalised advantages (TRL: ``dapo``), 4
generations, lr 2e-6, cosine schedule, temperature 0.9, 1000 completion tokens, 200 steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trl import GRPOConfig

from grit.judges.config import JUDGE_KINDS
from grit.prompts import SUFFIXES
from grit.rewards import PRESETS

DATA_POLICIES = ("error", "skip")
PROGRESS_STYLES = ("full", "compact")


@dataclass
class GritTrainConfig(GRPOConfig):
    """Every option of ``grit train`` (``grit train --help`` lists them with their defaults)."""

    # ---- model -------------------------------------------------------------------------------
    model_name_or_path: str | None = field(
        default=None,
        metadata={
            "help": "Hub id or local folder of the model to train (loaded with AutoModelForImageTextToText)."
        },
    )
    family: str | None = field(
        default=None,
        metadata={
            "help": "Model family (qwen2_5_vl, qwen2_vl, qwen3_vl, internvl). Default: the config's model_type."
        },
    )
    torch_dtype: str = field(
        default="auto",
        metadata={
            "help": "Weights dtype: auto (bf16 when --bf16, else float32), bfloat16, float16, float32."
        },
    )
    attn_implementation: str | None = field(
        default=None,
        metadata={"help": "Attention kernel, e.g. sdpa or flash_attention_2 (needs flash-attn)."},
    )
    min_pixels: int | None = field(
        default=None,
        metadata={
            "help": "Processor pixel budget, lower bound (Qwen families). Authors' Qwen2.5-VL setting: 3136."
        },
    )
    max_pixels: int | None = field(
        default=None,
        metadata={
            "help": "Processor pixel budget, upper bound (Qwen families). Authors' setting: 200704 (256*28*28)."
        },
    )

    # ---- data --------------------------------------------------------------------------------
    train_data: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Training data: GRIT-format JSON Lines files, each optionally 'file.jsonl=image_dir'."
        },
    )
    data_policy: str = field(
        default="error",
        metadata={"help": "Bad rows: 'error' stops naming file/line/field; 'skip' counts and reports."},
    )
    prompt_mode: str = field(default="grit", metadata={"help": "Prompt: grit (the paper's), direct or cot."})
    max_train_samples: int | None = field(
        default=None, metadata={"help": "Use only the first N training rows (the paper uses 20)."}
    )

    # ---- rewards (GRPO-GR) -------------------------------------------------------------------
    reward_preset: str = field(
        default="paper",
        metadata={
            "help": "paper: r = format + count (0.5) + answer (judge binarised at 0.5 + 0.1 BLEU-1). "
            "release: the authors' released code (count 1.0, judge > 0, repetition and <answer> rewards)."
        },
    )
    format_reward_weight: float = field(default=1.0, metadata={"help": "Weight of the format reward."})
    count_reward_weight: float = field(default=1.0, metadata={"help": "Weight of the count reward."})
    answer_reward_weight: float = field(default=1.0, metadata={"help": "Weight of the answer reward."})

    # ---- judge -------------------------------------------------------------------------------
    judge: str = field(default="auto", metadata={"help": "Answer judge: " + ", ".join(JUDGE_KINDS) + "."})
    judge_model: str = field(default="gpt-4o", metadata={"help": "LLM judge model name (judge=llm)."})
    judge_base_url: str | None = field(
        default=None, metadata={"help": "OpenAI-compatible base URL of the LLM judge (judge=llm)."}
    )
    judge_api_key_env: str = field(
        default="OPENAI_API_KEY", metadata={"help": "Environment variable holding the judge's API key."}
    )
    judge_concurrency: int = field(default=16, metadata={"help": "Concurrent LLM judge calls."})
    judge_timeout: float = field(default=30.0, metadata={"help": "Seconds per LLM judge call."})
    judge_max_retries: int = field(default=4, metadata={"help": "Retries per LLM judge call before None."})
    judge_cache_dir: str | None = field(default=None, metadata={"help": "On-disk cache of judge replies."})

    # ---- LoRA --------------------------------------------------------------------------------
    use_lora: bool = field(
        default=False, metadata={"help": "Train LoRA adapters (peft) instead of all weights."}
    )
    lora_r: int = field(default=16, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA alpha."})
    lora_dropout: float = field(default=0.05, metadata={"help": "LoRA dropout."})
    lora_target_modules: list[str] = field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        metadata={"help": "Module names that get LoRA adapters (language model projections by default)."},
    )
    freeze_vision_tower: bool = field(
        default=False,
        metadata={"help": "Keep the vision encoder's weights frozen (full fine-tuning or LoRA)."},
    )

    # ---- rollouts you can see ----------------------------------------------------------------
    rollout_log_steps: int = field(
        default=10, metadata={"help": "Every N steps, save a few rollouts with their boxes drawn (0: never)."}
    )
    rollout_log_count: int = field(default=4, metadata={"help": "How many rollouts to save each time."})
    stop_at_answer: bool = field(
        default=True, metadata={"help": "Stop generating at '</answer>' (the paper's stop string)."}
    )
    progress_style: str = field(
        default="full",
        metadata={
            "help": "full: print every log entry under the progress bar (transformers' default); "
            "compact: show reward, grounded rate and KL on the bar and print nothing per step "
            "(every entry still goes to metrics.jsonl)."
        },
    )

    # ---- outputs -----------------------------------------------------------------------------
    resume: bool = field(
        default=False,
        metadata={"help": "Continue from the latest checkpoint in output_dir to the same final step."},
    )
    overwrite_output_dir: bool = field(
        default=False,
        metadata={
            "help": "Allow writing into a non-empty output_dir (nothing is deleted; files may be replaced)."
        },
    )

    # ---- the paper's optimisation settings as defaults (TRL's defaults differ) ---------------
    learning_rate: float = field(default=2e-6, metadata={"help": "Learning rate (paper: 2e-6)."})
    lr_scheduler_type: str = field(default="cosine", metadata={"help": "LR schedule (paper: cosine)."})
    beta: float = field(
        default=0.01, metadata={"help": "KL coefficient to the reference model (paper: 0.01)."}
    )
    num_generations: int | None = field(default=4, metadata={"help": "Completions per prompt (paper: 4)."})
    temperature: float = field(
        default=0.9, metadata={"help": "Sampling temperature of rollouts (paper: 0.9)."}
    )
    max_completion_length: int | None = field(
        default=1000, metadata={"help": "Max completion tokens (paper: 1000)."}
    )
    loss_type: str = field(
        default="grpo",
        metadata={"help": "Policy loss (paper: grpo, sequence-normalised; TRL default: dapo)."},
    )
    max_steps: int = field(default=200, metadata={"help": "Optimizer steps (paper: 200)."})
    logging_steps: float = field(default=1, metadata={"help": "Log every N steps."})
    save_steps: float = field(default=50, metadata={"help": "Save a checkpoint every N steps."})

    def __post_init__(self) -> None:
        if self.bf16 is None and not self.fp16:
            # TRL turns bf16 on by default, which fails on machines without a bf16 GPU; grit
            # turns it on only where it can run (recipes that need it say bf16: true).
            self.bf16 = _bf16_gpu_available() and not self.use_cpu
        super().__post_init__()
        validate_grit_fields(self)


def _bf16_gpu_available() -> bool:
    import torch

    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()


def validate_grit_fields(config: GritTrainConfig) -> None:
    """Fail before any model loads, naming the field, for the settings grit adds."""
    if not config.model_name_or_path:
        raise ValueError("model_name_or_path: required (a hub id or a local model folder)")
    if not config.train_data:
        raise ValueError("train_data: required (one or more GRIT-format .jsonl files)")
    checks = {
        "reward_preset": (config.reward_preset, tuple(PRESETS)),
        "data_policy": (config.data_policy, DATA_POLICIES),
        "prompt_mode": (config.prompt_mode, tuple(SUFFIXES)),
        "judge": (config.judge, JUDGE_KINDS),
        "progress_style": (config.progress_style, PROGRESS_STYLES),
    }
    for name, (value, allowed) in checks.items():
        if value not in allowed:
            raise ValueError(f"{name}: {value!r} is not one of {list(allowed)}")
    if config.max_train_samples is not None and config.max_train_samples < 1:
        raise ValueError(f"max_train_samples: must be >= 1, got {config.max_train_samples}")
    if config.rollout_log_steps < 0 or config.rollout_log_count < 0:
        raise ValueError("rollout_log_steps / rollout_log_count: must be >= 0")
    for name in ("min_pixels", "max_pixels"):
        value = getattr(config, name)
        if value is not None and value <= 0:
            raise ValueError(f"{name}: must be positive, got {value}")
    if config.min_pixels and config.max_pixels and config.min_pixels > config.max_pixels:
        raise ValueError(f"min_pixels: {config.min_pixels} is larger than max_pixels {config.max_pixels}")
    if config.resume and config.overwrite_output_dir:
        raise ValueError("resume / overwrite_output_dir: choose one")
