"""The GRIT data format loader: reading, columns, lazy images, and every validation error."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from grit.data import DataError, LoadReport, load_grit_jsonl, read_grit_jsonl
from grit.data.errors import RowProblem
from grit.data.records import check_boxes
from grit.prompts import COLUMNS, build_messages


def make_image(path: Path, size: tuple[int, int] = (64, 48), colour: str = "red", fmt: str = "PNG") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, format=fmt)
    return path


def write_jsonl(path: Path, rows: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def row(**overrides) -> dict:
    base = {
        "question": "How many red squares are there?",
        "answer": "1",
        "image": "a.png",
        "width": 64,
        "height": 48,
        "bboxs": [[4.0, 5.0, 30.5, 40.0]],
        "dataset": "tallyqa",
        "split": "val",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not ...}


@pytest.fixture
def grit_folder(tmp_path: Path) -> Path:
    """Two datasets in the authors' layout: one file with ``split``, one with ``key_words``."""
    make_image(tmp_path / "tallyqa_val" / "a.png")
    make_image(tmp_path / "tallyqa_val" / "b.png", size=(32, 32), colour="blue")
    write_jsonl(
        tmp_path / "tallyqa_val.jsonl",
        [row(), row(image="b.png", width=32, height=32, answer="0", bboxs=[])],
    )
    make_image(tmp_path / "ovd" / "c.jpg", size=(100, 80), fmt="JPEG")
    write_jsonl(
        tmp_path / "ovd_position_val.jsonl",
        [
            {
                "question": "Locate the person on the left of the car.",
                "answer": "[10, 10, 50, 70]",
                "image": "c.jpg",
                "width": 100,
                "height": 80,
                "bboxs": [[10, 10, 50, 70]],
                "dataset": "ovdeval",
                "key_words": ["person", "car"],
            }
        ],
    )
    return tmp_path


def load_both(folder: Path, **kwargs):
    return load_grit_jsonl(
        [folder / "tallyqa_val.jsonl", f"{folder / 'ovd_position_val.jsonl'}={folder / 'ovd'}"], **kwargs
    )


def test_reads_several_files_each_with_its_image_folder(grit_folder: Path) -> None:
    ds, report = load_both(grit_folder)
    assert len(ds) == 3
    assert set(COLUMNS) | {"image_path"} <= set(ds.column_names)
    assert ds["dataset"] == ["tallyqa", "tallyqa", "ovdeval"]
    assert ds["question_type"] == ["count", "count", "box"]
    assert ds["gt_boxes"] == [[[4.0, 5.0, 30.5, 40.0]], [], [[10.0, 10.0, 50.0, 70.0]]]
    assert ds["image_width"] == [64, 32, 100] and ds["image_height"] == [48, 32, 80]
    assert ds["split"] == ["val", "val", ""]
    assert json.loads(ds["key_words"][2]) == ["person", "car"]
    assert ds["id"] == ["tallyqa_val:1", "tallyqa_val:2", "ovd_position_val:1"]
    assert report.rows_read == 3 and report.rows_kept == 3 and report.rows_skipped == 0
    assert report.rows_per_dataset == {"tallyqa": 2, "ovdeval": 1}
    assert report.rows_with_boxes == 2
    first = ds[0]
    assert (
        first["prompt"][0]["content"][1]["text"] == build_messages(first["question"])[0]["content"][1]["text"]
    )
    assert first["prompt"][0]["content"][0]["type"] == "image"
    assert isinstance(first["image"], Image.Image) and first["image"].mode == "RGB"
    assert first["image"].size == (64, 48)
    assert Path(first["image_path"]).is_file()


def test_images_are_stored_as_paths_not_pixels(grit_folder: Path) -> None:
    ds, _ = load_both(grit_folder)
    stored = ds.data.column("image").to_pylist()
    assert all(cell["bytes"] is None and Path(cell["path"]).is_file() for cell in stored)


def test_prompt_mode_and_system_prompt(grit_folder: Path) -> None:
    ds, _ = load_both(grit_folder, prompt_mode="direct", system_prompt="Be brief.")
    prompt = ds[0]["prompt"]
    assert prompt[0]["role"] == "system" and prompt[0]["content"][0]["text"] == "Be brief."
    assert (
        prompt[1]["content"][1]["text"]
        == build_messages(ds[0]["question"], "direct")[0]["content"][1]["text"]
    )
    with pytest.raises(ValueError, match="prompt mode"):
        load_both(grit_folder, prompt_mode="chat")


def test_rows_feed_trl_multimodal_prompts(grit_folder: Path) -> None:
    """TRL's GRPOTrainer fills the prompt's image placeholder with ``example['image']``."""
    from trl.data_utils import is_conversational, prepare_multimodal_messages

    ds, _ = load_both(grit_folder)
    example = ds[2]
    assert is_conversational(example)
    messages = prepare_multimodal_messages(example["prompt"], images=[example["image"]])
    assert messages[0]["content"][0]["image"] is example["image"]


