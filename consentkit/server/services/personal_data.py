"""Everything the server holds about one user, gathered for access and export."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import (
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
    consents = db.scalars(
        select(ConsentEvent)
        .where(or_(ConsentEvent.user_id == user.id, ConsentEvent.install_id.in_(installs or [""])))
        .order_by(ConsentEvent.id)
    )
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


def receipts_of(db: Session, user: User) -> list[dict[str, Any]]:
    keys = [f"user:{user.id}", *(f"install:{i}" for i in installs_of(db, user))]
    rows = db.scalars(
        select(ConsentReceipt)
        .where(or_(ConsentReceipt.user_id == user.id, ConsentReceipt.subject.in_(keys)))
        .order_by(ConsentReceipt.created_at)
    )
    return [r.document for r in rows]
