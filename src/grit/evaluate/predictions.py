"""``DIR/predictions.jsonl`` (append-only, one flushed line per row) and ``DIR/settings.json``.

Resume works from the file alone: a run reads the lines already there, skips their ids and
appends the rest. A kill can leave at most one partial last line (each row is one ``write`` of
a whole line); it is cut off before appending, so every id ends up in the file exactly once.
A directory whose predictions came from different settings is refused unless ``overwrite``, and
even then nothing is deleted: old files are renamed with a timestamp.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

PREDICTIONS = "predictions.jsonl"
SETTINGS = "settings.json"
METRICS = "metrics.json"
REPORT = "report.html"


class SettingsMismatchError(ValueError):
    """The output directory holds predictions made with other settings."""


def read_predictions(path: str | Path) -> list[dict[str, Any]]:
    """Every complete line of a predictions file; a truncated or corrupt line is skipped with a warning."""
    path = Path(path)
    if not path.exists():
        return []
    rows = []
    with path.open("rb") as f:
        for number, raw in enumerate(f, 1):
            if not raw.endswith(b"\n"):
                logger.warning("%s:%d: ignoring a truncated last line (an interrupted run)", path, number)
                break
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except ValueError:
                logger.warning("%s:%d: ignoring a corrupt line", path, number)
                continue
            if isinstance(item, dict) and "id" in item:
                rows.append(item)
    return rows


def _cut_partial_line(path: Path) -> None:
    """Truncate a file that does not end in a newline back to its last complete line."""
    with path.open("rb+") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size == 0:
            return
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        block = 1 << 16
        pos = size
        while pos > 0:
            start = max(0, pos - block)
            f.seek(start)
            chunk = f.read(pos - start)
            j = chunk.rfind(b"\n")
            if j >= 0:
                f.truncate(start + j + 1)
                return
            pos = start
        f.truncate(0)


class PredictionsWriter:
    """Appends records to ``predictions.jsonl``, one flushed line each; ``done`` holds finished ids."""

    def __init__(self, out_dir: str | Path):
        self.path = Path(out_dir) / PREDICTIONS
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            _cut_partial_line(self.path)
        self.done: set[str] = {str(r["id"]) for r in read_predictions(self.path)}
        self._file = self.path.open("a", encoding="utf-8")

    def write(self, record: Mapping[str, Any]) -> None:
        key = str(record["id"])
        if key in self.done:
            return
        self._file.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")
        self._file.flush()
        self.done.add(key)

    def write_many(self, records: Iterable[Mapping[str, Any]]) -> None:
        for record in records:
            self.write(record)
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> PredictionsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def prepare_out_dir(out_dir: str | Path, settings: Mapping[str, Any], overwrite: bool = False) -> Path:
    """Create ``out_dir`` or check that its predictions were made with ``settings``.

    With ``overwrite`` and different settings, existing outputs are renamed (``NAME.old-TIMESTAMP``),
    never deleted.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    settings_path = out / SETTINGS
    current = json.loads(json.dumps(dict(settings)))
    if settings_path.exists():
        saved = json.loads(settings_path.read_text(encoding="utf-8"))
        if saved != current:
            diff = sorted(k for k in set(saved) | set(current) if saved.get(k) != current.get(k))
            if not overwrite:
                details = ", ".join(f"{k}: {saved.get(k)!r} -> {current.get(k)!r}" for k in diff)
                raise SettingsMismatchError(
                    f"{out} holds predictions made with other settings ({details}); "
                    "use another --out, or --overwrite to set the old files aside (renamed, not deleted)"
                )
            _set_aside(out)
    elif (out / PREDICTIONS).exists() and not overwrite:
        raise SettingsMismatchError(
            f"{out / PREDICTIONS} exists without {SETTINGS}; use another --out or --overwrite"
        )
    elif (out / PREDICTIONS).exists():
        _set_aside(out)
    settings_path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out


def _set_aside(out: Path) -> None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for name in (PREDICTIONS, SETTINGS, METRICS, REPORT):
        path = out / name
        if path.exists():
            target = out / f"{name}.old-{stamp}"
            path.rename(target)
            logger.warning("set aside %s as %s", path, target.name)


def write_json_atomic(path: str | Path, data: Any) -> None:
    """Write JSON through a temporary file and a rename, so a reader never sees half a file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
