"""report.html: escaping of untrusted model text, colours that match, and a headless Chromium check.

The browser test needs Debian's ``chromium`` (``apt-get install -y chromium``) and the ``playwright``
Python package (the ``dev`` extra); it never downloads a browser. It skips only when the browser
is missing and ``GRIT_REQUIRE_BROWSER`` is unset; CI sets ``GRIT_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from grit.cli import main
from grit.draw import PALETTE
from grit.report import chain_html, chain_terminal, render_report

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)> "quoted" & </think>'


def _chromium() -> str | None:
    for candidate in (os.environ.get("GRIT_CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory, tiny_model_dir) -> Path:
    """An evaluation of known completions: right and wrong answers, good and bad boxes, hostile text."""
    root = tmp_path_factory.mktemp("report")
    assert (
        main(["data", "synth", "--n", "4", "--n-eval", "12", "--image-size", "96", "--out", str(root)]) == 0
    )
    rows = [json.loads(line) for line in (root / "toy_eval.jsonl").read_text().splitlines()]
    lines = []
    for i, row in enumerate(rows):
        w, h = row["width"], row["height"]
        boxes = row["bboxs"] or [[0, 0, w / 2, h / 2]]
        if i % 3 == 1:  # a box far from the truth: low IoU
            boxes = [[0, 0, 5, 5]]
        text = " then ".join(
            f"[{round(b[0] * 1000 / w)}, {round(b[1] * 1000 / h)}, {round(b[2] * 1000 / w)}, {round(b[3] * 1000 / h)}]"
            for b in boxes
        )
        answer = row["answer"] if i % 2 == 0 else "certainly not " + row["answer"]
        extra = XSS if i == 0 else ""
        lines.append(
            {
                "id": f"toy_eval:{i:06d}",
                "completion": f"<think> look {text} {extra} </think> <rethink> ok </rethink> <answer> {answer} </answer>",
            }
        )
    completions = root / "completions.jsonl"
    completions.write_text("".join(json.dumps(x) + "\n" for x in lines))
    out = root / "run"
    args = ["eval", "--model", str(tiny_model_dir("qwen2_vl")), "--data", str(root / "toy_eval.jsonl")]
    assert main([*args, "--out", str(out), "--completions", str(completions), "--no-progress"]) == 0
    return out


def test_model_text_is_escaped(report_dir):
    page = (report_dir / "report.html").read_text()
    assert page.count("<script>") == 1  # the page's own filter script only
    assert "<img src=x" not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    assert html.escape('<script>alert("x")</script>', quote=True) in page
    assert "Content-Security-Policy" in page


def test_chain_html_marks_boxes_in_palette_colours():
    text = "<think> a [1, 2, 3, 4] and (5, 6, 7, 8) <b> </think> <answer> 2 </answer>"
    marked = chain_html(text)
    colours = re.findall(r'<mark class="box" style="border-color:(#[0-9A-Fa-f]{6})', marked)
    assert colours == [PALETTE[0], PALETTE[1]]
    assert "&lt;b&gt;" in marked and "<b>" not in marked
    assert '<span class="tag">&lt;think&gt;</span>' in marked


def test_terminal_text_neutralises_escape_sequences():
    text = "<think> evil \x1b[2J\x1b]0;title\x07 [1, 2, 3, 4] </think>"
    plain = chain_terminal(text, color=False)
    assert "\x1b" not in plain and "\\x1b[2J" in plain and "[1, 2, 3, 4][1]" in plain
    coloured = chain_terminal(text, color=True)
    assert coloured.count("\x1b[") == 2  # our colour on and off, nothing from the model


def test_render_report_without_images_or_metrics():
    page = render_report([{"id": "a", "dataset": "d", "completion": XSS, "score": None, "iou": None}], {})
    assert "image unavailable" in page and "judge failed" in page and "<img src=x" not in page


def test_render_report_summary_is_shown_escaped():
    rows = [{"id": "a", "dataset": "d", "completion": "<answer> 1 </answer>", "score": 1.0, "iou": None}]
    page = render_report(rows, {}, summary="accuracy from 40% to 48% " + XSS)
    assert '<p class="summary">accuracy from 40% to 48% ' in page and "<img src=x" not in page
    assert 'class="summary"' not in render_report(rows, {})


def test_report_in_headless_chromium(report_dir, tmp_path):
    chromium = _chromium()
    required = bool(os.environ.get("GRIT_REQUIRE_BROWSER"))
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            pytest.fail(
                "GRIT_REQUIRE_BROWSER is set but the playwright package is missing (pip install -e '.[dev]')"
            )
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    if chromium is None:
        if required:
            pytest.fail(
                "GRIT_REQUIRE_BROWSER is set but no chromium binary was found (apt-get install -y chromium)"
            )
        pytest.skip(
            "no chromium binary (apt-get install -y chromium; set GRIT_REQUIRE_BROWSER=1 to require it)"
        )

    records = [json.loads(line) for line in (report_dir / "predictions.jsonl").read_text().splitlines()]
    wrong = sum(1 for r in records if r["score"] is not None and r["score"] < 1)
    low = sum(1 for r in records if r["iou"] is not None and r["iou"] < 0.5)
    assert 0 < wrong < len(records) and 0 < low < len(records)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on(
                "console",
                lambda m: (
                    problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None
                ),
            )
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
            page.on(
                "request",
                lambda r: (
                    None if r.url.startswith(("file:", "data:")) else problems.append(f"request: {r.url}")
                ),
            )
            page.goto((report_dir / "report.html").resolve().as_uri(), wait_until="load")
            images = page.evaluate(
                "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
            )
            assert len(images) == len(records)
            assert all(done and w > 0 and h > 0 for done, w, h in images)
            assert page.text_content("#shown") == str(len(records))
            page.check("#f-wrong")
            assert page.text_content("#shown") == str(wrong)
            assert page.locator(".card:visible").count() == wrong
            page.uncheck("#f-wrong")
            page.check("#f-low")
            assert page.text_content("#shown") == str(low)
            page.uncheck("#f-low")
            first_mark = page.evaluate("getComputedStyle(document.querySelector('mark.box')).borderTopColor")
            r, g, b = (int(PALETTE[0][k : k + 2], 16) for k in (1, 3, 5))
            assert first_mark == f"rgb({r}, {g}, {b})"
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=False)
            if os.environ.get("GRIT_SCREENSHOT_DIR"):
                shutil.copy(shot, Path(os.environ["GRIT_SCREENSHOT_DIR"]) / "report.png")
        finally:
            browser.close()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    assert problems == []
