"""Rights requests: opened with the deadline the policy in force promises, frozen there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ...policy import Manifest
from ...policy.deadlines import due
from ...policy.manifest import Deadline
from ..db import utcnow
from ..models import RightsRequest, User
from . import audit_log

KINDS = ("access", "export", "correction", "deletion", "cancellation")
# When a policy promises nothing for a right, the law's default applies: one month (GDPR
# art. 12(3)); PIPL asks for "timely", which one month satisfies.
DEFAULT_DEADLINE = Deadline(1, "months")


def open_request(db: Session, user: User, manifest: Manifest, kind: str) -> RightsRequest:
    promise = manifest.rights.deadline(kind) or DEFAULT_DEADLINE
    now = utcnow()
    row = RightsRequest(
        user_id=user.id,
        app_id=manifest.id,
        kind=kind,
        policy_version=manifest.version,
        within=promise.within,
        unit=promise.unit,
        calendar=manifest.rights.calendar,
        due_at=due(now, promise, manifest.rights.calendar),
        created_at=now,
    )
    db.add(row)
    db.flush()
    audit_log.append(
        db,
        f"user:{user.id}",
        f"rights.{kind}.requested",
        f"request:{row.id}",
        app=manifest.id,
        due_at=row.due_at.isoformat(),
    )
    return row


def extend(db: Session, row: RightsRequest, extension: Deadline, reason: str, actor: str) -> None:
    """A recorded extension (e.g. GDPR art. 12(3)'s two more months), counted from the due date."""
    row.due_at = due(row.due_at, extension, row.calendar)
    row.extension = {"within": extension.within, "unit": extension.unit, "reason": reason}
    audit_log.append(
        db,
        actor,
        f"rights.{row.kind}.extended",
        f"request:{row.id}",
        due_at=row.due_at.isoformat(),
        reason=reason,
    )


def complete(db: Session, row: RightsRequest, result: dict) -> None:
    row.status = "done"
    row.completed_at = utcnow()
    row.result = result
    audit_log.append(
        db,
        "system",
        f"rights.{row.kind}.completed",
        f"request:{row.id}",
        on_time=row.completed_at <= row.due_at,
    )


def delete_category(db: Session, user_id: str, manifest: Manifest, category: str) -> dict:
    """Delete a user's items of one category; those under a legal hold are anonymized."""
    from sqlalchemy import select

    from ..models import CollectedItem
    from . import purge

    counts = {"deleted": 0, "anonymized": 0}
    items = db.scalars(
        select(CollectedItem).where(
            CollectedItem.user_id == user_id,
            CollectedItem.app_id == manifest.id,
            CollectedItem.category == category,
        )
    )
    held = any(category in h.categories for h in manifest.rights.holds)
    for item in list(items):
        if held:
            purge.anonymize_item(db, item, manifest)
            counts["anonymized"] += 1
        else:
            purge.drop_media(db, item.payload)
            db.delete(item)
            counts["deleted"] += 1
    return counts


def forward(db: Session, row: RightsRequest, org_id: str, category: str) -> None:
    """A request about data the user's organization controls goes to that organization:
    the app processes it on the organization's behalf and does not decide alone."""
    row.status = "forwarded"
    row.result = {"forwarded_to": org_id, "category": category}
    audit_log.append(
        db,
        "system",
        f"rights.{row.kind}.forwarded",
        f"request:{row.id}",
        organization=org_id,
        category=category,
    )


def days_left(row: RightsRequest, now: datetime | None = None) -> float:
    now = now or utcnow()
    return round((row.due_at - now).total_seconds() / 86400, 2)
