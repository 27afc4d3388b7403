"""GRPO-GR on TRL: ``GritGRPOTrainer`` adds grounding metrics and saved rollouts to ``GRPOTrainer``.

Everything else (rollouts, advantages, KL, loss, checkpoints, vLLM, DeepSpeed) is TRL's. The
subclass observes the rewards step, which TRL cannot be configured to expose with images, and
keeps the padding token that ``generate`` appends after the stop string out of the loss.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback
from transformers.trainer_callback import PrinterCallback, ProgressCallback
from trl import GRPOTrainer

from grit.train.rollouts import RolloutWriter, grounding_stats

logger = logging.getLogger(__name__)


def mask_padding_after_stop(
    completion_ids: torch.Tensor,
    completion_mask: torch.Tensor,
    tokenizer: Any,
    stop_strings: list[str],
) -> torch.Tensor:
    """The completion mask without the padding token ``generate`` put after a stop string.

    When ``generate`` stops a row at a stop string it fills the rest with ``pad_token_id``. Qwen's
    pad token (``<|endoftext|>``) is also one of its EOS ids, so TRL takes the first filler for the
    row's end-of-sequence token and trains on it: a token the model never sampled, with a log-prob
    near -25, whose ratio to the reference model makes the k3 KL estimate spike to hundreds.
    Generation stops at the first stop string, so a row whose text before its last unmasked token
    holds one ended there and that last token is filler. vLLM returns no filler (nothing to do).
    """
    pad = tokenizer.pad_token_id
    mask = completion_mask.clone()
    lengths = completion_mask.sum(dim=1).tolist()
    for row, length in enumerate(lengths):
        if length < 2 or int(completion_ids[row, length - 1]) != pad:
            continue
        text = tokenizer.decode(completion_ids[row, : length - 1].tolist(), skip_special_tokens=False)
        if any(stop in text for stop in stop_strings):
            mask[row, length - 1] = 0
    return mask


class GritGRPOTrainer(GRPOTrainer):
    """``GRPOTrainer`` that logs grounded-reasoning statistics and saves rollouts with boxes drawn."""

    def __init__(
        self,
        *args: Any,
        rollout_writer: RolloutWriter | None = None,
        rollout_log_steps: int = 0,
        rollout_log_count: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.rollout_writer = rollout_writer
        self.rollout_log_steps = rollout_log_steps
        self.rollout_log_count = rollout_log_count
        self._last_rollout_step = -1

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        stop_strings = (self.args.generation_kwargs or {}).get("stop_strings")
        if stop_strings and not self.use_vllm:
            output["completion_mask"] = mask_padding_after_stop(
                output["completion_ids"], output["completion_mask"], self._tokenizer, stop_strings
            )
        return output

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        # The returned tensor is gathered over processes; this process's rows are one contiguous slice.
        start = self.accelerator.process_index * len(prompts)
        local = rewards_per_func[start : start + len(prompts)].cpu()
        rewards = {name: local[:, i].tolist() for i, name in enumerate(self.reward_func_names)}
        stats = grounding_stats(completions)
        for name, value in stats.as_metrics().items():
            self._log_metric(name, value)
        if self._should_save_rollouts():
            self._last_rollout_step = self.state.global_step
            try:
                pictures = self.rollout_writer.write(
                    self.state.global_step, inputs, completions, rewards, self.rollout_log_count
                )
            except OSError as exc:  # a full disk must not kill a long training run
                logger.warning("could not save rollouts at step %d: %s", self.state.global_step, exc)
            else:
                self._send_pictures(pictures)
        return rewards_per_func

    def _send_pictures(self, pictures: list[Path]) -> None:
        """Rollout pictures to TensorBoard / Weights & Biases, where ``report_to`` enabled them."""
        if not pictures:
            return
        step = self.state.global_step
        for callback in self.callback_handler.callbacks:
            writer = getattr(callback, "tb_writer", None)
            if writer is not None:
                import numpy as np
                from PIL import Image

                for k, picture in enumerate(pictures):
                    array = np.asarray(Image.open(picture).convert("RGB"))
                    writer.add_image(f"rollouts/{k}", array, step, dataformats="HWC")
        if "wandb" in (self.args.report_to or []):
            import wandb

            if wandb.run is not None:
                images = [wandb.Image(str(p), caption=p.name) for p in pictures]
                wandb.log({"rollouts": images}, commit=False)

    def _should_save_rollouts(self) -> bool:
        if not (self.rollout_writer and self.rollout_log_steps and self.rollout_log_count):
            return False
        if not (self.accelerator.is_main_process and self.model.training):
            return False
        step = self.state.global_step
        return step != self._last_rollout_step and step % self.rollout_log_steps == 0


class JsonlMetricsCallback(TrainerCallback):
    """Appends every log entry to ``output_dir/metrics.jsonl`` (one JSON object per line, flushed).

    On resume, entries logged after the resumed checkpoint (work that is redone) are moved to
    ``metrics.jsonl.superseded`` so the log continues without a gap or a repeat; nothing is deleted.
    """

    def __init__(self, output_dir: str | Path, resume_step: int | None = None):
        self.path = Path(output_dir) / "metrics.jsonl"
        if resume_step is not None and self.path.exists():
            self._truncate_after(resume_step)

    def _truncate_after(self, step: int) -> None:
        kept, superseded = [], []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry_step = json.loads(line).get("step", 0)
            except json.JSONDecodeError:  # a line cut by a kill
                superseded.append(line)
                continue
            (kept if entry_step <= step else superseded).append(line)
        if superseded:
            with (self.path.parent / "metrics.jsonl.superseded").open("a", encoding="utf-8") as f:
                f.write("\n".join(superseded) + "\n")
        tmp = self.path.with_suffix(".jsonl.tmp")
        tmp.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        tmp.replace(self.path)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        entry = {"step": state.global_step, "epoch": state.epoch, **logs}
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, default=float) + "\n")


class CompactProgressCallback(ProgressCallback):
    """The training bar with the figures a GRPO-GR run is watched by as its postfix.

    transformers prints every log entry under the bar; with ``logging_steps=1`` that is a
    40-key dict per step, which buries the bar. The entries are all in ``metrics.jsonl``.
    """

    SHOWN = (("reward", "reward"), ("grit/grounded_rate", "grounded"), ("kl", "kl"))

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not (state.is_world_process_zero and self.training_bar is not None and logs):
            return
        shown = {
            name: f"{logs[key]:.3f}" for key, name in self.SHOWN if isinstance(logs.get(key), int | float)
        }
        if shown:
            self.training_bar.set_postfix(shown)


def use_compact_progress(trainer: Any) -> None:
    """Swap transformers' progress display (bar or printer) for ``CompactProgressCallback``.

    Without a bar (``disable_tqdm``) nothing is shown per step; the log file still has every entry.
    """
    had_bar = trainer.pop_callback(ProgressCallback) is not None
    trainer.pop_callback(PrinterCallback)
    if had_bar:
        trainer.add_callback(CompactProgressCallback())
