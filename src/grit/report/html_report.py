"""``DIR/report.html``: one self-contained page with the metrics table and a card per sample.

Each card shows the image with the chain's boxes drawn and numbered (``grit.draw.draw_boxes``;
ground truth dashed), the chain's text with each box mention highlighted in its box's colour,
the question, reference, answer, judge score and grounding IoU. Filters keep wrong answers or
low-IoU samples only. Images are embedded as ``data:`` URLs, so the file can be mailed or
attached to an issue. Model text is escaped everywhere, and a Content-Security-Policy allows only
the page's own script (by hash), inline styles and ``data:`` images: nothing is fetched.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from grit.chain import parse_chain
from grit.draw import draw_boxes
from grit.evaluate.metrics import TABLE_COLUMNS
from grit.report.chain_markup import chain_html

MAX_SIDE = 448  # pixels of the longest side of a card's picture
MIN_SIDE = 256


def _dark_under_gt(image: Any, gt_boxes: Sequence[Sequence[float]]) -> Any:
    """A copy with a solid dark outline where ``draw_boxes`` dashes ground truth in white.

    The dashes then alternate white and black, visible on light and dark images alike.
    """
    from PIL import ImageDraw

    canvas = image.convert("RGB").copy()
    if not gt_boxes:
        return canvas
    draw = ImageDraw.Draw(canvas)
    width = max(1, round(max(canvas.size) / 200))
    w, h = canvas.size
    for b in gt_boxes:
        x1, x2 = sorted((min(max(b[0], 0.0), w - 1), min(max(b[2], 0.0), w - 1)))
        y1, y2 = sorted((min(max(b[1], 0.0), h - 1), min(max(b[3], 0.0), h - 1)))
        draw.rectangle([x1, y1, x2, y2], outline="#000000", width=width)
    return canvas


_SCRIPT = """
(function () {
  var wrong = document.getElementById("f-wrong");
  var low = document.getElementById("f-low");
  var thr = document.getElementById("f-thr");
  var ds = document.getElementById("f-dataset");
  var shown = document.getElementById("shown");
  function num(v) { return v === "" ? null : parseFloat(v); }
  function apply() {
    var t = parseFloat(thr.value);
    var n = 0;
    var cards = document.querySelectorAll(".card");
    for (var i = 0; i < cards.length; i++) {
      var c = cards[i];
      var s = num(c.dataset.score), iou = num(c.dataset.iou);
      var ok = true;
      if (wrong.checked && !(s !== null && s < 1)) ok = false;
      if (low.checked && !(iou !== null && iou < t)) ok = false;
      if (ds.value !== "" && c.dataset.dataset !== ds.value) ok = false;
      c.hidden = !ok;
      if (ok) n++;
    }
    shown.textContent = String(n);
  }
  [wrong, low, thr, ds].forEach(function (el) { el.addEventListener("input", apply); el.addEventListener("change", apply); });
  apply();
})();
"""

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:16px;color:#222;background:#fafafa}
h1{font-size:20px}table{border-collapse:collapse;margin:8px 0 16px}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th:first-child,td:first-child{text-align:left}
.filters{position:sticky;top:0;background:#fafafa;padding:8px 0;border-bottom:1px solid #ddd;z-index:1}
.card{display:grid;grid-template-columns:auto 1fr;gap:12px;background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px;margin:10px 0}
.card[hidden]{display:none}.card img{max-width:448px;image-rendering:auto;border:1px solid #eee}
.chain{white-space:pre-wrap;word-break:break-word;font-family:ui-monospace,monospace;font-size:12.5px;background:#f6f6f6;padding:6px;border-radius:4px;max-height:360px;overflow:auto}
mark.box{border:2px solid;border-radius:3px;padding:0 2px;color:inherit}mark.box sup{font-weight:bold}
.tag{color:#777;font-weight:bold}.meta{color:#555}.summary{font-size:1.05em}.right{color:#087a2c}.wrong{color:#b00020}.fail{color:#a36a00}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;margin:4px 0}dt{color:#666}dd{margin:0;word-break:break-word}
.noimg{width:160px;height:120px;display:flex;align-items:center;justify-content:center;background:#eee;color:#777}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _fmt(value: Any, fmt: str) -> str:
    return "–" if value is None else fmt.format(value)


def image_data_url(image: Any, boxes: Sequence[Sequence[float]], gt_boxes: Sequence[Sequence[float]]) -> str:
    """The image, shrunk to ``MAX_SIDE``, with boxes drawn, as a ``data:`` URL (PNG small, else JPEG)."""
    w, h = image.size
    # Shrink large images; enlarge tiny ones so numbers and lines stay legible.
    scale = MAX_SIDE / max(w, h) if max(w, h) > MAX_SIDE else max(1.0, MIN_SIDE / max(w, h))
    if scale != 1.0:
        image = image.resize((max(1, round(w * scale)), max(1, round(h * scale))))
    boxes = [[v * scale for v in b] for b in boxes]
    gt_boxes = [[v * scale for v in b] for b in gt_boxes]
    canvas = draw_boxes(_dark_under_gt(image, gt_boxes), boxes, gt_boxes)
    buffer = io.BytesIO()
    if canvas.size[0] * canvas.size[1] <= 320 * 320:
        canvas.save(buffer, format="PNG")
        mime = "image/png"
    else:
        canvas.save(buffer, format="JPEG", quality=85)
        mime = "image/jpeg"
    return f"data:{mime};base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _metrics_table(metrics: Mapping[str, Mapping[str, Any]], cross_modal: Mapping[str, Any] | None) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for _, h, _ in TABLE_COLUMNS)
    if cross_modal:
        head += "<th>cross-modal</th>"
    rows = []
    for name, m in metrics.items():
        cells = "".join(f"<td>{_e(_fmt(m.get(k), f))}</td>" for k, _, f in TABLE_COLUMNS)
        if cross_modal:
            cm = cross_modal.get(name) or {}
            value = f"{cm['mean']:.3f} ± {cm['std']:.3f}" if cm.get("mean") is not None else "–"
            cells += f"<td>{_e(value)}</td>"
        rows.append(f"<tr><td>{_e(name)}</td>{cells}</tr>")
    return f"<table><thead><tr><th>dataset</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _score_class(score: Any) -> str:
    if score is None:
        return "fail"
    return "right" if score >= 1 else "wrong"


def _card(record: Mapping[str, Any], image: Any, number: int) -> str:
    if record.get("skipped"):
        return (
            f'<article class="card" data-score="" data-iou="" data-dataset="{_e(record.get("dataset"))}">'
            f'<div class="noimg">skipped</div><div><b>#{number}</b> {_e(record["id"])}: '
            f"skipped ({_e(record['skipped'])})</div></article>"
        )
    completion = str(record.get("completion") or "")
    chain = parse_chain(completion)
    boxes = record.get("boxes") or []
    gt = record.get("gt_boxes") or []
    if image is not None:
        picture = f'<img alt="image with {len(boxes)} boxes" src="{image_data_url(image, boxes, gt)}">'
    else:
        picture = '<div class="noimg">image unavailable</div>'
    score = record.get("score")
    iou = record.get("iou")
    score_text = "judge failed" if score is None else f"{score:.3f}"
    facts = [
        ("question", _e(record.get("question"))),
        ("reference", _e(record.get("reference"))),
        (
            "answer",
            _e(record.get("answer")) if record.get("answer") is not None else "<i>(no &lt;answer&gt;)</i>",
        ),
        (
            "score",
            f'<span class="{_score_class(score)}">{_e(score_text)}</span> <span class="meta">{_e(record.get("reason"))}</span>',
        ),
        (
            "IoU",
            _e(_fmt(iou, "{:.3f}"))
            + (f" <span class='meta'>({len(gt)} ground-truth, dashed)</span>" if gt else ""),
        ),
        ("boxes", f"{len(boxes)} · grounded: {'yes' if record.get('grounded') else 'no'}"),
    ]
    if record.get("count_consistent") is not None:
        facts.append(
            (
                "count",
                f"stated {_e(_fmt(record.get('count_stated'), '{}'))}, boxes {_e(record.get('count_boxes'))}",
            )
        )
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    return (
        f'<article class="card" data-score="{_e("" if score is None else score)}" '
        f'data-iou="{_e("" if iou is None else iou)}" data-dataset="{_e(record.get("dataset"))}">'
        f"<div>{picture}</div><div><div><b>#{number}</b> <span class='meta'>{_e(record.get('dataset'))} · "
        f"{_e(record['id'])}</span></div><dl>{dl}</dl>"
        f'<div class="chain">{chain_html(completion, chain)}</div></div></article>'
    )


def render_report(
    records: Sequence[Mapping[str, Any]],
    metrics: Mapping[str, Any],
    image_for: Callable[[Mapping[str, Any]], Any] | None = None,
    max_samples: int | None = 500,
    title: str = "grit evaluation",
    summary: str | None = None,
) -> str:
    """The report page as a string (see the module docstring); ``summary``: a sentence shown under
    the title (the demo's reading of its before/after table)."""
    table = metrics.get("metrics", metrics)
    shown = list(records) if max_samples is None else list(records)[:max_samples]
    cards = []
    for n, record in enumerate(shown, 1):
        image = image_for(record) if image_for and not record.get("skipped") else None
        cards.append(_card(record, image, n))
    datasets = sorted({str(r.get("dataset") or "") for r in records})
    options = "".join(f'<option value="{_e(d)}">{_e(d)}</option>' for d in datasets)
    script_hash = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
    csp = f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'"
    settings = metrics.get("settings") or {}
    more = f" (first {len(shown)} of {len(records)})" if len(shown) < len(records) else ""
    lead = f'<p class="summary">{_e(summary)}</p>' if summary else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{_e(title)}</h1>{lead}"
        f'<p class="meta">model: {_e(settings.get("model"))} · prompt: {_e(settings.get("prompt_mode"))} · '
        f"judge: {_e(json.dumps(settings.get('judge')))}</p>"
        f"{_metrics_table(table, metrics.get('cross_modal'))}"
        '<div class="filters">'
        '<label><input type="checkbox" id="f-wrong"> wrong answers only (score &lt; 1)</label> · '
        '<label><input type="checkbox" id="f-low"> low IoU only (IoU &lt; '
        '<input type="number" id="f-thr" value="0.5" min="0" max="1" step="0.05" style="width:4em">)</label> · '
        f'<label>dataset <select id="f-dataset"><option value="">all</option>{options}</select></label> · '
        f'showing <span id="shown">{len(cards)}</span> samples{_e(more)}. '
        "Predicted boxes are numbered in the colour of their mention in the chain; ground truth is dashed black and white."
        "</div>"
        f"<main>{''.join(cards)}</main>"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )


def write_report(
    out_dir: str | Path,
    records: Sequence[Mapping[str, Any]] | None = None,
    metrics: Mapping[str, Any] | None = None,
    image_for: Callable[[Mapping[str, Any]], Any] | None = None,
    max_samples: int | None = 500,
    title: str = "grit evaluation",
    summary: str | None = None,
) -> Path:
    """Write ``out_dir/report.html`` (records and metrics default to the files in ``out_dir``)."""
    from grit.evaluate.predictions import METRICS, PREDICTIONS, REPORT, read_predictions

    out = Path(out_dir)
    if records is None:
        records = read_predictions(out / PREDICTIONS)
    if metrics is None:
        path = out / METRICS
        metrics = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"metrics": {}}
    if image_for is None:
        image_for = _image_from_path
    page = render_report(records, metrics, image_for, max_samples, title, summary)
    target = out / REPORT
    tmp = target.with_name(REPORT + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target)
    return target


def _image_from_path(record: Mapping[str, Any]) -> Any:
    path = record.get("image_path")
    if not path:
        return None
    try:
        from PIL import Image

        with Image.open(path) as im:
            return im.convert("RGB")
    except OSError:
        return None
