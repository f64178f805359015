"""Published policy versions: publish a manifest, read the one in force or any older one.

A version is in force from its effective date (00:00 UTC) on: a version published with a
later date is announced, and the one before it stays in force until then. A change the
policy promises notice for cannot take effect before that notice has run, and a change
the policy counts as major cannot be published as minor. A published version never
changes, so parsed manifests are cached per process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...policy import Manifest, manifest_from_dict
from ...policy.changes import change_events
from ...policy.durations import add_duration
from ..db import utcnow
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
    if db.scalar(select(PolicyVersionRow.id).where(PolicyVersionRow.app_id == manifest.id)):
        _keeps_its_promises(current(db, manifest.id), manifest)
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


def earliest_effective(notice: str, now: datetime) -> date:
    """The first day a change noticed ``now`` may take effect: the notice period run in
    full, counted to the next 00:00 UTC."""
    end = add_duration(now, notice)
    return end.date() if end.time() == datetime.min.time() else end.date() + timedelta(days=1)


def _keeps_its_promises(in_force: Manifest, new: Manifest) -> None:
    """Refuse a version that would break the notice or major-change promises of the policy
    in force (or of its own text, whichever asks more)."""
    change = new.app.policy.change
    events = change_events(in_force, new) & set(in_force.notice.major_changes)
    if change == "minor" and events:
        raise Problem(
            409,
            "major_change_required",
            f"{new.id} {new.version} changes {', '.join(sorted(events))}, which the policy in "
            "force counts as a major change: publish it with change: major",
        )
    now = utcnow()
    periods = sorted({p for p in (in_force.notice_before(change), new.notice_before(change)) if p})
    ends = [earliest_effective(p, now) for p in periods]
    if not ends:
        return
    earliest = max(ends)
    if date.fromisoformat(new.app.policy.effective) < earliest:
        raise Problem(
            409,
            "notice_period_not_run",
            f"{new.id} {new.version} would take effect on {new.app.policy.effective}, before "
            f"the notice the policy promises has run ({' / '.join(periods)} from "
            f"today): give it effective: {earliest.isoformat()} or later",
        )


def _effective_at(effective: str) -> datetime:
    return datetime.combine(date.fromisoformat(effective), datetime.min.time(), tzinfo=UTC)


CURRENT_TTL_S = 1.0


@dataclass(frozen=True)
class InForce:
    """What an app's version list says now: the version in force and the lapsed ones."""

    checked: float  # time.monotonic() when read
    row_id: int
    version: str
    lapsed: frozenset[str]
    until: datetime | None = None  # when an announced version takes effect


def _current_cache() -> dict[str, InForce]:
    return current_app.extensions.setdefault("consentkit.current_policy", {})


def in_force(db: Session, app_id: str) -> InForce:
    """Read from the version list at most once a second per process: a version published
    by another worker is in force everywhere within that second. Only ids, versions and
    change kinds are read; documents are parsed once, when a version is first needed."""
    found = _current_cache().get(app_id)
    if (
        found
        and time.monotonic() - found.checked < CURRENT_TTL_S
        and (found.until is None or utcnow() < found.until)
    ):
        return found
    rows = db.execute(
        select(
            PolicyVersionRow.id,
            PolicyVersionRow.version,
            PolicyVersionRow.change,
            PolicyVersionRow.effective,
        )
        .where(PolicyVersionRow.app_id == app_id)
        .order_by(PolicyVersionRow.id)
    ).all()
    if not rows:
        raise Problem(404, "unknown_app", f"no policy is published for app {app_id!r}")
    now = utcnow()
    # Versions in force so far: published, and their date has come (the first version is
    # in force whatever its date: an app always has a policy).
    live = [r for i, r in enumerate(rows) if i == 0 or _effective_at(r.effective) <= now]
    announced = [
        _effective_at(r.effective)
        for i, r in enumerate(rows)
        if i and _effective_at(r.effective) > now
    ]
    last_major = max((i for i, row in enumerate(live) if row.change == "major"), default=-1)
    found = InForce(
        time.monotonic(),
        live[-1].id,
        live[-1].version,
        frozenset(row.version for row in live[:last_major]),
        min(announced) if announced else None,
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
