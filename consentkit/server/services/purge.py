"""Account purge and retention: delete what may go, anonymize what the law holds.

After a purge no personal data of the user remains: rows are deleted, media files
removed, and only records under a legal hold stay — unlinked from the person and
stripped to their non-personal fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from ...policy import Manifest
from ...policy.durations import add_duration
from ..db import utcnow
from ..models import (
    CallRecord,
    CollectedItem,
    ConsentEvent,
    ConsentReceipt,
    Customer,
    Device,
    IdempotencyRecord,
    Incident,
    InstallLink,
    Invitation,
    Membership,
    Order,
    OtpCode,
    OutboxMessage,
    Product,
    QrToken,
    RightsRequest,
    StaffGrant,
    TokenFamily,
    User,
)
from . import audit_log, business, serial, storage
from .storage import exports_folder

# Fields of a held record that describe the transaction, not the person.
KEPT_ON_ANONYMIZE = frozenset(
    {"amount", "currency", "status", "items", "quantity", "sku", "order_no", "created", "total"}
)


def anonymize_payload(payload: dict[str, Any] | None) -> dict[str, Any]:
    if not isinstance(payload, dict):
        return {"anonymized": True}
    kept = {k: v for k, v in payload.items() if k in KEPT_ON_ANONYMIZE}
    return {**kept, "anonymized": True}


def hold_for(manifest: Manifest | None, category: str):
    """The legal hold that keeps ``category`` (anonymized), if the manifest has one."""
    if manifest is None:
        return None
    return next((h for h in manifest.rights.holds if category in h.categories), None)


def drop_media(db: Session, payload: dict[str, Any] | None) -> None:
    """The item's files go when its row goes (at commit); they are the item's alone."""
    if isinstance(payload, dict):
        for key in ("file", "thumbnail"):
            if payload.get(key):
                storage.discard(db, payload[key])


def anonymize_item(db: Session, item: CollectedItem, manifest: Manifest | None) -> None:
    hold = hold_for(manifest, item.category)
    drop_media(db, item.payload)
    item.user_id = None
    item.payload = anonymize_payload(item.payload)
    item.anonymized = True
    end = add_duration(item.collected_at, hold.retention) if hold else None
    item.keep_until = end if isinstance(end, datetime) else None


def purge_user(db: Session, user: User, manifests: dict[str, Manifest]) -> dict[str, int]:
    """Remove every trace of ``user``; held records are anonymized instead."""
    serial.lock_subject(db, f"user:{user.id}")  # nothing of theirs commits after the purge
    counts = {"deleted": 0, "anonymized": 0, "devices": 0, "consents": 0}
    installs = list(
        db.scalars(select(InstallLink.install_id).where(InstallLink.user_id == user.id))
    )
    # Set-based: held rows are anonymized in one bulk update, the rest deleted in one go.
    anonymized = []
    rows = db.execute(
        select(
            CollectedItem.id,
            CollectedItem.app_id,
            CollectedItem.category,
            CollectedItem.payload,
            CollectedItem.collected_at,
        ).where(CollectedItem.user_id == user.id)
    )
    for row in rows:
        drop_media(db, row.payload)
        hold = hold_for(manifests.get(row.app_id), row.category)
        if hold is None:
            continue
        end = add_duration(row.collected_at, hold.retention)
        anonymized.append(
            {
                "id": row.id,
                "user_id": None,
                "anonymized": True,
                "payload": anonymize_payload(row.payload),
                "keep_until": end if isinstance(end, datetime) else None,
            }
        )
    if anonymized:
        db.execute(update(CollectedItem), anonymized)
    counts["anonymized"] = len(anonymized)
    counts["deleted"] = db.execute(
        delete(CollectedItem).where(CollectedItem.user_id == user.id)
    ).rowcount
    db.flush()
    subject_installs = installs or [""]
    devices = list(
        db.scalars(
            select(Device).where(
                or_(Device.user_id == user.id, Device.install_id.in_(subject_installs))
            )
        )
    )
    for device in devices:
        db.delete(device)
    counts["devices"] = len(devices)
    db.flush()
    consent_filter = or_(
        ConsentEvent.user_id == user.id, ConsentEvent.install_id.in_(subject_installs)
    )
    # Held records keep pointing at a consent row; it is emptied of who, not removed.
    held_consents = set(
        db.scalars(
            select(CollectedItem.consent_event_id).where(
                CollectedItem.anonymized.is_(True),
                CollectedItem.consent_event_id.in_(select(ConsentEvent.id).where(consent_filter)),
            )
        )
    )
    for event in list(db.scalars(select(ConsentEvent).where(consent_filter))):
        if event.id in held_consents:
            event.user_id = event.install_id = event.guardian_phone_hash = None
        else:
            db.delete(event)
            counts["consents"] += 1
    receipt_keys = [f"user:{user.id}", *(f"install:{i}" for i in installs)]
    db.execute(
        delete(ConsentReceipt).where(
            or_(ConsentReceipt.user_id == user.id, ConsentReceipt.subject.in_(receipt_keys))
        )
    )
    db.execute(delete(InstallLink).where(InstallLink.user_id == user.id))
    db.execute(delete(TokenFamily).where(TokenFamily.user_id == user.id))
    db.execute(delete(IdempotencyRecord).where(IdempotencyRecord.user_id == user.id))
    if user.phone:
        db.execute(delete(OtpCode).where(OtpCode.phone == user.phone))
        db.execute(delete(OutboxMessage).where(OutboxMessage.phone == user.phone))
        db.execute(
            delete(Invitation).where(Invitation.phone_hash == business.invitee_key(user.phone))
        )
    db.execute(delete(StaffGrant).where(StaffGrant.user_id == user.id))
    counts["customers"] = _purge_business(db, user)
    _forget_in_records(db, user)
    for request in db.scalars(
        select(RightsRequest).where(
            RightsRequest.user_id == user.id, RightsRequest.kind == "export"
        )
    ):
        if request.result and request.result.get("file"):
            (exports_folder() / request.result["file"]).unlink(missing_ok=True)
            request.result = {"purged": True}
    user.phone = None
    user.password_hash = None
    user.birth_date = None
    user.status = "purged"
    storage.discard_owner(db, user.id)  # anything left in the person's media folder
    audit_log.append(db, "system", "account.purged", f"user:{user.id}", **counts)
    return counts


def _forget_in_records(db: Session, user: User) -> None:
    """Records that stay (they belong to an organization or to the breach register)
    keep no link to the person: who made a product or sent an invitation is forgotten,
    and an incident counts them without naming them."""
    db.execute(update(Product).where(Product.created_by == user.id).values(created_by=None))
    db.execute(update(Invitation).where(Invitation.invited_by == user.id).values(invited_by=None))
    for incident in db.scalars(select(Incident)):
        if user.id in (incident.affected_users or []):
            incident.affected_users = [
                "purged" if uid == user.id else uid for uid in incident.affected_users
            ]


def _purge_business(db: Session, user: User) -> int:
    """Customers the user entered go; their orders stay (legal hold) without the person."""
    created = list(db.scalars(select(Customer.id).where(Customer.created_by == user.id)))
    for order in db.scalars(
        select(Order).where(
            or_(Order.created_by == user.id, Order.customer_id.in_(created or [""]))
        )
    ):
        order.created_by = None
        order.customer_id = None
        order.notes = None
        order.anonymized = True
    db.execute(delete(QrToken).where(QrToken.object_id.in_(created or [""])))
    db.execute(delete(CallRecord).where(CallRecord.user_id == user.id))
    db.execute(delete(Customer).where(Customer.created_by == user.id))
    member = db.get(Membership, user.id)
    if member is not None:
        db.delete(member)
        db.flush()
        _keep_an_admin(db, member.org_id)
    return len(created)


def _keep_an_admin(db: Session, org_id: str) -> None:
    """The organization's last admin was purged: so that its remaining members are not
    left with nobody to manage them, one of them (the first by id) becomes admin, and the
    audit log says so."""
    members = list(
        db.scalars(
            select(Membership).where(Membership.org_id == org_id).order_by(Membership.user_id)
        )
    )
    if members and not any(m.role == "admin" for m in members):
        members[0].role = "admin"
        audit_log.append(
            db,
            "system",
            "org.role_changed",
            f"org:{org_id}",
            member=members[0].user_id,
            before="member",
            role="admin",
            reason="the last admin's account was purged",
        )


def retention(
    db: Session, manifests: dict[str, Manifest], *, dry_run: bool = False
) -> dict[str, Any]:
    """Items past their retention: deleted, or anonymized where a hold says so. Idempotent."""
    now = utcnow()
    report: dict[str, Any] = {"deleted": 0, "anonymized": 0, "by_category": {}}
    due = db.scalars(
        select(CollectedItem).where(
            CollectedItem.keep_until.is_not(None), CollectedItem.keep_until <= now
        )
    )
    for item in list(due):
        manifest = manifests.get(item.app_id)
        hold = hold_for(manifest, item.category)
        action = (
            "anonymize" if hold and hold.then == "anonymize" and not item.anonymized else "delete"
        )
        if action == "anonymize" and item.anonymized:
            continue
        key = f"{item.app_id}:{item.category}:{action}"
        report["by_category"][key] = report["by_category"].get(key, 0) + 1
        if dry_run:
            continue
        if action == "anonymize":
            anonymize_item(db, item, manifest)
            item.keep_until = None  # anonymous now: nothing left to expire
            report["anonymized"] += 1
        else:
            drop_media(db, item.payload)
            db.delete(item)
            report["deleted"] += 1
    if not dry_run and (report["deleted"] or report["anonymized"]):
        audit_log.append(
            db,
            "system",
            "retention.applied",
            "collected_items",
            deleted=report["deleted"],
            anonymized=report["anonymized"],
        )
    return report
