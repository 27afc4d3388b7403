"""Two steps of TRL's GRPOTrainer on every family's tiny model, with images, on CPU."""

from __future__ import annotations

import math

import pytest
import torch
from datasets import Dataset
from PIL import Image
from transformers import AutoModelForImageTextToText, AutoProcessor
from trl import GRPOConfig, GRPOTrainer

from grit.generation import placeholder_token_ids
from grit.prompts import build_messages

FAMILIES = ("qwen2_5_vl", "qwen2_vl", "qwen3_vl", "internvl")


def _length_reward(completions, **kwargs):
    """A trivial reward that still varies within a group, so advantages are non-zero."""
    texts = [c if isinstance(c, str) else c[0]["content"] for c in completions]
    return [float(len(t) % 7) for t in texts]


def _dataset() -> Dataset:
    colours = [(220, 30, 30), (30, 30, 220), (30, 200, 30), (240, 240, 20)]
    rows = [
        {"prompt": build_messages(f"Is the square colour {i}?"), "image": Image.new("RGB", (96, 80), c)}
        for i, c in enumerate(colours)
    ]
    return Dataset.from_list(rows)


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_two_grpo_steps(family, tiny_model_dir, tmp_path):
    path = tiny_model_dir(family)
    model = AutoModelForImageTextToText.from_pretrained(path)
    processor = AutoProcessor.from_pretrained(path)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    config = GRPOConfig(
        output_dir=str(tmp_path / "out"),
        use_cpu=True,
        max_steps=2,
        per_device_train_batch_size=2,
        num_generations=2,
        max_completion_length=8,
        learning_rate=1e-2,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        seed=0,
        generation_kwargs={"suppress_tokens": placeholder_token_ids(processor)},
    )
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=_length_reward,
        args=config,
        train_dataset=_dataset(),
        processing_class=processor,
    )
    result = trainer.train()
    assert trainer.state.global_step == 2
    assert math.isfinite(result.training_loss)
    logged = [h for h in trainer.state.log_history if "reward" in h]
    assert logged, "GRPOTrainer logged no rewards"
    changed = sum(not torch.equal(before[n], p.detach()) for n, p in model.named_parameters())
    assert changed > 0, "no parameter moved after two GRPO steps"
