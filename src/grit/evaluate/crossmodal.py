"""Cross-modal correlation (PAPER.md §6): does the text of a chain match its boxes?

For each chain with boxes: draw its boxes on the image, and the same number of random boxes on a
second copy; show both to a multimodal judge with the chain's text (boxes removed) and ask which
image matches. The order of the two images is random, so a judge that always says "1" scores
0.5. Repeat 3 times with fresh random boxes; report mean ± std (over repeats) of the fraction
judged right. A judge that fails on a chain leaves it out of that repeat (counted as ``failures``).
"""

from __future__ import annotations

import random
import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from grit.chain import parse_chain
from grit.draw import draw_boxes
from grit.evaluate.metrics import OVERALL

QUESTION = (
    "Below are two copies of the same image with boxes drawn on them, then a piece of reasoning "
    "whose box coordinates were removed. Which image shows the regions the reasoning refers to?\n"
    "Reasoning: {text}\n"
    "Reply with 1 or 2 only."
)
_EMPTY_BOX_JSON = re.compile(r"\{\s{0,8}\"bbox_2d\"\s{0,8}:\s{0,8}(?:,\s{0,8})?")


def text_without_boxes(completion: str) -> str:
    """The chain's think text with every box expression removed (what the judge reads)."""
    chain = parse_chain(completion)
    text = chain.text
    parts, at = [], 0
    for b in chain.boxes:
        parts.append(text[at : b.span[0]])
        at = b.span[1]
    parts.append(text[at:])
    joined = "".join(parts)
    joined = _EMPTY_BOX_JSON.sub("{", joined)
    think = parse_chain(joined).think
    return (think if think else joined).strip()[:4000]


def random_boxes(
    rng: random.Random, like: Sequence[Sequence[float]], width: int, height: int
) -> list[list[float]]:
    """As many random boxes as ``like``, each with the size of its counterpart, placed uniformly."""
    out = []
    for b in like:
        bw = min(max(1.0, b[2] - b[0]), width)
        bh = min(max(1.0, b[3] - b[1]), height)
        x = rng.uniform(0, width - bw)
        y = rng.uniform(0, height - bh)
        out.append([x, y, x + bw, y + bh])
    return out


def parse_pick(reply: str) -> int | None:
    """``1`` or ``2`` from the judge's reply (the last such digit), else ``None`` (retried)."""
    picks = re.findall(r"\b([12])\b", reply[-200:])
    return int(picks[-1]) if picks else None


def cross_modal_correlation(
    records: Sequence[Mapping[str, Any]],
    image_for: Callable[[Mapping[str, Any]], Any],
    judge: Any,
    repeats: int = 3,
    seed: int = 0,
    limit: int | None = None,
) -> dict[str, dict[str, Any]]:
    """``{dataset: {"mean", "std", "per_repeat", "n", "failures"}, ..., "overall": ...}``."""
    from grit.judges import MultimodalQuery

    chosen = [r for r in records if not r.get("skipped") and r.get("boxes")]
    if limit is not None:
        chosen = chosen[:limit]
    items = []
    for r in chosen:
        image = image_for(r)
        if image is not None:
            items.append((r, image, text_without_boxes(r["completion"])))
    # right[k][dataset] -> list of 0/1
    right: list[dict[str, list[float]]] = []
    failures: dict[str, int] = {}
    for k in range(repeats):
        rng = random.Random(f"{seed}:{k}")
        queries, truth = [], []
        for r, image, text in items:
            w, h = image.size
            real = draw_boxes(image, r["boxes"])
            fake = draw_boxes(image, random_boxes(rng, r["boxes"], w, h))
            first_is_real = rng.random() < 0.5
            a, b = (real, fake) if first_is_real else (fake, real)
            queries.append(MultimodalQuery(["Image 1:", a, "Image 2:", b, QUESTION.format(text=text)]))
            truth.append(1 if first_is_real else 2)
        picks = judge.ask_batch(queries, parse=parse_pick) if queries else []
        by_dataset: dict[str, list[float]] = {}
        for (r, _, _), pick, want in zip(items, picks, truth, strict=False):
            name = str(r.get("dataset") or "")
            if pick is None:
                failures[name] = failures.get(name, 0) + 1
                continue
            by_dataset.setdefault(name, []).append(1.0 if pick == want else 0.0)
        right.append(by_dataset)
    names = sorted({str(r.get("dataset") or "") for r, _, _ in items})
    out = {name: _summary([rep.get(name, []) for rep in right], failures.get(name, 0)) for name in names}
    pooled = [[v for vals in rep.values() for v in vals] for rep in right]
    out[OVERALL] = _summary(pooled, sum(failures.values()))
    return out


def _summary(per_repeat: list[list[float]], failures: int) -> dict[str, Any]:
    fractions = [sum(v) / len(v) for v in per_repeat if v]
    return {
        "mean": statistics.fmean(fractions) if fractions else None,
        "std": statistics.pstdev(fractions) if len(fractions) > 1 else 0.0 if fractions else None,
        "per_repeat": fractions,
        "n": max((len(v) for v in per_repeat), default=0),
        "failures": failures,
    }
