"""One line of ``predictions.jsonl``: a data row, its completion, the parsed chain and the judge's verdict.

Everything the metrics and the report need is computed here, once, and stored in the line, so
metrics can be recomputed from the file alone (after a resume, or by ``grit compare``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from grit.boxes import grounding_iou
from grit.chain import Chain, is_grounded, parse_chain
from grit.judges import JudgeRequest, Judgment

# Datasets whose GIoU uses the boxes of the answer (PAPER.md §6: "for OVDEval, in its answer").
ANSWER_BOX_DATASET_PREFIXES = ("ovd",)

ToPixels = Callable[[list[list[float]], tuple[int, int]], list[list[float]]]


def prediction_text(chain: Chain, prompt_mode: str) -> str | None:
    """What the judge reads: the text after ``<answer>``; in ``direct`` mode the whole completion.

    ``None`` means the chain has no answer (a grit/cot completion without ``<answer>``): it scores
    0 without a judge call, as in the paper (the answer is the part after ``<answer>``).
    """
    if chain.answer is not None:
        return chain.answer
    if prompt_mode == "direct":
        return chain.text.strip()
    return None


def judge_request(row: Mapping[str, Any], chain: Chain, prompt_mode: str) -> JudgeRequest | None:
    prediction = prediction_text(chain, prompt_mode)
    if prediction is None:
        return None
    return JudgeRequest(row["question"], row["answer"], prediction, row.get("question_type") or None)


def judge_rows(
    judge: Any, rows: Sequence[Mapping[str, Any]], chains: Sequence[Chain], prompt_mode: str
) -> list[Judgment]:
    """One judge batch for the rows that have an answer; the others get score 0 with a reason."""
    requests = [judge_request(r, c, prompt_mode) for r, c in zip(rows, chains, strict=False)]
    asked = [q for q in requests if q is not None]
    verdicts = iter(judge.judge_batch(asked) if asked else [])
    out = []
    for q in requests:
        out.append(Judgment(0.0, "no <answer> in the completion") if q is None else next(verdicts))
    return out


def _without_boxes(text: str) -> str:
    """``text`` with every box expression removed (numbers inside boxes are not counts)."""
    boxes = parse_chain(text).boxes
    if not boxes:
        return text
    parts, at = [], 0
    for b in boxes:
        parts.append(text[at : b.span[0]])
        at = b.span[1]
    parts.append(text[at:])
    return " ".join(parts)


def stated_count(answer: str | None) -> int | None:
    """The count an answer commits to ("3", "three", "There are 3 cats"), or ``None``."""
    if not answer:
        return None
    from grit.judges.numbers import extract_number

    value, _ = extract_number(_without_boxes(answer))
    if value is None or value < 0 or not float(value).is_integer():
        return None
    return int(value)


def build_record(
    row: Mapping[str, Any],
    completion: str,
    judgment: Judgment,
    to_pixels: ToPixels,
    chain: Chain | None = None,
) -> dict[str, Any]:
    """The predictions.jsonl line for ``row`` (boxes in original pixels, per-row IoU and counts)."""
    chain = chain or parse_chain(completion)
    width, height = int(row["image_width"]), int(row["image_height"])
    model_boxes = [list(b.coords) for b in chain.boxes]
    pixel_boxes = to_pixels(model_boxes, (width, height)) if model_boxes else []
    sections = [b.section for b in chain.boxes]
    gt = [list(map(float, b)) for b in row.get("gt_boxes") or []]
    dataset = str(row.get("dataset") or "")
    from_answer = dataset.lower().startswith(ANSWER_BOX_DATASET_PREFIXES)
    chosen = (
        [b for b, s in zip(pixel_boxes, sections, strict=False) if s == "answer"]
        if from_answer
        else pixel_boxes
    )
    iou = grounding_iou(chosen, gt, (width, height))
    n_listed = len(chain.boxes_before_rethink) if chain.rethink_at is not None else len(chain.boxes)
    is_count = row.get("question_type") == "count"
    count = stated_count(chain.answer) if is_count else None
    return {
        "id": row["id"],
        "dataset": dataset,
        "question": row["question"],
        "question_type": row.get("question_type"),
        "reference": row["answer"],
        "completion": completion,
        "think": chain.think,
        "rethink": chain.rethink,
        "answer": chain.answer,
        "boxes": [[round(v, 2) for v in b] for b in pixel_boxes],
        "boxes_model": model_boxes,
        "box_sections": sections,
        "box_labels": [b.label for b in chain.boxes],
        "gt_boxes": gt,
        "image_path": row.get("image_path") or "",
        "image_width": width,
        "image_height": height,
        "checks": {name: c.passed for name, c in chain.checks.items()},
        "grounded": is_grounded(chain),
        "iou": iou,
        "count_stated": count,
        "count_boxes": n_listed if is_count else None,
        "count_consistent": (count is not None and count == n_listed) if is_count else None,
        "score": judgment.score,
        "reason": judgment.reason,
    }


def skipped_record(row: Mapping[str, Any], reason: str) -> dict[str, Any]:
    """A row the data policy skipped at run time (e.g. an image that no longer decodes)."""
    return {"id": row["id"], "dataset": str(row.get("dataset") or ""), "skipped": reason}
