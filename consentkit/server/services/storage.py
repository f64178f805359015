"""Where uploaded files live: one file per stored item, in its owner's folder.

Each upload gets its own file, named at random under the owner's id
(``<user id>/<random>.jpg``). Two people who upload the same picture hold two files, so
deleting, withdrawing or purging one person's media can never remove another's (nor one
item another item of the same person): a file belongs to exactly one item. A purge also
removes the owner's folder.

Files follow the database transaction that refers to them: a file is deleted only once
the deletion of its item has committed (a failed transaction loses no one's photo), and a
file written for an upload whose transaction rolls back is removed (no personal data is
left behind that no row points at).

Addresses of the old layout (``<sha256>.jpg``, shared by everyone who uploaded the same
bytes) are deleted only when no stored item refers to them any more.
"""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path
from typing import Protocol

from flask import current_app
from sqlalchemy import String, cast, event, select
from sqlalchemy.orm import Session, SessionTransaction

OWNED = re.compile(r"^[0-9a-f]{32}/[0-9a-f]{32}\.(?:jpg|png|webp)$")
LEGACY = re.compile(r"^[0-9a-f]{64}\.(?:jpg|png|webp)$")
OWNER = re.compile(r"^[0-9a-f]{32}$")


class MediaStorage(Protocol):
    def put(self, data: bytes, suffix: str, owner: str) -> str: ...
    def get(self, address: str) -> bytes | None: ...
    def delete(self, address: str) -> None: ...
    def delete_owner(self, owner: str) -> None: ...


class LocalStorage:
    """Files under ``root``: ``root/<owner>/<random><suffix>``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, address: str) -> Path:
        if OWNED.match(address):
            return self.root / address
        if LEGACY.match(address):
            return self.root / address[:2] / address[2:4] / address
        raise ValueError("bad media address")

    def put(self, data: bytes, suffix: str, owner: str) -> str:
        if not OWNER.match(owner) or suffix not in (".jpg", ".png", ".webp"):
            raise ValueError("bad media owner or suffix")
        address = f"{owner}/{secrets.token_hex(16)}{suffix}"
        path = self._path(address)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
        return address

    def get(self, address: str) -> bytes | None:
        path = self._path(address)
        return path.read_bytes() if path.exists() else None

    def delete(self, address: str) -> None:
        self._path(address).unlink(missing_ok=True)

    def delete_owner(self, owner: str) -> None:
        if not OWNER.match(owner):
            raise ValueError("bad media owner")
        shutil.rmtree(self.root / owner, ignore_errors=True)


def storage() -> MediaStorage:
    app = current_app
    if "consentkit.storage" not in app.extensions:
        root = app.config.get("MEDIA_ROOT") or Path(app.instance_path) / "media"
        app.extensions["consentkit.storage"] = LocalStorage(root)
    return app.extensions["consentkit.storage"]


# Files waiting for the transaction's end, in ``Session.info``.
_WRITTEN = "consentkit.media.written"
_DISCARDED = "consentkit.media.discarded"


def put(db: Session, data: bytes, suffix: str, owner: str) -> str:
    """Store a file for ``owner``; it is removed again if ``db``'s transaction rolls back."""
    store = storage()
    address = store.put(data, suffix, owner)
    db.info.setdefault(_WRITTEN, []).append((store, address))
    return address


def discard(db: Session, address: str) -> None:
    """Delete the file at ``address`` once ``db``'s transaction commits."""
    db.info.setdefault(_DISCARDED, []).append((storage(), "file", address))


def discard_owner(db: Session, owner: str) -> None:
    """Delete everything stored for ``owner`` once ``db``'s transaction commits."""
    db.info.setdefault(_DISCARDED, []).append((storage(), "owner", owner))


@event.listens_for(Session, "after_commit")
def _committed(db: Session) -> None:
    db.info.pop(_WRITTEN, None)  # kept: rows refer to them now
    for store, kind, target in db.info.pop(_DISCARDED, []):
        if kind == "owner":
            store.delete_owner(target)
        elif not LEGACY.match(target) or not _still_referenced(db, target):
            store.delete(target)


@event.listens_for(Session, "after_transaction_end")
def _ended(db: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint: the outer transaction decides
    for store, address in db.info.pop(_WRITTEN, []):  # rolled back: nothing refers to them
        store.delete(address)
    db.info.pop(_DISCARDED, None)  # rolled back: the items are still there


def _still_referenced(db: Session, address: str) -> bool:
    """Whether any stored item still names an old-layout (shared) file."""
    from ..models import CollectedItem

    with db.get_bind().connect() as conn:
        found = conn.execute(
            select(CollectedItem.id)
            .where(cast(CollectedItem.payload, String).contains(address))
            .limit(1)
        ).first()
    return found is not None


def exports_folder() -> Path:
    """Where finished export ZIPs wait (24 hours) for their owner."""
    app = current_app
    folder = Path(app.config.get("EXPORTS_ROOT") or Path(app.instance_path) / "exports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
