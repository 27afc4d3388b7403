"""``grit eval`` as a function: generate, judge and record every row once, then metrics and report.

The loop is resumable: rows already in ``predictions.jsonl`` are skipped, new rows are appended
one flushed line each, and metrics are recomputed from the file at the end (so a killed and
restarted run gives the same numbers as an uninterrupted one).
"""

from __future__ import annotations

import io
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from grit.chain import parse_chain
from grit.evaluate import frames
from grit.evaluate.generate import GenerationSettings, HFBackend, ReplayBackend, VLLMBackend, read_completions
from grit.evaluate.metrics import compute_metrics, format_table
from grit.evaluate.predictions import (
    METRICS,
    PREDICTIONS,
    PredictionsWriter,
    prepare_out_dir,
    read_predictions,
    write_json_atomic,
)
from grit.evaluate.records import build_record, judge_rows, skipped_record
from grit.judges import JudgeConfig, Judgment, build_judge

logger = logging.getLogger(__name__)

BACKENDS = ("hf", "vllm")


@dataclass
class EvalConfig:
    """Everything ``grit eval`` takes. Fields in :func:`settings_key` decide whether a DIR can resume."""

    model: str
    data: list[str]
    out_dir: str
    prompt_mode: str = "grit"
    batch_size: int = 16
    backend: str = "hf"
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    judge: JudgeConfig = field(default_factory=JudgeConfig)
    data_policy: str = "error"
    image_check: str = "full"
    system_prompt: str | None = None
    limit: int | None = None  # first N rows of each dataset
    completions: str | None = None  # score these completions instead of generating
    overwrite: bool = False
    report: bool = True
    report_max_samples: int = 500
    cross_modal: bool = False
    cross_modal_repeats: int = 3
    cross_modal_limit: int | None = None
    seed: int = 0
    progress: bool = True
    device: str | None = None


@dataclass
class EvalResult:
    out_dir: Path
    metrics: dict[str, Any]
    rows_new: int
    rows_total: int
    seconds: float


def settings_key(config: EvalConfig) -> dict[str, Any]:
    """The settings that change predictions; a DIR resumes only under the same ones."""
    return {
        "model": config.model,
        "prompt_mode": config.prompt_mode,
        "system_prompt": config.system_prompt,
        "backend": "replay" if config.completions else config.backend,
        "completions": str(Path(config.completions).resolve()) if config.completions else None,
        "generation": asdict(config.generation),
        "judge": {
            "kind": config.judge.kind,
            "model": config.judge.model if config.judge.kind == "llm" else None,
            "score_mode": config.judge.score_mode,
        },
    }


def make_backend(config: EvalConfig) -> Any:
    if config.completions:
        return ReplayBackend(config.model, read_completions(config.completions), config.generation)
    if config.backend == "vllm":
        return VLLMBackend(config.model, config.generation)
    if config.backend != "hf":
        raise ValueError(f"unknown backend {config.backend!r}; choose one of {BACKENDS}")
    return HFBackend(config.model, config.generation, device=config.device)


def decode_image(value: Any) -> Any:
    """A PIL RGB image from a ``datasets.Image(decode=False)`` cell ({"path", "bytes"})."""
    from PIL import Image

    if value is None:
        raise ValueError("row has no image")
    if hasattr(value, "convert"):
        return value.convert("RGB")
    source = io.BytesIO(value["bytes"]) if value.get("bytes") else value.get("path")
    if not source:
        raise ValueError("row has no image")
    with Image.open(source) as im:
        return im.convert("RGB")


def _undecoded(dataset: Any) -> Any:
    from datasets import Image

    if "image" in dataset.column_names:
        return dataset.cast_column("image", Image(decode=False))
    return dataset


def select_rows(ids: Sequence[str], datasets: Sequence[str], limit: int | None) -> list[int]:
    """Indices to evaluate: each id once (first occurrence), at most ``limit`` per dataset."""
    seen: set[str] = set()
    per_dataset: dict[str, int] = {}
    keep = []
    for i, (key, name) in enumerate(zip(ids, datasets, strict=False)):
        if key in seen:
            logger.warning("duplicate row id %r: evaluated once", key)
            continue
        if limit is not None and per_dataset.get(name, 0) >= limit:
            continue
        seen.add(key)
        per_dataset[name] = per_dataset.get(name, 0) + 1
        keep.append(i)
    return keep


def _safe_judge(judge: Any, rows: list[dict], chains: list, prompt_mode: str) -> list[Judgment]:
    """A judge that raises (not a configuration error) must not stop the run: its rows get ``None``."""
    from grit.judges import JudgeConfigurationError

    try:
        return judge_rows(judge, rows, chains, prompt_mode)
    except JudgeConfigurationError:
        raise
    except Exception as exc:  # an outage: counted as judge failures, the run goes on
        logger.warning("judge failed on a batch of %d rows: %s", len(rows), exc)
        return [Judgment(None, f"judge error: {type(exc).__name__}: {exc}"[:300]) for _ in rows]


