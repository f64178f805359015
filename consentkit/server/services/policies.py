"""Published policy versions: publish a manifest, read the one in force or any older one.

A published version never changes, so parsed manifests are cached per process.
"""

from __future__ import annotations

import time

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...policy import Manifest, manifest_from_dict
from ..models import PolicyVersionRow
from ..problems import Problem


def _manifest(row: PolicyVersionRow) -> Manifest:
    """Parsed once per app: a published version never changes."""
    cache: dict[tuple[str, str], Manifest] = current_app.extensions.setdefault(
        "consentkit.manifests", {}
    )
    key = (row.app_id, row.version)
    if key not in cache:
        cache[key] = manifest_from_dict(row.document, source=f"{row.app_id}@{row.version}")
    return cache[key]


def publish(db: Session, manifest: Manifest) -> tuple[PolicyVersionRow, bool]:
    """Store a version if it is new; the same version with other content is refused."""
    row = db.scalar(
        select(PolicyVersionRow).where(
            PolicyVersionRow.app_id == manifest.id, PolicyVersionRow.version == manifest.version
        )
    )
    if row is not None:
        if row.document != manifest.raw:
            raise Problem(
                409,
                "policy_version_exists",
                f"{manifest.id} version {manifest.version} is already published with other "
                "content; give the new text a new version",
            )
        return row, False
    row = PolicyVersionRow(
        app_id=manifest.id,
        version=manifest.version,
        change=manifest.app.policy.change,
        effective=manifest.app.policy.effective,
        document=manifest.raw,
    )
    db.add(row)
    db.flush()
    _current_cache().pop(manifest.id, None)
    return row, True


CURRENT_TTL_S = 1.0


def _current_cache() -> dict[str, tuple[float, int]]:
    return current_app.extensions.setdefault("consentkit.current_policy", {})


def current_row(db: Session, app_id: str) -> PolicyVersionRow:
    """The version in force. Its id is remembered for a second, per process: a version
    published by another worker is in force everywhere within that second."""
    cached = _current_cache().get(app_id)
    if cached and time.monotonic() - cached[0] < CURRENT_TTL_S:
        row = db.get(PolicyVersionRow, cached[1])
        if row is not None:
            return row
    row = db.scalar(
        select(PolicyVersionRow)
        .where(PolicyVersionRow.app_id == app_id)
        .order_by(PolicyVersionRow.id.desc())
        .limit(1)
    )
    if row is None:
        raise Problem(404, "unknown_app", f"no policy is published for app {app_id!r}")
    _current_cache()[app_id] = (time.monotonic(), row.id)
    return row


def current(db: Session, app_id: str) -> Manifest:
    """The manifest in force: the last one published."""
    return _manifest(current_row(db, app_id))


def version_row(db: Session, app_id: str, version: str) -> PolicyVersionRow:
    row = db.scalar(
        select(PolicyVersionRow).where(
            PolicyVersionRow.app_id == app_id, PolicyVersionRow.version == version
        )
    )
    if row is None:
        current_row(db, app_id)  # 404 for the app first
        raise Problem(404, "unknown_policy_version", f"{app_id} has no version {version!r}")
    return row


def version(db: Session, app_id: str, version_id: str) -> Manifest:
    return _manifest(version_row(db, app_id, version_id))


def versions(db: Session, app_id: str) -> list[PolicyVersionRow]:
    return list(
        db.scalars(
            select(PolicyVersionRow)
            .where(PolicyVersionRow.app_id == app_id)
            .order_by(PolicyVersionRow.id)
        )
    )


def lapsed_versions(db: Session, app_id: str) -> set[str]:
    """Versions whose consents lapsed: a major change was published after them."""
    rows = versions(db, app_id)
    last_major = max((i for i, row in enumerate(rows) if row.change == "major"), default=-1)
    return {row.version for row in rows[:last_major]}
