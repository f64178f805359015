"""``/collect``: every event checked on its own, accepted rows tied to their consent.

An event is accepted only when its category is declared for its purpose and feature,
is not promised never collected, its consent was live when it was collected and is
live now, a sensitive category has its own consent, and its payload has the right shape.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from ...policy import Manifest, taxonomy
from ...policy.durations import add_duration
from ...policy.payloads import validate_payload
from ..db import utcnow
from ..models import CollectedItem, User
from .keyed_hash import keyed_hash
from .ledger import ConsentState, sensitive_needs_own_consent


def _reject(index: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"index": index, "status": "rejected", "code": code, "detail": detail, **extra}


def check_event(
    manifest: Manifest, consents: ConsentState, index: int, event: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], CollectedItem | None]:
    """The result of one event and, if accepted, the row to store."""
    category, purpose, feature = event["category"], event["purpose"], event["feature"]
    collected_at: datetime = event["collected_at"]
    if category in manifest.never_collected:
        return _reject(
            index, "never_collected", f"the policy promises {category} is never collected"
        ), None
    declared = manifest.data_categories.get(category)
    if declared is None:
        return _reject(index, "undeclared_category", f"{category} is not in the policy"), None
    if purpose not in manifest.purposes:
        return _reject(
            index, "undeclared_purpose", f"{purpose} is not a purpose of the policy"
        ), None
    if feature not in manifest.features:
        return _reject(
            index, "undeclared_feature", f"{feature} is not a feature of the policy"
        ), None
    if not manifest.category_allowed(category, purpose, feature):
        return _reject(
            index,
            "undeclared_category",
            f"{category} is not declared for purpose {purpose} in feature {feature}",
        ), None
    if declared.stored is False:
        return _reject(index, "not_stored", f"the policy keeps {category} on the device only"), None
    skew = timedelta(seconds=current_app.config["CLOCK_SKEW_SECONDS"])
    if collected_at > now + skew:
        return _reject(index, "invalid_collected_at", "collected_at is in the future"), None
    verdict = consents.live(purpose, at=collected_at)
    if not verdict.ok:
        return _reject(index, verdict.code, verdict.detail), None
    if sensitive_needs_own_consent(manifest, category, purpose) and not consents.category_consented(
        category
    ):
        return _reject(
            index,
            "sensitive_consent_required",
            f"{category} is sensitive and needs its own consent",
        ), None
    kind = taxonomy().categories[category].payload
    clean, errors = validate_payload(kind, event.get("payload"))
    if errors:
        return _reject(
            index, "invalid_payload", "the payload does not fit the category", errors=errors
        ), None
    if declared.stored == "hashed":
        clean = {"hash": keyed_hash(str(clean.get("value", clean)), context=category)}
    keep_until = add_duration(collected_at, declared.retention)
    item = CollectedItem(
        app_id=manifest.id,
        category=category,
        purpose=purpose,
        feature=feature,
        payload=clean,
        consent_event_id=verdict.event.id,
        policy_version=verdict.event.policy_version,
        collected_at=collected_at,
        received_at=now,
        keep_until=keep_until if isinstance(keep_until, datetime) else None,
    )
    return {"index": index, "status": "accepted"}, item


def collect(
    db: Session,
    manifest: Manifest,
    consents: ConsentState,
    user: User,
    events: list[dict[str, Any]],
) -> dict[str, Any]:
    """Check a batch; store what is accepted; report on every event."""
    now = utcnow()
    results = []
    for i, event in enumerate(events):
        result, item = check_event(manifest, consents, i, event, now)
        if item is not None:
            item.user_id = user.id
            db.add(item)
            db.flush()
            result["id"] = item.id
            result["consent_event_id"] = item.consent_event_id
        results.append(result)
    accepted = sum(r["status"] == "accepted" for r in results)
    return {"accepted": accepted, "rejected": len(results) - accepted, "results": results}
