"""``grit demo``: evaluate the toy base, train it with GRPO-GR on 20 examples, evaluate again (CPU, minutes)."""

from __future__ import annotations

import argparse

# The GRPO settings a user may vary, beside the learning rate: (DemoConfig field, type, help).
GRPO_OPTIONS = (
    ("max_completion_length", int, "new tokens per GRPO-GR rollout (default {default}; the paper's is 1000)"),
    (
        "temperature",
        float,
        "sampling temperature of the GRPO-GR rollouts (default {default}; the paper's is 0.9)",
    ),
    ("num_generations", int, "completions per prompt, GRPO's group (default {default}; the paper's is 4)"),
    ("prompts_per_step", int, "training prompts per GRPO-GR step (default {default})"),
    ("beta", float, "weight of the KL penalty to the base (default {default}; the paper's is 0.01)"),
    (
        "loss_type",
        str,
        "policy loss: grpo (default, the paper's: each completion's tokens averaged), dapo, dr_grpo "
        "or bnpo (TRL's token-level losses)",
    ),
)


def register(subparsers: argparse._SubParsersAction) -> None:
    from grit.toy.demo import REWARD_MODES, DemoConfig

    defaults = DemoConfig()
    parser = subparsers.add_parser(
        "demo",
        help="Run the end-to-end toy-world demo: evaluate, train with GRPO-GR on 20 examples, evaluate again",
        description=(
            "Show GRIT's claim on a CPU in minutes, with no downloads: the shipped toy base (a small "
            "Qwen2.5-VL-architecture model pre-trained on synthetic scenes) is evaluated with the GRIT "
            "prompt on held-out questions, trained with GRPO-GR on 20 triplets (10 counting + 10 "
            "spatial) whose rewards see only answers and format, and evaluated again. Writes "
            "OUT/metrics.json (before/after), OUT/report.html and prints a before/after table. "
            "A finished stage is reused when the command is run again on the same OUT."
        ),
    )
    parser.add_argument("--out", default=defaults.out, help=f"output folder (default {defaults.out})")
    parser.add_argument("--model", default=None, help="base model folder (default: the shipped toy base)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--steps", type=int, default=defaults.max_steps, help="GRPO-GR steps")
    parser.add_argument(
        "--n-train", type=int, default=defaults.n_train, help="training triplets (default 20)"
    )
    parser.add_argument(
        "--n-eval", type=int, default=defaults.n_eval, help="held-out questions (default 500)"
    )
    parser.add_argument(
        "--reward-mode",
        choices=sorted(REWARD_MODES),
        default=defaults.reward_mode,
        help="grpo-gr (paper), no-count, or answer-only (plain GRPO)",
    )
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    for field, kind, text in GRPO_OPTIONS:
        default = getattr(defaults, field)
        parser.add_argument(
            "--" + field.replace("_", "-"), type=kind, default=default, help=text.format(default=default)
        )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from grit.toy.demo import DemoConfig, run_demo

    run_demo(
        DemoConfig(
            out=args.out,
            model=args.model,
            seed=args.seed,
            max_steps=args.steps,
            n_train=args.n_train,
            n_eval=args.n_eval,
            reward_mode=args.reward_mode,
            learning_rate=args.learning_rate,
            **{field: getattr(args, field) for field, _, _ in GRPO_OPTIONS},
            threads=args.threads,
        )
    )
    return 0
