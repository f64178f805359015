"""``/collect``: every event checked on its own, accepted rows tied to their consent.

An event is accepted only when its category is declared for its purpose and feature,
is not promised never collected, its consent was live when it was collected and is
live now, a sensitive category has its own consent, and its payload has the right shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import insert
from sqlalchemy.orm import Session

from ...policy import Manifest, taxonomy
from ...policy.durations import add_duration
from ...policy.manifest import DataCategory
from ...policy.payloads import validate_payload
from ..db import utcnow
from ..models import CollectedItem, ConsentEvent, User
from .keyed_hash import keyed_hash
from .ledger import ConsentState, sensitive_needs_own_consent


def _reject(index: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"index": index, "status": "rejected", "code": code, "detail": detail, **extra}


@dataclass(frozen=True)
class Use:
    """An allowed use: the declaration and the consent event behind it."""

    declared: DataCategory
    consent: ConsentEvent


class Refused(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def check_use(
    manifest: Manifest,
    consents: ConsentState,
    category: str,
    purpose: str,
    feature: str,
    collected_at: datetime,
    now: datetime,
) -> Use:
    """Declared for this purpose and feature, consented then and now — or ``Refused``."""
    if category in manifest.never_collected:
        raise Refused("never_collected", f"the policy promises {category} is never collected")
    declared = manifest.data_categories.get(category)
    if declared is None:
        raise Refused("undeclared_category", f"{category} is not in the policy")
    if purpose not in manifest.purposes:
        raise Refused("undeclared_purpose", f"{purpose} is not a purpose of the policy")
    if feature not in manifest.features:
        raise Refused("undeclared_feature", f"{feature} is not a feature of the policy")
    if not manifest.category_allowed(category, purpose, feature):
        raise Refused(
            "undeclared_category",
            f"{category} is not declared for purpose {purpose} in feature {feature}",
        )
    if declared.stored is False:
        raise Refused("not_stored", f"the policy keeps {category} on the device only")
    skew = timedelta(seconds=current_app.config["CLOCK_SKEW_SECONDS"])
    if collected_at > now + skew:
        raise Refused("invalid_collected_at", "collected_at is in the future")
    verdict = consents.live(purpose, at=collected_at)
    if not verdict.ok:
        raise Refused(verdict.code, verdict.detail)
    if sensitive_needs_own_consent(manifest, category, purpose) and not (
        consents.category_consented(category)
    ):
        raise Refused(
            "sensitive_consent_required", f"{category} is sensitive and needs its own consent"
        )
    return Use(declared, verdict.event)


@lru_cache(maxsize=4096)
def _keep_until(collected_at: datetime, retention: str) -> datetime | None:
    """Cached: a batch's events share a few moments, and calendar durations (``P1Y``)
    are slow to add."""
    end = add_duration(collected_at, retention)
    return end if isinstance(end, datetime) else None


def new_item(manifest: Manifest, use: Use, event: dict[str, Any], payload: Any, now: datetime):
    """One accepted item as a row object (the media upload path)."""
    return CollectedItem(**_row(manifest, use, event, payload, now))


def _row(
    manifest: Manifest, use: Use, event: dict[str, Any], payload: Any, now: datetime
) -> dict[str, Any]:
    return {
        "app_id": manifest.id,
        "category": event["category"],
        "purpose": event["purpose"],
        "feature": event["feature"],
        "payload": payload,
        "consent_event_id": use.consent.id,
        "policy_version": use.consent.policy_version,
        "collected_at": event["collected_at"],
        "received_at": now,
        "keep_until": _keep_until(event["collected_at"], use.declared.retention),
    }


def check_event(
    manifest: Manifest,
    consents: ConsentState,
    index: int,
    event: dict[str, Any],
    now: datetime,
    uses: dict[tuple, Use | Refused] | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The result of one event and, if accepted, the row to store.

    ``uses`` remembers the decisions already taken in this batch: events of one category,
    purpose, feature and moment share theirs."""
    category = event["category"]
    key = (category, event["purpose"], event["feature"], event["collected_at"])
    use = uses.get(key) if uses is not None else None
    if use is None:
        try:
            use = check_use(manifest, consents, *key, now)
        except Refused as refused:
            use = refused
        if uses is not None:
            uses[key] = use
    if isinstance(use, Refused):
        return _reject(index, use.code, use.detail), None
    kind = taxonomy().categories[category].payload
    clean, errors = validate_payload(kind, event.get("payload"))
    if errors:
        return _reject(
            index, "invalid_payload", "the payload does not fit the category", errors=errors
        ), None
    if use.declared.stored == "hashed":
        clean = {"hash": keyed_hash(str(clean.get("value", clean)), context=category)}
    return {"index": index, "status": "accepted"}, _row(manifest, use, event, clean, now)


# Core, not the ORM's bulk path: the rows are plain dicts already.
_INSERT = insert(CollectedItem.__table__).returning(
    CollectedItem.__table__.c.id, sort_by_parameter_order=True
)


def collect(
    db: Session,
    manifest: Manifest,
    consents: ConsentState,
    user: User,
    events: list[dict[str, Any]],
) -> dict[str, Any]:
    """Check a batch; store what is accepted in one statement; report on every event."""
    now = utcnow()
    results, rows, accepted_results = [], [], []
    uses: dict[tuple, Use | Refused] = {}
    for i, event in enumerate(events):
        result, row = check_event(manifest, consents, i, event, now, uses)
        if row is not None:
            row["user_id"] = user.id
            rows.append(row)
            accepted_results.append(result)
        results.append(result)
    if rows:
        ids = db.connection().execute(_INSERT, rows).scalars().all()
        for result, row, item_id in zip(accepted_results, rows, ids, strict=True):
            result["id"] = item_id
            result["consent_event_id"] = row["consent_event_id"]
    accepted = len(rows)
    return {"accepted": accepted, "rejected": len(results) - accepted, "results": results}
