"""Where uploaded files live: content-addressed, behind a small interface.

The local implementation keeps files under the instance folder; an object store would
implement the same three methods.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

from flask import current_app


class MediaStorage(Protocol):
    def put(self, data: bytes, suffix: str) -> str: ...
    def get(self, address: str) -> bytes | None: ...
    def delete(self, address: str) -> None: ...


class LocalStorage:
    """Files named by their SHA-256; the same bytes are stored once."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, address: str) -> Path:
        if not address.replace(".", "").isalnum():
            raise ValueError("bad media address")
        return self.root / address[:2] / address[2:4] / address

    def put(self, data: bytes, suffix: str) -> str:
        address = hashlib.sha256(data).hexdigest() + suffix
        path = self._path(address)
        if not path.exists():
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


def storage() -> MediaStorage:
    app = current_app
    if "consentkit.storage" not in app.extensions:
        root = app.config.get("MEDIA_ROOT") or Path(app.instance_path) / "media"
        app.extensions["consentkit.storage"] = LocalStorage(root)
    return app.extensions["consentkit.storage"]


def exports_folder() -> Path:
    """Where finished export ZIPs wait (24 hours) for their owner."""
    app = current_app
    folder = Path(app.config.get("EXPORTS_ROOT") or Path(app.instance_path) / "exports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
