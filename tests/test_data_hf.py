"""Hugging Face datasets (save_to_disk folders) with a column map, and load_data over a mix."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from datasets import Dataset, DatasetDict, Features, Image, List, Value
from PIL import Image as PILImage

from grit.data import DataError, DataSource, load_data, load_hf_dataset


def png_bytes(size=(40, 30), colour="green") -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def hf_folder(tmp_path: Path) -> Path:
    """A DatasetDict with embedded images and the source's own column names."""
    features = Features(
        {
            "query": Value("string"),
            "label": Value("string"),
            "img": Image(),
            "boxes": List(List(Value("float32"))),
            "source": Value("string"),
        }
    )
    rows = {
        "query": ["How many green squares?", "Is the square left of the circle?", "Locate the square."],
        "label": ["1", "no", "[1, 2, 20, 25]"],
        "img": [{"bytes": png_bytes(), "path": None}] * 3,
        "boxes": [[[1, 2, 20, 25]], [], [[1, 2, 20, 25]]],
        "source": ["tallyqa", "vsr", "ovdeval"],
    }
    DatasetDict({"validation": Dataset.from_dict(rows, features=features)}).save_to_disk(tmp_path / "hf")
    return tmp_path / "hf"


COLUMN_MAP = {"question": "query", "answer": "label", "image": "img", "bboxs": "boxes", "dataset": "source"}


def test_load_from_disk_with_column_map(hf_folder: Path) -> None:
    ds, report = load_hf_dataset(hf_folder, "validation", COLUMN_MAP)
    assert len(ds) == 3 and report.rows_kept == 3
    assert ds["question_type"] == ["count", "yes_no", "box"]
    assert ds["dataset"] == ["tallyqa", "vsr", "ovdeval"]
    assert ds["image_width"] == [40] * 3 and ds["gt_boxes"][0] == [[1.0, 2.0, 20.0, 25.0]]
    assert ds[1]["image"].size == (40, 30) and ds[1]["image"].mode == "RGB"
    assert ds[0]["prompt"][0]["content"][0] == {"type": "image", "text": None}
    # a single-split DatasetDict needs no split name
    ds2, _ = load_hf_dataset(hf_folder, None, COLUMN_MAP)
    assert ds2["id"] == ds["id"]


def test_hf_errors_name_row_and_source_column(tmp_path: Path) -> None:
    features = Features(
        {"q": Value("string"), "a": Value("string"), "image": Image(), "bboxs": List(List(Value("float64")))}
    )
    good = {"bytes": png_bytes(), "path": None}
    Dataset.from_dict(
        {
            "q": ["a?", "b?", ""],
            "a": ["1", "2", "3"],
            "image": [good] * 3,
            "bboxs": [[], [[30, 2, 5, 9]], []],
        },
        features=features,
    ).save_to_disk(tmp_path / "bad")
    cmap = {"question": "q", "answer": "a"}
    with pytest.raises(DataError, match=r"bad:1: field 'bboxs\[0\]': .*inverted"):
        load_hf_dataset(tmp_path / "bad", column_map=cmap)
    ds, report = load_hf_dataset(tmp_path / "bad", column_map=cmap, policy="skip")
    assert len(ds) == 1 and report.skipped_by_reason == {"box_inverted": 1, "empty_question": 1}
    assert any("field 'q'" in str(p) for p in report.problems)
    with pytest.raises(DataError, match="no column 'question'"):
        load_hf_dataset(tmp_path / "bad")
    with pytest.raises(ValueError, match="unknown GRIT fields"):
        load_hf_dataset(tmp_path / "bad", column_map={"questions": "q"})


def test_path_column_with_image_root_and_mix(tmp_path: Path, hf_folder: Path) -> None:
    (tmp_path / "imgs").mkdir()
    PILImage.new("RGB", (50, 50), "blue").save(tmp_path / "imgs" / "x.png")
    Dataset.from_dict(
        {"question": ["Is it blue?"], "answer": ["yes"], "image": ["x.png"], "width": [50], "height": [50]}
    ).save_to_disk(tmp_path / "paths")
    jsonl = tmp_path / "j.jsonl"
    jsonl.write_text(
        json.dumps({"question": "What colour?", "answer": "blue", "image": "x.png", "bboxs": []}) + "\n"
    )
    ds, report = load_data(
        [
            f"{jsonl}={tmp_path / 'imgs'}",
            DataSource("hf", str(tmp_path / "paths"), image_dir=str(tmp_path / "imgs"), name="mine"),
            DataSource("hf", str(hf_folder), split="validation", column_map=COLUMN_MAP),
        ]
    )
    assert len(ds) == 5 and report.rows_kept == 5 and len(report.sources) == 3
    assert ds["dataset"] == ["j", "mine", "tallyqa", "vsr", "ovdeval"]
    assert ds[1]["image"].size == (50, 50) and ds[4]["image"].size == (40, 30)
    assert Path(ds[1]["image_path"]).name == "x.png"
