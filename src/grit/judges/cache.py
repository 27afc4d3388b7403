"""A persistent judge cache: one SQLite file, keyed by judge model + the full request content.

SQLite in WAL mode makes it safe for several threads and processes at once (a training run and an
evaluation sharing a cache directory). Only replies that parsed are stored; the value is the
reply text, re-parsed on a hit. Nothing about the server or its credentials is stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from typing import Any

CACHE_FILE = "judge_cache.sqlite3"


def cache_key(model: str, messages: Any) -> str:
    """sha256 of the model name and the exact messages sent (text and image data URLs)."""
    blob = json.dumps({"model": model, "messages": messages}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class JudgeCache:
    """``key -> reply`` on disk; every method is thread-safe and process-safe."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        os.makedirs(directory, exist_ok=True)
        self.path = os.path.join(directory, CACHE_FILE)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS replies ("
                "key TEXT PRIMARY KEY, model TEXT NOT NULL, reply TEXT NOT NULL, created REAL NOT NULL)"
            )

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        with self._lock:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(f"SELECT key, reply FROM replies WHERE key IN ({marks})", chunk)
                found.update(rows.fetchall())
        return found

    def get(self, key: str) -> str | None:
        return self.get_many([key]).get(key)

    def put(self, key: str, model: str, reply: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO replies (key, model, reply, created) VALUES (?, ?, ?, ?)",
                (key, model, reply, time.time()),
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM replies").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
