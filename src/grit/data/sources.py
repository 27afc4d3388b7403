"""One entry point for a mix of sources: GRIT JSON Lines files and Hugging Face datasets.

A source is a ``DataSource`` or a string:
- ``path/to/file.jsonl`` or ``path/to/file.jsonl=image_dir``: the GRIT data format;
- a folder written by ``Dataset.save_to_disk``: a Hugging Face dataset on disk;
- ``hf:owner/name`` or ``hf:owner/name@split``: a hub dataset (needs the network);
- a folder holding ``*.jsonl`` files: every file in it, each with its default image folder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from grit.data.errors import LoadReport, Policy
from grit.data.records import DEFAULT_BOX_TOLERANCE, ImageCheck
from grit.prompts import PromptMode

if TYPE_CHECKING:
    from datasets import Dataset


@dataclass
class DataSource:
    """Where rows come from. ``kind`` "jsonl" or "hf"; the other fields apply to one kind or both."""

    kind: Literal["jsonl", "hf"]
    path: str
    image_dir: str | None = None  # jsonl: the image folder; hf: root of relative image paths
    split: str | None = None  # hf only
    column_map: Mapping[str, str] = field(default_factory=dict)  # hf only
    name: str | None = None  # hf only: dataset name when rows carry none


def parse_source(spec: str | DataSource) -> list[DataSource]:
    """The sources a command-line string stands for (a folder of JSONL files gives several)."""
    if isinstance(spec, DataSource):
        return [spec]
    text = str(spec)
    if text.startswith("hf:"):
        name, _, split = text[3:].partition("@")
        return [DataSource("hf", name, split=split or None)]
    path = Path(text)
    if path.is_dir():
        if (
            (path / "dataset_info.json").exists()
            or (path / "dataset_dict.json").exists()
            or (path / "state.json").exists()
        ):
            return [DataSource("hf", text)]
        files = sorted(path.glob("*.jsonl"))
        if files:
            return [DataSource("jsonl", str(f)) for f in files]
    if "=" in text and not path.exists():
        file, _, folder = text.partition("=")
        return [DataSource("jsonl", file, image_dir=folder)]
    return [DataSource("jsonl", text)]


def load_data(
    sources: str | DataSource | Sequence[str | DataSource],
    *,
    policy: Policy = "error",
    prompt_mode: PromptMode = "grit",
    image_check: ImageCheck = "full",
    box_tolerance: float = DEFAULT_BOX_TOLERANCE,
    system_prompt: str | None = None,
) -> tuple[Dataset, LoadReport]:
    """Load and concatenate any mix of sources into one grit dataset, with one combined report."""
    from datasets import concatenate_datasets

    from grit.data.build import records_to_dataset
    from grit.data.grit_jsonl import read_grit_jsonl, warn_skipped
    from grit.data.hf import load_hf_dataset

    items = [sources] if isinstance(sources, (str, DataSource)) else list(sources)
    common: dict[str, Any] = {"policy": policy, "image_check": image_check, "box_tolerance": box_tolerance}
    report = LoadReport()
    parts = []
    records = []
    for item in items:
        for src in parse_source(item):
            if src.kind == "jsonl":
                records.extend(read_grit_jsonl(src.path, src.image_dir, report=report, **common))
                continue
            if records:
                parts.append(records_to_dataset(records, prompt_mode, system_prompt))
                records = []
            ds, sub = load_hf_dataset(
                src.path,
                src.split,
                src.column_map,
                image_root=src.image_dir,
                dataset_name=src.name,
                prompt_mode=prompt_mode,
                system_prompt=system_prompt,
                **common,
            )
            parts.append(ds)
            report.merge(sub)
    if records or not parts:
        parts.append(records_to_dataset(records, prompt_mode, system_prompt))
    warn_skipped(report)
    return (parts[0] if len(parts) == 1 else concatenate_datasets(parts)), report
