"""Hugging Face datasets (``save_to_disk`` folders and hub ids) mapped onto the GRIT fields.

``column_map`` maps a GRIT field (``question``, ``answer``, ``image``, ``width``, ``height``,
``bboxs``, ``dataset``, ``split``, ``key_words``, ``question_type``, ``id``) to the source's
column name. Images stored in the dataset (an ``Image`` feature) stay in the source's
memory-mapped Arrow files and are decoded per row; string image columns are paths, resolved
against ``image_root``. Problems name the dataset, the row index (0-based) and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grit.data.errors import DataError, LoadReport, Policy, Problem, RowProblem
from grit.data.grit_jsonl import _check_options, _count, warn_skipped
from grit.data.records import (
    DEFAULT_BOX_TOLERANCE,
    ImageCheck,
    Record,
    check_boxes,
    check_declared_size,
    check_image_bytes,
    check_image_file,
    check_size,
    check_text,
    resolve_question_type,
    text_or_json,
)
from grit.prompts import PromptMode

if TYPE_CHECKING:
    from datasets import Dataset

GRIT_FIELDS = (
    "question",
    "answer",
    "image",
    "width",
    "height",
    "bboxs",
    "dataset",
    "split",
    "key_words",
    "question_type",
    "id",
)


def open_hf_dataset(name_or_path: str | Path, split: str | None = None, **load_kwargs: Any) -> Dataset:
    """A ``Dataset`` from a ``save_to_disk`` folder or a hub id (the hub needs the network)."""
    import datasets

    path = Path(name_or_path)
    if path.exists():
        loaded = datasets.load_from_disk(str(path))
    else:
        loaded = datasets.load_dataset(str(name_or_path), split=split, **load_kwargs)
    if isinstance(loaded, datasets.DatasetDict):
        if split is None:
            if len(loaded) != 1:
                raise DataError(
                    Problem(
                        str(name_or_path),
                        None,
                        "split",
                        "split_required",
                        f"choose a split: {sorted(loaded)}",
                    )
                )
            split = next(iter(loaded))
        if split not in loaded:
            raise DataError(
                Problem(
                    str(name_or_path),
                    None,
                    "split",
                    "split_missing",
                    f"no split {split!r}; have {sorted(loaded)}",
                )
            )
        loaded = loaded[split]
    return loaded


def load_hf_dataset(
    name_or_path: str | Path,
    split: str | None = None,
    column_map: Mapping[str, str] | None = None,
    *,
    image_root: str | Path | None = None,
    dataset_name: str | None = None,
    policy: Policy = "error",
    prompt_mode: PromptMode = "grit",
    image_check: ImageCheck = "full",
    box_tolerance: float = DEFAULT_BOX_TOLERANCE,
    system_prompt: str | None = None,
    **load_kwargs: Any,
) -> tuple[Dataset, LoadReport]:
    """Load a Hugging Face dataset into the grit schema, validating every row like the JSONL loader."""
    from datasets import Image, concatenate_datasets

    from grit.data.build import dataset_features, record_columns, records_to_dataset

    _check_options(policy, image_check)
    unknown = set(column_map or {}) - set(GRIT_FIELDS)
    if unknown:
        raise ValueError(
            f"column_map has unknown GRIT fields {sorted(unknown)}; fields are {list(GRIT_FIELDS)}"
        )
    cols = {f: (column_map or {}).get(f, f) for f in GRIT_FIELDS}
    source = str(name_or_path) + (f"[{split}]" if split else "")
    src = open_hf_dataset(name_or_path, split, **load_kwargs)
    for required in ("question", "answer", "image"):
        if cols[required] not in src.column_names:
            raise DataError(
                Problem(
                    source,
                    None,
                    cols[required],
                    "missing_column",
                    f"no column {cols[required]!r} for {required}; "
                    f"columns are {src.column_names} (use column_map)",
                )
            )
    image_col = cols["image"]
    embedded = isinstance(src.features[image_col], Image)
    present = [c for c in dict.fromkeys(cols.values()) if c in src.column_names]
    view = src.select_columns(present)
    if embedded:
        view = view.cast_column(image_col, Image(decode=False))
    name = dataset_name or Path(str(name_or_path)).name
    root = Path(image_root) if image_root is not None else None

    report = LoadReport(sources=[source])
    records: list[Record] = []
    kept: list[int] = []
    for index, raw in enumerate(view):
        report.rows_read += 1
        row = {f: raw.get(c) for f, c in cols.items()}
        try:
            record = _validate(row, index, name, root, image_check, box_tolerance)
        except RowProblem as exc:
            field = exc.field.replace(
                exc.field.split("[")[0], cols.get(exc.field.split("[")[0], exc.field), 1
            )
            problem = Problem(source, index, field, exc.reason, exc.message)
            if policy == "error":
                raise DataError(problem) from None
            report.add_problem(problem)
            continue
        records.append(record)
        kept.append(index)
        _count(report, record)
    warn_skipped(report)
    if not embedded:
        return records_to_dataset(records, prompt_mode, system_prompt), report
    images = src.select(kept).select_columns([image_col])
    if image_col != "image":
        images = images.rename_column(image_col, "image")
    images = images.cast_column("image", Image(mode="RGB"))
    meta_features = dataset_features(with_image=False)
    from datasets import Dataset

    meta = Dataset.from_dict(record_columns(records, prompt_mode, system_prompt), features=meta_features)
    out = concatenate_datasets([images, meta], axis=1)
    return out.select_columns(list(dataset_features())), report


def _validate(
    row: dict[str, Any], index: int, name: str, root: Path | None, image_check: ImageCheck, tolerance: float
) -> Record:
    question = check_text(row["question"], "question")
    answer = check_text(row["answer"], "answer")
    value = row["image"]
    declared = (check_size(row["width"], "width"), check_size(row["height"], "height"))
    image: str | bytes
    if isinstance(value, dict) and value.get("bytes"):
        image = ""  # the bytes stay in the source dataset
        actual = check_image_bytes(value["bytes"], image_check)
    else:
        path_text = value.get("path") if isinstance(value, dict) else value
        if not isinstance(path_text, str) or not path_text.strip():
            raise RowProblem("image", "missing_image", "missing image")
        path = Path(path_text)
        if not path.is_absolute() and root is not None:
            path = root / path
        image = str(path.resolve())
        actual = check_image_file(path, image_check)
    width, height = check_declared_size(declared, actual)
    boxes = check_boxes(row["bboxs"], width, height, tolerance=tolerance)
    dataset = str(row["dataset"]) if row["dataset"] not in (None, "") else name
    own_id = row["id"]
    return Record(
        id=f"{name}:{index if own_id in (None, '') else own_id}",
        question=question,
        answer=answer,
        image=image,
        width=width,
        height=height,
        boxes=boxes,
        dataset=dataset,
        question_type=resolve_question_type(row["question_type"], question, answer),
        split=text_or_json(row["split"]),
        key_words=text_or_json(row["key_words"]),
    )
