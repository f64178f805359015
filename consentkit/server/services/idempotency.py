"""Idempotency keys: a retried batch gets the first answer and adds nothing.

The answer is remembered in the transaction that stored the batch, by an insert that
does nothing when the key is already there. A retry therefore never needs a read first:
it finds out at that insert, rolls its own work back and replays the stored answer. The
subject's lock, taken before the batch was checked, makes a twin sent at the same moment
wait for the first to commit, so it always finds the answer there.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..db import utcnow
from ..models import IdempotencyRecord
from ..problems import Problem

_TABLE = IdempotencyRecord.__table__
_REMEMBER = {
    name: insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.id)
    for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_STORED = select(IdempotencyRecord.request_hash, IdempotencyRecord.response).where(
    IdempotencyRecord.user_id == bindparam("user"), IdempotencyRecord.key == bindparam("key")
)


def digest(body: Any) -> str:
    """The request, canonically: the same batch re-serialized in another key order is the
    same batch."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def remember(db: Session, user_id: str, key: str, request_hash: str, answer: dict) -> bool:
    """Store the answer under the key; False when the key was there already."""
    statement = _REMEMBER[db.get_bind().dialect.name]
    row = {
        "user_id": user_id,
        "key": key,
        "request_hash": request_hash,
        "response": answer,
        "created_at": utcnow(),
    }
    return db.execute(statement, row).first() is not None


def replay(db: Session, user_id: str, key: str, request_hash: str) -> dict:
    """The answer first given under this key (after the caller rolled back its own)."""
    stored = db.execute(_STORED, {"user": user_id, "key": key}).first()
    if stored is None:  # removed since (a purge): nothing to replay
        raise Problem(409, "conflict", "A concurrent request used this Idempotency-Key.")
    if stored.request_hash != request_hash:
        raise Problem(
            422, "idempotency_key_reused", "This Idempotency-Key was used for another batch."
        )
    return stored.response
