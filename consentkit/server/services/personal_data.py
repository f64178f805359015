"""Everything the server holds about one user, gathered for access and export."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..models import (
    AuditEntry,
    CollectedItem,
    ConsentEvent,
    ConsentReceipt,
    Device,
    DeviceIdentifier,
    InstallLink,
    User,
)


def installs_of(db: Session, user: User) -> list[str]:
    return list(db.scalars(select(InstallLink.install_id).where(InstallLink.user_id == user.id)))


ITEM_COLUMNS = (
    CollectedItem.id,
    CollectedItem.category,
    CollectedItem.purpose,
    CollectedItem.feature,
    CollectedItem.consent_event_id,
    CollectedItem.policy_version,
    CollectedItem.collected_at,
    CollectedItem.keep_until,
    CollectedItem.payload,
)


def item_view(item: Any) -> dict[str, Any]:
    """One item as the user sees it (an ORM row or a row of ``ITEM_COLUMNS``)."""
    return {
        "id": item.id,
        "category": item.category,
        "purpose": item.purpose,
        "feature": item.feature,
        "consent_event_id": item.consent_event_id,
        "policy_version": item.policy_version,
        "collected_at": item.collected_at.isoformat(),
        "kept_until": item.keep_until.isoformat() if item.keep_until else "see retention",
        "value": item.payload,
    }


def gather(db: Session, user: User, app_id: str | None = None) -> dict[str, Any]:
    """Personal data grouped by category, each with its purpose, consent and retention."""
    items = select(*ITEM_COLUMNS).where(CollectedItem.user_id == user.id)
    if app_id:
        items = items.where(CollectedItem.app_id == app_id)
    categories: dict[str, list] = {}
    for item in db.execute(items.order_by(CollectedItem.id)):
        categories.setdefault(item.category, []).append(item_view(item))
    installs = installs_of(db, user)
    devices = []
    device_q = select(Device).where(
        or_(Device.user_id == user.id, Device.install_id.in_(installs or [""]))
    )
    if app_id:
        device_q = device_q.where(Device.app_id == app_id)
    for device in db.scalars(device_q):
        ids = db.scalars(select(DeviceIdentifier).where(DeviceIdentifier.device_id == device.id))
        devices.append(
            {
                "app_id": device.app_id,
                "platform": device.platform,
                "os_version": device.os_version,
                "app_version": device.app_version,
                "model": device.model,
                "identifiers": [
                    {
                        "category": i.category,
                        "purpose": i.purpose,
                        "value": i.value,
                        "stored_as": "keyed hash" if i.hashed else "as given",
                        "consent_event_id": i.consent_event_id,
                    }
                    for i in ids
                ],
            }
        )
    consent_q = select(ConsentEvent).where(
        or_(ConsentEvent.user_id == user.id, ConsentEvent.install_id.in_(installs or [""]))
    )
    if app_id:
        consent_q = consent_q.where(ConsentEvent.app_id == app_id)
    consents = db.scalars(consent_q.order_by(ConsentEvent.id))
    return {
        "profile": {
            "id": user.id,
            "phone": user.phone,
            "birth_date": user.birth_date.isoformat() if user.birth_date else None,
            "created_at": user.created_at.isoformat(),
        },
        "categories": categories,
        "devices": devices,
        "consents": [
            {
                "id": c.id,
                "app_id": c.app_id,
                "purpose": c.purpose,
                "category": c.category,
                "action": c.action,
                "policy_version": c.policy_version,
                "recorded_at": c.recorded_at.isoformat(),
            }
            for c in consents
        ],
    }


def uses_app(db: Session, user: User, app_id: str) -> bool:
    """Whether ``user`` is a subject of ``app_id``: consented, registered a device or sent
    data there (what an app's staff may be shown is limited to its own subjects)."""
    installs = installs_of(db, user) or [""]
    for query in (
        select(ConsentEvent.id).where(
            ConsentEvent.app_id == app_id,
            or_(ConsentEvent.user_id == user.id, ConsentEvent.install_id.in_(installs)),
        ),
        select(Device.id).where(
            Device.app_id == app_id,
            or_(Device.user_id == user.id, Device.install_id.in_(installs)),
        ),
        select(CollectedItem.id).where(
            CollectedItem.app_id == app_id, CollectedItem.user_id == user.id
        ),
    ):
        if db.scalar(query.limit(1)) is not None:
            return True
    return False


def staff_reads(db: Session, user: User) -> list[dict[str, Any]]:
    """Every time staff read this person's data or the consent records that hold theirs:
    when, on which app, in which role. From the audit log, where each read is written."""
    reads = [
        {
            "at": e.at.isoformat(),
            "app_id": e.details.get("app"),
            "role": e.actor.split(":", 1)[0],
            "read": "your data",
        }
        for e in db.scalars(
            select(AuditEntry)
            .where(AuditEntry.subject == f"user:{user.id}", AuditEntry.action == "staff.read")
            .order_by(AuditEntry.position)
        )
    ]
    installs = installs_of(db, user) or [""]
    first_consent = dict(
        db.execute(
            select(ConsentEvent.app_id, func.min(ConsentEvent.recorded_at))
            .where(or_(ConsentEvent.user_id == user.id, ConsentEvent.install_id.in_(installs)))
            .group_by(ConsentEvent.app_id)
        ).all()
    )
    if first_consent:
        subjects = [f"consent-records:{app}" for app in first_consent]
        for e in db.scalars(
            select(AuditEntry)
            .where(AuditEntry.subject.in_(subjects), AuditEntry.action == "staff.read")
            .order_by(AuditEntry.position)
        ):
            app = e.subject.split(":", 1)[1]
            if first_consent[app] <= e.at:
                reads.append(
                    {
                        "at": e.at.isoformat(),
                        "app_id": app,
                        "role": e.actor.split(":", 1)[0],
                        "read": "the app's consent records, yours among them",
                    }
                )
    return sorted(reads, key=lambda r: r["at"])


def receipts_of(db: Session, user: User) -> list[dict[str, Any]]:
    keys = [f"user:{user.id}", *(f"install:{i}" for i in installs_of(db, user))]
    rows = db.scalars(
        select(ConsentReceipt)
        .where(or_(ConsentReceipt.user_id == user.id, ConsentReceipt.subject.in_(keys)))
        .order_by(ConsentReceipt.created_at)
    )
    return [r.document for r in rows]
