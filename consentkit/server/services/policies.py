"""Published policy versions: publish a manifest, read the one in force or any older one.

A published version never changes, so parsed manifests are cached per process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...policy import Manifest, manifest_from_dict
from ..models import PolicyVersionRow
from ..problems import Problem


def _manifests() -> dict[tuple[str, str], Manifest]:
    return current_app.extensions.setdefault("consentkit.manifests", {})


def _manifest(row: PolicyVersionRow) -> Manifest:
    """Parsed once per app: a published version never changes."""
    cache = _manifests()
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


@dataclass(frozen=True)
class InForce:
    """What an app's version list says now: the version in force and the lapsed ones."""

    checked: float  # time.monotonic() when read
    row_id: int
    version: str
    lapsed: frozenset[str]


def _current_cache() -> dict[str, InForce]:
    return current_app.extensions.setdefault("consentkit.current_policy", {})


def in_force(db: Session, app_id: str) -> InForce:
    """Read from the version list at most once a second per process: a version published
    by another worker is in force everywhere within that second. Only ids, versions and
    change kinds are read; documents are parsed once, when a version is first needed."""
    found = _current_cache().get(app_id)
    if found and time.monotonic() - found.checked < CURRENT_TTL_S:
        return found
    rows = db.execute(
        select(PolicyVersionRow.id, PolicyVersionRow.version, PolicyVersionRow.change)
        .where(PolicyVersionRow.app_id == app_id)
        .order_by(PolicyVersionRow.id)
    ).all()
    if not rows:
        raise Problem(404, "unknown_app", f"no policy is published for app {app_id!r}")
    last_major = max((i for i, row in enumerate(rows) if row.change == "major"), default=-1)
    found = InForce(
        time.monotonic(),
        rows[-1].id,
        rows[-1].version,
        frozenset(row.version for row in rows[:last_major]),
    )
    _current_cache()[app_id] = found
    return found


def current_row(db: Session, app_id: str) -> PolicyVersionRow:
    """The version in force, as stored."""
    row = db.get(PolicyVersionRow, in_force(db, app_id).row_id)
    if row is None:  # removed since it was read (only a simulation removes versions)
        _current_cache().pop(app_id, None)
        row = db.get(PolicyVersionRow, in_force(db, app_id).row_id)
    return row


def current(db: Session, app_id: str) -> Manifest:
    """The manifest in force: the last one published."""
    now = in_force(db, app_id)
    cached = _manifests().get((app_id, now.version))
    return cached if cached is not None else _manifest(current_row(db, app_id))


def version_row(db: Session, app_id: str, version: str) -> PolicyVersionRow:
    row = db.scalar(
        select(PolicyVersionRow).where(
            PolicyVersionRow.app_id == app_id, PolicyVersionRow.version == version
        )
    )
    if row is None:
        in_force(db, app_id)  # 404 for the app first
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


def lapsed_versions(db: Session, app_id: str) -> frozenset[str]:
    """Versions whose consents lapsed: a major change was published after them."""
    return in_force(db, app_id).lapsed
