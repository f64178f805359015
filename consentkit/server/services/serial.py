"""Where concurrent writers take turns: one serialization point per subject and per chain.

Two kinds of write must never interleave, on any worker or host sharing the database:

- **A subject's consent changes and collection.** A withdrawal and a collect for the same
  person must happen one after the other, or a collect checked against the old consent
  can commit after the withdrawal's cascade has swept. ``lock_subject`` is taken before
  the subject's consent state is read, and held until the transaction ends.
- **Appends to a hash chain.** Each entry names its predecessor's hash; two appends that
  read the same predecessor fork the chain. ``chain_head`` locks the chain's head row,
  which every append reads and moves.

PostgreSQL: a transaction-scoped advisory lock per subject (released by COMMIT or
ROLLBACK, so it can never leak), and ``SELECT … FOR UPDATE`` on the head row. SQLite has
one writer at a time: ``BEGIN IMMEDIATE`` takes that write lock before anything is read,
which serializes both kinds at once.

Order, to rule out deadlocks: a transaction takes its subject lock first, before any
chain head; and it holds at most the subject locks of one person (install, then user).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..models import ChainHead


def _postgres(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def _advisory_key(name: str) -> int:
    """A signed 64-bit key for ``pg_advisory_xact_lock``, stable across processes."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _sqlite_write_lock(db: Session) -> None:
    """Start the transaction with the write lock, unless it already writes (and so holds it)."""
    conn = db.connection()
    if not conn.connection.driver_connection.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def lock_subject(db: Session, key: str) -> None:
    """Until this transaction ends, no other transaction changes consents or collects for
    the subject ``key`` (``user:…`` or ``install:…``)."""
    if _postgres(db):
        db.execute(select(func.pg_advisory_xact_lock(_advisory_key(f"subject:{key}"))))
    else:
        _sqlite_write_lock(db)


def chain_head(db: Session, name: str) -> ChainHead:
    """The head of the chain ``name``, locked until this transaction ends.

    The caller appends after ``head.position`` / ``head.hash`` and moves the head."""
    if not _postgres(db):
        _sqlite_write_lock(db)
    head = db.scalar(_HEAD, {"name": name})
    if head is None:  # the chain's first append ever
        insert = pg_insert if _postgres(db) else sqlite_insert
        db.execute(
            insert(ChainHead).values(name=name, position=0, hash=None).on_conflict_do_nothing()
        )
        head = db.scalar(_HEAD, {"name": name})
    return head


# Built once: every audited request runs it.
_HEAD = (
    select(ChainHead)
    .where(ChainHead.name == bindparam("name"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
