"""The audit log: append an entry; verify that none was edited, removed or reordered.

Each entry's hash covers its own content and the previous entry's hash, so changing,
deleting or swapping any entry breaks every hash after it. Appends take their turn at
the chain's head row (``serial.chain_head``), so concurrent writers on any worker never
fork the chain, and the head records where the chain ends, so removing its last entries
shows too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..models import AuditEntry, ChainHead
from . import serial

CHAIN = "audit"
# Entries numbered by migration 0006; before it, concurrent appends could fork the chain.
LEGACY = "audit.legacy"


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


def append(db: Session, actor: str, action: str, subject: str, **details: Any) -> AuditEntry:
    """Add an entry after the last one, inside the transaction of what it records.

    The chain's head stays locked until that transaction ends: call this last, just
    before committing, so other writers wait as little as possible."""
    head = serial.chain_head(db, CHAIN)
    at = utcnow()
    entry = AuditEntry(
        position=head.position + 1,
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        details=details,
        prev_hash=head.hash,
    )
    entry.hash = _digest(entry.prev_hash, at.isoformat(), actor, action, subject, details)
    head.position, head.hash = entry.position, entry.hash
    db.add(entry)
    return entry


@dataclass
class Verification:
    ok: bool
    entries: int
    broken_at: int | None = None
    reason: str = ""
    legacy_forks: int = 0  # concurrent appends written before migration 0006, not tampering


def verify(db: Session) -> Verification:
    """Walk the chain in order; the first entry that does not follow from the one before
    it, or the head not pointing at the last entry, is a break."""
    head = db.get(ChainHead, CHAIN)
    legacy = db.get(ChainHead, LEGACY)
    legacy_until = legacy.position if legacy else 0
    prev: str | None = None
    seen: set[str] = set()
    count = forks = 0
    for entry in db.scalars(select(AuditEntry).order_by(AuditEntry.position)):
        count += 1
        if entry.position != count:
            return Verification(False, count, entry.id, "an entry before it was removed")
        expected = _digest(
            entry.prev_hash,
            entry.at.isoformat(),
            entry.actor,
            entry.action,
            entry.subject,
            entry.details,
        )
        if expected != entry.hash:
            return Verification(False, count, entry.id, "its content was edited")
        if entry.prev_hash != prev:
            if entry.position <= legacy_until and entry.prev_hash in seen:
                forks += 1
            else:
                return Verification(
                    False, count, entry.id, "an entry before it was removed or moved"
                )
        seen.add(entry.hash)
        prev = entry.hash
    if head is not None and (head.position, head.hash) != (count, prev):
        return Verification(
            False, count, None, f"the chain ends at entry {head.position}: entries were removed"
        )
    return Verification(True, count, legacy_forks=forks)
