"""Seconds per step of ``grit train`` versus a bare TRL ``GRPOTrainer`` (target overhead <= 10%).

Both trainers get the same tiny model, data, generation settings and a constant reward, and run
side by side in one process (alternating, several rounds) so machine noise hits both alike.
grit's extra work per step is what is measured: grounding statistics, rollout pictures every
``rollout_log_steps`` steps, the metrics.jsonl log.

    .venv/bin/python benchmarks/bench_train.py [--family qwen2_5_vl] [--steps 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path


def constant_reward(completions, **kwargs):
    return [1.0] * len(completions)


def make_config(model: Path, data: Path, out: Path, steps: int):
    from grit.train.config import GritTrainConfig

    return GritTrainConfig(
        model_name_or_path=str(model), train_data=[str(data)], output_dir=str(out), use_cpu=True, bf16=False,
        max_steps=steps, per_device_train_batch_size=4, num_generations=4, max_completion_length=32,
        save_strategy="no", report_to="none", logging_steps=1, rollout_log_steps=4, rollout_log_count=2,
        judge="exact", seed=0, dataloader_num_workers=0,
    )  # fmt: skip


def time_grit(config) -> float:
    from grit.train.run import build_trainer

    trainer = build_trainer(config, reward_funcs=[constant_reward]).trainer
    start = time.perf_counter()
    trainer.train()
    return (time.perf_counter() - start) / config.max_steps


def time_bare_trl(config) -> float:
    from transformers import AutoModelForImageTextToText, AutoProcessor
    from trl import GRPOConfig, GRPOTrainer

    from grit.train.run import bind_tokenizer_to_generate, generation_kwargs, load_training_data

    dataset = load_training_data(config)
    processor = AutoProcessor.from_pretrained(config.model_name_or_path, padding_side="left")
    model = AutoModelForImageTextToText.from_pretrained(config.model_name_or_path)
    bind_tokenizer_to_generate(model, processor.tokenizer)  # same stop string as grit
    args = GRPOConfig(
        output_dir=config.output_dir + "-trl", use_cpu=True, bf16=False, max_steps=config.max_steps,
        per_device_train_batch_size=4, num_generations=4, max_completion_length=32, save_strategy="no",
        report_to="none", logging_steps=1, seed=0, beta=config.beta, loss_type=config.loss_type,
        learning_rate=config.learning_rate, temperature=config.temperature, dataloader_num_workers=0,
        generation_kwargs=generation_kwargs(config, processor),
    )  # fmt: skip
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=[constant_reward],
        args=args,
        train_dataset=dataset,
        processing_class=processor,
    )
    start = time.perf_counter()
    trainer.train()
    return (time.perf_counter() - start) / config.max_steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--family", default="qwen2_5_vl")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from grit.cli import main as grit_main
    from grit.testing import build_tiny_model

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = build_tiny_model(args.family, root / "model").path
        grit_main(
            ["data", "synth", "--n", "32", "--seed", "0", "--out", str(root / "data"), "--image-size", "128"]
        )
        data = root / "data" / "toy_train.jsonl"
        grit_times, trl_times = [], []
        for r in range(args.rounds):
            trl_times.append(time_bare_trl(make_config(model, data, root / f"trl-{r}", args.steps)))
            grit_times.append(time_grit(make_config(model, data, root / f"grit-{r}", args.steps)))
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    g, t = statistics.median(grit_times), statistics.median(trl_times)
    print(f"{'trainer':<16} {'s/step (median)':>16} {'all rounds':>30}")
    print(f"{'bare TRL':<16} {t:>16.3f} {', '.join(f'{x:.3f}' for x in trl_times):>30}")
    print(f"{'grit train':<16} {g:>16.3f} {', '.join(f'{x:.3f}' for x in grit_times):>30}")
    print(
        f"overhead: {100 * (g - t) / t:+.1f}%   (target <= 10%)   peak RSS of the process: {peak_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
