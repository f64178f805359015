"""The audit log: append an entry; verify that none was edited, removed or reordered.

Each entry's hash covers its own content and the previous entry's hash, so changing,
deleting or swapping any entry breaks every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..models import AuditEntry


def _digest(
    prev: str | None, at: str, actor: str, action: str, subject: str, details: dict[str, Any]
) -> str:
    body = json.dumps(
        [prev, at, actor, action, subject, details],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


_LAST_HASH = select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
_LAST_HASH_LOCKED = _LAST_HASH.with_for_update()


def append(db: Session, actor: str, action: str, subject: str, **details: Any) -> AuditEntry:
    """Add an entry after the last one. Call inside the transaction of what it records."""
    locking = db.get_bind().dialect.name == "postgresql"  # one chain, even with many workers
    last_hash = db.scalar(_LAST_HASH_LOCKED if locking else _LAST_HASH)
    at = utcnow()
    entry = AuditEntry(
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        details=details,
        prev_hash=last_hash,
    )
    entry.hash = _digest(entry.prev_hash, at.isoformat(), actor, action, subject, details)
    db.add(entry)
    return entry


@dataclass
class Verification:
    ok: bool
    entries: int
    broken_at: int | None = None
    reason: str = ""


def verify(db: Session) -> Verification:
    prev = None
    count = 0
    for entry in db.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        count += 1
        if entry.prev_hash != prev:
            return Verification(False, count, entry.id, "an entry before it was removed or moved")
        expected = _digest(
            prev, entry.at.isoformat(), entry.actor, entry.action, entry.subject, entry.details
        )
        if expected != entry.hash:
            return Verification(False, count, entry.id, "its content was edited")
        prev = entry.hash
    return Verification(True, count)