def test_default_image_folder_rules(tmp_path: Path) -> None:
    make_image(tmp_path / "images" / "a.png")
    write_jsonl(tmp_path / "x.jsonl", [row()])
    ds, _ = load_grit_jsonl(tmp_path / "x.jsonl")
    assert Path(ds[0]["image_path"]) == (tmp_path / "images" / "a.png").resolve()
    make_image(tmp_path / "own" / "a.png")
    write_jsonl(tmp_path / "own.jsonl", [row()])
    ds, _ = load_grit_jsonl(str(tmp_path / "own.jsonl"))
    assert Path(ds[0]["image_path"]) == (tmp_path / "own" / "a.png").resolve()
    make_image(tmp_path / "flat" / "a.png")
    write_jsonl(tmp_path / "flat" / "f.jsonl", [row()])
    ds, _ = load_grit_jsonl(
        [tmp_path / "flat" / "f.jsonl"], image_dirs={tmp_path / "flat" / "f.jsonl": tmp_path / "flat"}
    )
    assert Path(ds[0]["image_path"]) == (tmp_path / "flat" / "a.png").resolve()


def test_question_type_override_column(tmp_path: Path) -> None:
    make_image(tmp_path / "d" / "a.png")
    write_jsonl(tmp_path / "d.jsonl", [row(question_type="open"), row(question_type="essay")])
    with pytest.raises(DataError, match=r"d\.jsonl:2: field 'question_type'"):
        load_grit_jsonl(tmp_path / "d.jsonl")
    ds, report = load_grit_jsonl(tmp_path / "d.jsonl", policy="skip")
    assert ds["question_type"] == ["open"] and report.skipped_by_reason == {"bad_question_type": 1}


