"""The GRIT data format: JSON Lines files, each with its own image folder (PAPER.md §5).

A row has ``question``, ``answer``, ``image`` (path relative to the file's image folder),
``width``, ``height``, ``bboxs`` (``[[x1, y1, x2, y2], ...]`` in original pixels, may be empty),
``dataset``, and ``split`` or ``key_words``. An optional ``question_type`` overrides detection and
an optional ``id`` names the row.

Image folder of a file, first match wins:
1. an explicit mapping (``"file.jsonl=images/"`` on the command line, ``image_dirs`` in Python);
2. a folder next to the file named like its stem (``vsr_val.jsonl`` -> ``vsr_val/``);
3. a folder ``images/`` next to the file;
4. the file's own folder.
Absolute ``image`` paths are used as they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grit.data.errors import DataError, LoadReport, Policy, Problem, RowProblem
from grit.data.records import (
    DEFAULT_BOX_TOLERANCE,
    IMAGE_CHECKS,
    ImageCheck,
    Record,
    check_boxes,
    check_declared_size,
    check_image_file,
    check_size,
    check_text,
    resolve_question_type,
    text_or_json,
)
from grit.prompts import PromptMode

if TYPE_CHECKING:
    from datasets import Dataset

PathLike = str | Path
ImageDirs = Mapping[PathLike, PathLike] | Sequence[PathLike | None] | PathLike | None


def split_spec(spec: PathLike) -> tuple[Path, Path | None]:
    """``"data.jsonl=imgs/"`` -> (data.jsonl, imgs/); a plain path has no explicit folder."""
    text = str(spec)
    if "=" in text and not Path(text).exists():
        path, _, folder = text.partition("=")
        return Path(path), Path(folder)
    return Path(text), None


def default_image_dir(jsonl: Path) -> Path:
    """The image folder of ``jsonl`` when none is given (see the module docstring for the rule)."""
    for candidate in (jsonl.parent / jsonl.stem, jsonl.parent / "images"):
        if candidate.is_dir():
            return candidate
    return jsonl.parent


def _image_dir_for(index: int, path: Path, explicit: Path | None, image_dirs: ImageDirs) -> Path:
    if explicit is not None:
        return explicit
    if image_dirs is None:
        return default_image_dir(path)
    if isinstance(image_dirs, (str, Path)):
        return Path(image_dirs)
    if isinstance(image_dirs, Mapping):
        for key, folder in image_dirs.items():
            if Path(key) == path or Path(key).resolve() == path.resolve():
                return Path(folder)
        return default_image_dir(path)
    folder = image_dirs[index] if index < len(image_dirs) else None
    return Path(folder) if folder is not None else default_image_dir(path)


def validate_row(
    raw: Mapping[str, Any],
    *,
    id_prefix: str,
    index: int,
    default_dataset: str,
    image_dir: Path | None = None,
    image_check: ImageCheck = "full",
    box_tolerance: float = DEFAULT_BOX_TOLERANCE,
) -> Record:
    """Check one GRIT-format row; raise ``RowProblem`` on the first thing wrong with it."""
    question = check_text(raw.get("question"), "question")
    answer = check_text(raw.get("answer"), "answer")
    image_value = raw.get("image")
    if image_value is None or (isinstance(image_value, str) and not image_value.strip()):
        raise RowProblem("image", "missing_image", "missing image path")
    if not isinstance(image_value, str):
        raise RowProblem("image", "bad_image", f"image must be a path, got {type(image_value).__name__}")
    image_path = Path(image_value)
    if not image_path.is_absolute() and image_dir is not None:
        image_path = image_dir / image_path
    declared = (check_size(raw.get("width"), "width"), check_size(raw.get("height"), "height"))
    actual = check_image_file(image_path, image_check)
    width, height = check_declared_size(declared, actual)
    boxes = check_boxes(raw.get("bboxs"), width, height, tolerance=box_tolerance)
    dataset = raw.get("dataset")
    dataset = str(dataset) if dataset not in (None, "") else default_dataset
    qtype = resolve_question_type(raw.get("question_type"), question, answer)
    own_id = raw.get("id", raw.get("question_id"))
    return Record(
        id=f"{id_prefix}:{index if own_id in (None, '') else own_id}",
        question=question,
        answer=answer,
        image=str(image_path.resolve()) if image_check != "none" else str(image_path.absolute()),
        width=width,
        height=height,
        boxes=boxes,
        dataset=dataset,
        question_type=qtype,
        split=text_or_json(raw.get("split")),
        key_words=text_or_json(raw.get("key_words")),
    )


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
    """(line number, row) for each non-blank line; a ``Problem`` instead of a row for bad JSON."""
    with path.open("r", encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield (
                    line_no,
                    Problem(
                        str(path), line_no, "json", "bad_json", f"bad JSON: {exc.msg} at column {exc.colno}"
                    ),
                )
                continue
            if not isinstance(row, dict):
                yield (
                    line_no,
                    Problem(
                        str(path),
                        line_no,
                        "json",
                        "bad_json",
                        f"a row must be a JSON object, got {type(row).__name__}",
                    ),
                )
                continue
            yield line_no, row


def read_grit_jsonl(
    path: PathLike,
    image_dir: PathLike | None = None,
    *,
    policy: Policy = "error",
    image_check: ImageCheck = "full",
    box_tolerance: float = DEFAULT_BOX_TOLERANCE,
    report: LoadReport | None = None,
) -> list[Record]:
    """Validated records of one GRIT-format file (raises ``DataError`` or records problems by ``policy``)."""
    _check_options(policy, image_check)
    path = Path(path)
    report = report if report is not None else LoadReport()
    report.sources.append(str(path))
    if not path.is_file():
        problem = Problem(str(path), None, "path", "file_missing", f"data file not found: {path}")
        if policy == "error":
            raise DataError(problem)
        report.add_problem(problem)
        return []
    folder = Path(image_dir) if image_dir is not None else default_image_dir(path)
    if image_check != "none" and not folder.is_dir():
        problem = Problem(
            str(path), None, "image_dir", "image_dir_missing", f"image folder not found: {folder}"
        )
        if policy == "error":
            raise DataError(problem)
    records: list[Record] = []
    for line_no, row in iter_jsonl(path):
        report.rows_read += 1
        if isinstance(row, Problem):
            problem = row
        else:
            try:
                record = validate_row(
                    row,
                    id_prefix=path.stem,
                    index=line_no,
                    default_dataset=path.stem,
                    image_dir=folder,
                    image_check=image_check,
                    box_tolerance=box_tolerance,
                )
            except RowProblem as exc:
                problem = Problem(str(path), line_no, exc.field, exc.reason, exc.message)
            else:
                records.append(record)
                _count(report, record)
                continue
        if policy == "error":
            raise DataError(problem)
        report.add_problem(problem)
    return records


def load_grit_jsonl(
    paths: PathLike | Sequence[PathLike],
    image_dirs: ImageDirs = None,
    *,
    policy: Policy = "error",
    prompt_mode: PromptMode = "grit",
    image_check: ImageCheck = "full",
    box_tolerance: float = DEFAULT_BOX_TOLERANCE,
    system_prompt: str | None = None,
) -> tuple[Dataset, LoadReport]:
    """Load one or several GRIT-format files into one dataset with lazy images.

    ``paths`` items may be ``"file.jsonl=image_dir"``. ``image_dirs`` is one folder for all files,
    a list parallel to ``paths``, or a mapping file -> folder. Returns the dataset and a report of
    what was read, kept and skipped.
    """
    from grit.data.build import records_to_dataset

    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    report = LoadReport()
    records: list[Record] = []
    for index, item in enumerate(items):
        path, explicit = split_spec(item)
        folder = _image_dir_for(index, path, explicit, image_dirs)
        records.extend(
            read_grit_jsonl(
                path,
                folder,
                policy=policy,
                image_check=image_check,
                box_tolerance=box_tolerance,
                report=report,
            )
        )
    warn_skipped(report)
    return records_to_dataset(records, prompt_mode, system_prompt), report


def _count(report: LoadReport, record: Record) -> None:
    report.rows_kept += 1
    report.rows_per_dataset[record.dataset] += 1
    report.question_types[record.question_type.value] += 1
    if record.boxes:
        report.rows_with_boxes += 1


def _check_options(policy: str, image_check: str) -> None:
    if policy not in ("error", "skip"):
        raise ValueError(f"unknown policy {policy!r}; choose 'error' or 'skip'")
    if image_check not in IMAGE_CHECKS:
        raise ValueError(f"unknown image_check {image_check!r}; choose one of {list(IMAGE_CHECKS)}")


def warn_skipped(report: LoadReport) -> None:
    """Skipped rows are never silent: log them by reason."""
    if report.rows_skipped:
        import logging

        reasons = ", ".join(f"{k}={v}" for k, v in sorted(report.skipped_by_reason.items()))
        logging.getLogger("grit.data").warning(
            "skipped %d of %d rows (%s); first: %s",
            report.rows_skipped,
            report.rows_read,
            reasons,
            report.problems[0] if report.problems else "-",
        )
