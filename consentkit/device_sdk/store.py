"""What the SDK keeps on the phone: settings and the offline upload queue, in SQLite.

One file per install (``:memory:`` in simulations). Queued uploads survive restarts;
those of a withdrawn purpose are deleted, never sent.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["DeviceStore", "QueuedEvent"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS queue (
    id INTEGER PRIMARY KEY,
    purpose TEXT NOT NULL,
    category TEXT NOT NULL,
    body TEXT NOT NULL,
    batch_key TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before TEXT
);
CREATE INDEX IF NOT EXISTS queue_purpose ON queue (purpose);
"""


class QueuedEvent(dict):
    """A queued ``/collect`` event with its row id and batch key."""


class DeviceStore:
    def __init__(self, path: str | Path = ":memory:") -> None:
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.executescript(SCHEMA)

    # settings -----------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def put(self, key: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO kv (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value, default=str)),
        )

    def delete(self, key: str) -> None:
        self.db.execute("DELETE FROM kv WHERE key = ?", (key,))

    # the queue ------------------------------------------------------------------
    def enqueue(self, event: dict[str, Any]) -> int:
        cur = self.db.execute(
            "INSERT INTO queue (purpose, category, body) VALUES (?, ?, ?)",
            (event["purpose"], event["category"], json.dumps(event, default=str)),
        )
        return int(cur.lastrowid)

    def due(self, now: datetime, limit: int) -> list[QueuedEvent]:
        """Queued events ready to send, oldest first; a pending batch comes back whole."""
        rows = self.db.execute(
            "SELECT id, body, batch_key, attempts FROM queue "
            "WHERE not_before IS NULL OR not_before <= ? ORDER BY id LIMIT ?",
            (now.isoformat(), limit),
        ).fetchall()
        out = []
        for row_id, body, batch_key, attempts in rows:
            event = QueuedEvent(json.loads(body))
            event.update(_id=row_id, _batch=batch_key, _attempts=attempts)
            out.append(event)
        return out

    def assign_batch(self, ids: list[int], key: str) -> None:
        self.db.executemany("UPDATE queue SET batch_key = ? WHERE id = ?", [(key, i) for i in ids])

    def remove(self, ids: list[int]) -> None:
        self.db.executemany("DELETE FROM queue WHERE id = ?", [(i,) for i in ids])

    def defer(self, ids: list[int], until: datetime) -> None:
        self.db.executemany(
            "UPDATE queue SET attempts = attempts + 1, not_before = ? WHERE id = ?",
            [(until.isoformat(), i) for i in ids],
        )

    def drop_purposes(self, purposes: list[str]) -> int:
        """Withdrawal: the queued data of these purposes is deleted, never sent."""
        marks = ",".join("?" * len(purposes))
        # A batch that lost members gets a new key, so the server never sees one key for
        # two different batches.
        self.db.execute(
            f"UPDATE queue SET batch_key = NULL WHERE batch_key IN "
            f"(SELECT batch_key FROM queue WHERE purpose IN ({marks}))",
            purposes,
        )
        cur = self.db.execute(f"DELETE FROM queue WHERE purpose IN ({marks})", purposes)
        return cur.rowcount

    def queued(self, purpose: str | None = None) -> int:
        if purpose is None:
            return self.db.execute("SELECT COUNT(*) FROM queue").fetchone()[0]
        return self.db.execute(
            "SELECT COUNT(*) FROM queue WHERE purpose = ?", (purpose,)
        ).fetchone()[0]