def run_eval(
    config: EvalConfig,
    backend: Any = None,
    judge: Any = None,
    log: Callable[[str], None] | None = None,
) -> EvalResult:
    """Evaluate ``config.model`` on ``config.data`` into ``config.out_dir`` (resuming if possible)."""
    from grit.data import load_data

    log = log or (lambda text: print(text, file=sys.stderr))
    start = time.perf_counter()
    out = prepare_out_dir(config.out_dir, settings_key(config), config.overwrite)
    dataset, load_report = load_data(
        config.data,
        policy=config.data_policy,
        prompt_mode=config.prompt_mode,
        image_check=config.image_check,
        system_prompt=config.system_prompt,
    )
    table = _undecoded(dataset)
    ids = [str(i) for i in table["id"]]
    selected = select_rows(ids, table["dataset"], config.limit)
    judge = judge or build_judge(config.judge)
    rows_new = 0
    with PredictionsWriter(out) as writer:
        todo = [i for i in selected if ids[i] not in writer.done]
        if todo:
            backend = backend or make_backend(config)
            to_pixels = partial(_to_pixels, model_type=backend.model_type, processor=backend.processor)
            rows_new = _generate_all(config, table, todo, backend, judge, to_pixels, writer, len(selected))
    wanted = {ids[i] for i in selected}
    records = [r for r in read_predictions(out / PREDICTIONS) if str(r["id"]) in wanted]
    metrics = compute_metrics(records)
    result: dict[str, Any] = {
        "metrics": metrics,
        "settings": settings_key(config),
        "data": {
            "sources": list(config.data),
            "rows_read": load_report.rows_read,
            "rows_kept": load_report.rows_kept,
            "rows_skipped_at_load": load_report.rows_skipped,
            "skipped_by_reason": dict(load_report.skipped_by_reason),
        },
        "judge": {"kind": config.judge.kind, "score_mode": config.judge.score_mode},
        "cross_modal": None,
    }
    image_for = partial(_image_for, table=table, index={k: i for i, k in enumerate(ids)})
    if config.cross_modal:
        from grit.evaluate.crossmodal import cross_modal_correlation

        result["cross_modal"] = cross_modal_correlation(
            records,
            image_for,
            _multimodal_judge(config.judge),
            repeats=config.cross_modal_repeats,
            seed=config.seed,
            limit=config.cross_modal_limit,
        )
    write_json_atomic(out / METRICS, result)
    if config.report:
        from grit.report import write_report

        write_report(
            out, records=records, metrics=result, image_for=image_for, max_samples=config.report_max_samples
        )
    seconds = time.perf_counter() - start
    log(format_table(metrics))
    if result["cross_modal"] and result["cross_modal"]["overall"]["mean"] is not None:
        cm = result["cross_modal"]["overall"]
        log(f"cross-modal correlation: {cm['mean']:.3f} ± {cm['std']:.3f} over {cm['n']} chains")
    log(f"{rows_new} new rows, {len(records)} in {out / PREDICTIONS} ({seconds:.1f} s)")
    return EvalResult(out, result, rows_new, len(records), seconds)


def _to_pixels(
    boxes: list[list[float]], size: tuple[int, int], model_type: str, processor: Any
) -> list[list[float]]:
    return frames.to_pixels(boxes, model_type, size, processor)


def _image_for(record: dict[str, Any], table: Any, index: dict[str, int]) -> Any:
    """The image of a prediction record (from the loaded data; else its file), or ``None``."""
    try:
        i = index.get(str(record["id"]))
        if i is not None:
            return decode_image(table[i]["image"])
        if record.get("image_path"):
            return decode_image({"path": record["image_path"], "bytes": None})
    except Exception as exc:  # the report shows the row without a picture
        logger.warning("no image for %s: %s", record.get("id"), exc)
    return None


def _multimodal_judge(config: JudgeConfig) -> Any:
    from grit.judges import LLMJudge

    return LLMJudge.from_config(config)


def _generate_all(
    config: EvalConfig,
    table: Any,
    todo: list[int],
    backend: Any,
    judge: Any,
    to_pixels: Callable,
    writer: PredictionsWriter,
    total: int,
) -> int:
    from grit.data import DataError, Problem

    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm ships with transformers
        tqdm = None
    bar = (
        tqdm(total=total, initial=total - len(todo), unit="row", desc="grit eval", file=sys.stderr)
        if tqdm and config.progress
        else None
    )
    written = 0
    try:
        for lo in range(0, len(todo), max(1, config.batch_size)):
            batch = todo[lo : lo + config.batch_size]
            rows, images, skipped = [], [], []
            for i in batch:
                row = table[i]
                try:
                    images.append(decode_image(row.get("image")))
                    rows.append(row)
                except Exception as exc:
                    if config.data_policy == "error":
                        problem = Problem(
                            row.get("image_path") or str(row["id"]),
                            None,
                            "image",
                            "image_unreadable",
                            f"row {row['id']}: image cannot be read ({exc}); --data-policy skip skips it",
                        )
                        raise DataError(problem) from exc
                    logger.warning("row %s skipped: image cannot be read (%s)", row["id"], exc)
                    skipped.append(skipped_record(row, f"image_unreadable: {exc}"[:300]))
            if rows:
                if isinstance(backend, ReplayBackend):
                    completions = backend.generate_for([r["id"] for r in rows])
                else:
                    completions = backend.generate([r["prompt"] for r in rows], images)
                chains = [parse_chain(c) for c in completions]
                verdicts = _safe_judge(judge, rows, chains, config.prompt_mode)
                records = [
                    build_record(r, c, v, to_pixels, chain)
                    for r, c, v, chain in zip(rows, completions, verdicts, chains, strict=False)
                ]
            else:
                records = []
            writer.write_many([*records, *skipped])
            written += len(records) + len(skipped)
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()
    return written