# Every validation error: (rows or raw lines, image setup, expected field, reason, message fragment)
ERROR_CASES = {
    "missing image": ([row(image="nope.png")], "image", "image_missing", "image file not found"),
    "empty question": ([row(question="  ")], "question", "empty_question", "question is empty"),
    "missing answer": ([row(answer=...)], "answer", "missing_answer", "missing answer"),
    "empty answer": ([row(answer="")], "answer", "empty_answer", "answer is empty"),
    "box three numbers": ([row(bboxs=[[1, 2, 3]])], "bboxs[0]", "box_not_four_numbers", "four numbers"),
    "box with text": ([row(bboxs=[[1, 2, "x", 4]])], "bboxs[0]", "box_not_four_numbers", "four numbers"),
    "flat box": ([row(bboxs=[1, 2, 3, 4])], "bboxs[0]", "box_not_four_numbers", "four numbers"),
    "bboxs not a list": ([row(bboxs=5)], "bboxs", "box_not_four_numbers", "list of boxes"),
    "box NaN": (
        [
            '{"question": "q?", "answer": "1", "image": "a.png", "width": 64, "height": 48, '
            '"bboxs": [[1, 2, NaN, 4]], "dataset": "d", "split": "val"}'
        ],
        "bboxs[0]",
        "box_not_finite",
        "non-finite",
    ),
    "box inverted": ([row(bboxs=[[1, 2, 3, 4], [30, 5, 10, 40]])], "bboxs[1]", "box_inverted", "inverted"),
    "box outside": (
        [row(bboxs=[[0, 0, 70, 40]])],
        "bboxs[0]",
        "box_outside_image",
        "outside the 64x48 image",
    ),
    "box negative": ([row(bboxs=[[-5, 0, 10, 10]])], "bboxs[0]", "box_outside_image", "more than 2 px"),
    "width mismatch": (
        [row(width=65)],
        "width",
        "size_mismatch",
        "width 65 disagrees with the image's real width 64",
    ),
    "height mismatch": ([row(height=40)], "height", "size_mismatch", "real height 48"),
    "bad width": ([row(width="wide")], "width", "bad_size", "positive integer"),
    "bad json": ([row(), '{"question": "q", '], "json", "bad_json", "bad JSON"),
    "not an object": (["[1, 2]"], "json", "bad_json", "JSON object"),
    "missing image field": ([row(image=...)], "image", "missing_image", "missing image path"),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_validation_error_names_file_line_and_field(tmp_path: Path, case: str) -> None:
    rows, field, reason, fragment = ERROR_CASES[case]
    make_image(tmp_path / "d" / "a.png")
    path = write_jsonl(tmp_path / "d.jsonl", rows)
    line = len(rows)
    with pytest.raises(DataError) as info:
        load_grit_jsonl(path)
    err = info.value
    assert str(err).startswith(f"{path}:{line}: field '{field}': ")
    assert fragment in str(err)
    assert (err.source, err.line, err.field, err.reason) == (str(path), line, field, reason)


def test_unreadable_and_truncated_images(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "junk.png").write_bytes(b"this is not an image")
    make_image(folder / "full.jpg", size=(64, 48), fmt="JPEG")
    data = (folder / "full.jpg").read_bytes()
    (folder / "cut.jpg").write_bytes(data[: len(data) // 2])
    make_image(folder / "full.png", size=(64, 48))
    png = (folder / "full.png").read_bytes()
    (folder / "cut.png").write_bytes(png[: len(png) - 30])
    path = write_jsonl(
        tmp_path / "d.jsonl", [row(image="junk.png"), row(image="cut.jpg"), row(image="cut.png")]
    )
    with pytest.raises(DataError, match=r"d\.jsonl:1: field 'image': not a readable image: .*junk\.png"):
        load_grit_jsonl(path)
    ds, report = load_grit_jsonl(path, policy="skip")
    assert len(ds) == 0
    assert report.skipped_by_reason["image_unreadable"] + report.skipped_by_reason["image_truncated"] == 3
    assert report.skipped_by_reason["image_truncated"] >= 1
    assert any("truncated image" in str(p) and "cut.jpg" in str(p) for p in report.problems)
    # header-only checks are fast but cannot see truncation
    ds, report = load_grit_jsonl(tmp_path / "d.jsonl", policy="skip", image_check="header")
    assert report.skipped_by_reason["image_unreadable"] == 1 and report.rows_skipped < 3


def test_missing_data_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nothere\.jsonl: field 'path': data file not found"):
        load_grit_jsonl(tmp_path / "nothere.jsonl")
    ds, report = load_grit_jsonl(tmp_path / "nothere.jsonl", policy="skip")
    assert len(ds) == 0 and report.skipped_by_reason == {"file_missing": 1}


def test_skip_policy_counts_and_reports_every_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make_image(tmp_path / "d" / "a.png")
    rows = [
        row(),
        row(image="missing.png"),
        "{oops",
        row(bboxs=[[10, 10, 5, 20]]),
        row(answer=""),
        row(width=10),
        "",
        row(bboxs=[[0, 0, 65.5, 49]]),  # within tolerance: kept, clipped
    ]
    path = write_jsonl(tmp_path / "d.jsonl", rows)
    with caplog.at_level(logging.WARNING, logger="grit.data"):
        ds, report = load_grit_jsonl(path, policy="skip")
    assert len(ds) == 2
    assert ds["gt_boxes"][1] == [[0.0, 0.0, 64.0, 48.0]]
    assert report.rows_read == 7 and report.rows_kept == 2 and report.rows_skipped == 5
    assert report.skipped_by_reason == {
        "image_missing": 1,
        "bad_json": 1,
        "box_inverted": 1,
        "empty_answer": 1,
        "size_mismatch": 1,
    }
    assert [p.line for p in report.problems] == [2, 3, 4, 5, 6]
    assert "skipped 5 of 7 rows" in caplog.text
    summary = report.summary()
    assert "skipped: 5" in summary and "box_inverted=1" in summary and f"{path}:4" in summary


def test_unknown_policy(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="policy"):
        read_grit_jsonl(tmp_path / "x.jsonl", policy="ignore")  # type: ignore[arg-type]


def test_empty_result_keeps_schema(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "e.jsonl", [row(image="missing.png")])
    ds, report = load_grit_jsonl(tmp_path / "e.jsonl", policy="skip")
    assert len(ds) == 0 and "gt_boxes" in ds.column_names and isinstance(report, LoadReport)


finite = st.floats(min_value=-50, max_value=150, allow_nan=False)


@given(st.lists(st.tuples(finite, finite, finite, finite), max_size=4))
def test_box_validation_accepts_exactly_the_sane_boxes(boxes: list[tuple[float, ...]]) -> None:
    width, height, tol = 100, 80, 2.0
    sane = all(
        x1 < x2 and y1 < y2 and x1 >= -tol and y1 >= -tol and x2 <= width + tol and y2 <= height + tol
        for x1, y1, x2, y2 in boxes
    )
    try:
        out = check_boxes([list(b) for b in boxes], width, height, tolerance=tol)
    except RowProblem as exc:
        assert not sane or exc.reason == "box_outside_image"
        assert exc.field.startswith("bboxs[")
        return
    assert sane
    for x1, y1, x2, y2 in out:
        assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height


@given(st.sampled_from([math.nan, math.inf, -math.inf]), st.integers(0, 3))
def test_box_validation_rejects_non_finite(bad: float, position: int) -> None:
    box = [1.0, 2.0, 30.0, 40.0]
    box[position] = bad
    with pytest.raises(RowProblem) as info:
        check_boxes([box], 100, 80)
    assert info.value.reason == "box_not_finite"
