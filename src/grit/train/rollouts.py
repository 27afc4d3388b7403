"""Visible rollouts: grounding statistics every step and a few rollouts with boxes drawn every N steps.

A user whose reward is stuck at zero should be able to open ``output_dir/rollouts/`` and see
why: each saved rollout has the image with the chain's boxes drawn (ground truth dashed), the
completion, every reward's value and the format checks that passed or failed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grit.chain import completion_text, is_grounded, parse_chain
from grit.draw import draw_boxes


@dataclass
class GroundingStats:
    """Per-batch statistics of the completions, logged under ``grit/``."""

    grounded_rate: float  # complete chain (think, rethink, answer) with at least one box before <rethink>
    boxes_per_completion: float
    answer_rate: float  # fraction with an <answer> part

    def as_metrics(self) -> dict[str, float]:
        return {
            "grit/grounded_rate": self.grounded_rate,
            "grit/boxes_per_completion": self.boxes_per_completion,
            "grit/answer_rate": self.answer_rate,
        }


def grounding_stats(completions: Sequence[Any]) -> GroundingStats:
    """Judge failures are logged by the answer reward itself (``judge_failures``)."""
    chains = [parse_chain(completion_text(c)) for c in completions]
    n = max(len(chains), 1)
    return GroundingStats(
        grounded_rate=sum(is_grounded(c) for c in chains) / n,
        boxes_per_completion=sum(len(c.boxes) for c in chains) / n,
        answer_rate=sum(c.answer is not None for c in chains) / n,
    )


class RolloutWriter:
    """Writes rollouts to ``output_dir/rollouts/``: ``step-N-K.png`` and one ``rollouts.jsonl`` line each.

    ``to_pixels(boxes, row)`` maps the chain's boxes from the model's frame to original-image pixels.
    Lines are appended and flushed one by one, so a killed run keeps what it wrote.
    """

    def __init__(
        self, output_dir: str | Path, to_pixels: Callable[[list[list[float]], dict], list[list[float]]]
    ):
        self.folder = Path(output_dir) / "rollouts"
        self.to_pixels = to_pixels

    def write(
        self,
        step: int,
        rows: Sequence[dict[str, Any]],
        completions: Sequence[Any],
        rewards: dict[str, Sequence[float]],
        count: int,
    ) -> list[Path]:
        self.folder.mkdir(parents=True, exist_ok=True)
        written = []
        with (self.folder / "rollouts.jsonl").open("a", encoding="utf-8") as log:
            for k in range(min(count, len(completions))):
                row = rows[k]
                text = completion_text(completions[k])
                chain = parse_chain(text)
                model_boxes = [list(b.coords) for b in chain.boxes]
                pixel_boxes = self.to_pixels(model_boxes, row) if model_boxes else []
                picture = None
                image = row.get("image")
                if image is not None:
                    picture = self.folder / f"step-{step:06d}-{k}.png"
                    labels = [b.label for b in chain.boxes]
                    draw_boxes(image, pixel_boxes, row.get("gt_boxes") or (), labels).save(picture)
                    written.append(picture)
                record = {
                    "step": step,
                    "index": k,
                    "id": row.get("id"),
                    "question": row.get("question"),
                    "answer": row.get("answer"),
                    "completion": text,
                    "think": chain.think,
                    "rethink": chain.rethink,
                    "predicted_answer": chain.answer,
                    "boxes_model_frame": model_boxes,
                    "boxes": pixel_boxes,
                    "gt_boxes": row.get("gt_boxes"),
                    "checks": {
                        name: {"passed": c.passed, "reason": c.reason} for name, c in chain.checks.items()
                    },
                    "rewards": {name: _finite(values[k]) for name, values in rewards.items()},
                    "image": picture.name if picture else None,
                }
                log.write(json.dumps(record, ensure_ascii=False) + "\n")
                log.flush()
        return written


def _finite(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value
