"""Consent receipts in the Kantara Initiative Consent Receipt v1.1 shape, hash-chained.

Each receipt carries the hash of the subject's previous one, so a removed or edited
receipt breaks the chain for everyone after it. A person's receipts are written one at a
time: ``make`` runs under the subject's lock (``serial.lock_subject``), so two receipts
can never name the same predecessor.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ...policy import Manifest
from ..models import ConsentReceipt

VERSION = "KI-CR-v1.1.0"


def canonical_hash(document: dict[str, Any]) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


_PREVIOUS = (
    select(ConsentReceipt.id, ConsentReceipt.hash, ConsentReceipt.position)
    .where(
        ConsentReceipt.app_id == bindparam("app"),
        ConsentReceipt.subject.in_(bindparam("subjects", expanding=True)),
    )
    .order_by(
        ConsentReceipt.position.desc(), ConsentReceipt.created_at.desc(), ConsentReceipt.id.desc()
    )
    .limit(1)
)


def _previous(db: Session, app_id: str, subjects: list[str]):
    """The id, hash and position of the subject's last receipt. By position, not time: a
    simulation's clock may stand still while receipts are written."""
    return db.execute(_PREVIOUS, {"app": app_id, "subjects": subjects}).first()


def make(
    db: Session,
    manifest: Manifest,
    *,
    subject: str,
    chain_subjects: list[str],
    user_id: str | None,
    granted: list[str],
    decisions: dict[str, str],
    categories: dict[str, str],
    method: str,
    at: datetime,
) -> ConsentReceipt:
    """Build, chain and store the receipt of one consent change."""
    previous = _previous(db, manifest.id, chain_subjects)
    spi = sorted(
        {
            c
            for c, d in manifest.data_categories.items()
            if manifest.is_sensitive(c) and set(d.purposes) & set(granted)
        }
    )
    purposes = []
    for pid in granted:
        purpose = manifest.purposes[pid]
        parties = [t.name for t in manifest.third_parties if pid in t.purposes]
        purposes.append(
            {
                "purpose": purpose.description,
                "purposeCategory": [purpose.kind],
                "consentType": "EXPLICIT",
                "piiCategory": [
                    c for c, d in manifest.data_categories.items() if pid in d.purposes
                ],
                "primaryPurpose": purpose.basic,
                "termination": "on withdrawal or account closure",
                "thirdPartyDisclosure": bool(parties),
                "thirdPartyName": ", ".join(parties),
            }
        )
    receipt_id = str(uuid.uuid4())
    document: dict[str, Any] = {
        "version": VERSION,
        "jurisdiction": ",".join(manifest.app.jurisdictions),
        "consentTimestamp": int(at.timestamp()),
        "collectionMethod": method,
        "consentReceiptID": receipt_id,
        "language": "en",
        "piiPrincipalId": subject,
        "piiControllers": [
            {
                "piiController": manifest.app.controller.name,
                "contact": manifest.app.controller.contact,
                "email": manifest.app.controller.contact,
                "onBehalf": False,
            }
        ],
        "policyUrl": manifest.app.policy.url or "",
        "services": [{"service": manifest.app.name, "purposes": purposes}],
        "sensitive": bool(spi),
        "spiCat": spi,
        "extensions": {
            "appId": manifest.id,
            "policyVersion": manifest.version,
            "decisions": decisions,
            "categories": categories,
            "previousReceiptID": previous.id if previous else None,
            "previousReceiptHash": previous.hash if previous else None,
        },
    }
    row = ConsentReceipt(
        id=receipt_id,
        app_id=manifest.id,
        subject=subject,
        user_id=user_id,
        previous_id=previous.id if previous else None,
        position=previous.position + 1 if previous else 1,
        previous_hash=previous.hash if previous else None,
        hash=canonical_hash(document),
        document=document,
        created_at=at,
    )
    db.add(row)
    return row


def verify_chain(receipts: list[ConsentReceipt]) -> bool:
    """True when each receipt hashes to itself, names a predecessor that is there with the
    hash it names, and no receipt has two successors.

    Checked by links, not by order: a person who consented on two installs before
    logging in has two chains that join at their first receipt as a user."""
    by_id = {row.id: row for row in receipts}
    for row in receipts:
        if canonical_hash(row.document) != row.hash:
            return False
        named = row.document["extensions"]
        if named["previousReceiptID"] is None:
            if named["previousReceiptHash"] is not None:
                return False
            continue
        previous = by_id.get(named["previousReceiptID"])
        if previous is None or previous.hash != named["previousReceiptHash"]:
            return False
    successors = Counter(row.document["extensions"]["previousReceiptID"] for row in receipts)
    successors.pop(None, None)
    return all(n == 1 for n in successors.values())
