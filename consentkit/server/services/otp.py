"""One-time codes: made, sent through a pluggable sender, checked once.

Codes are six digits, live five minutes, are stored keyed-hashed and die on first use
or after too many wrong tries.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Protocol

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..db import utcnow
from ..models import OtpCode, OutboxMessage
from ..problems import Problem
from .keyed_hash import keyed_hash, same

log = logging.getLogger(__name__)

PURPOSES = ("login", "guardian", "verify")


class Sender(Protocol):
    """Where codes and notices go: an SMS gateway in production."""

    def send(self, db: Session, phone: str, kind: str, text: str) -> None: ...


class OutboxSender:
    """Development sender: keeps messages in a table readable at ``/api/v1/dev/outbox``."""

    def send(self, db: Session, phone: str, kind: str, text: str) -> None:
        db.add(OutboxMessage(phone=phone, kind=kind, body=text))


class RefusingSender:
    """Production default until a gateway is configured: says so instead of pretending."""

    def send(self, db: Session, phone: str, kind: str, text: str) -> None:
        raise Problem(503, "sender_unavailable", "No SMS gateway is configured on this server.")


def sender() -> Sender:
    return current_app.extensions["consentkit.sender"]


def issue(db: Session, phone: str, purpose: str) -> None:
    """Make a code for ``phone`` and send it; earlier unused codes stop working."""
    now = utcnow()
    for old in db.scalars(
        select(OtpCode).where(
            OtpCode.phone == phone, OtpCode.purpose == purpose, OtpCode.used_at.is_(None)
        )
    ):
        old.used_at = now
    code = f"{secrets.randbelow(10**6):06d}"
    ttl = current_app.config["OTP_TTL_SECONDS"]
    db.add(
        OtpCode(
            phone=phone,
            purpose=purpose,
            code_hash=keyed_hash(code, context=f"otp:{phone}:{purpose}"),
            expires_at=now + timedelta(seconds=ttl),
        )
    )
    text = f"Your consentkit code is {code}. It expires in {ttl // 60} minutes."
    sender().send(db, phone, f"otp.{purpose}", text)


def verify(db: Session, phone: str, purpose: str, code: str) -> None:
    """Use up a valid code or raise ``invalid_code``; never says which part was wrong.

    Every try is counted before the code is compared, and using the code is a
    compare-and-set: however many requests race with one code, at most
    ``OTP_MAX_ATTEMPTS`` guesses are compared and only one of them uses it."""
    now = utcnow()
    row = db.scalar(
        select(OtpCode)
        .where(OtpCode.phone == phone, OtpCode.purpose == purpose, OtpCode.used_at.is_(None))
        .order_by(OtpCode.id.desc())
        .limit(1)
    )
    wrong = Problem(401, "invalid_code", "The code is wrong, used or expired.")
    if row is None or row.expires_at <= now:
        raise wrong
    counted = db.execute(
        update(OtpCode)
        .where(
            OtpCode.id == row.id,
            OtpCode.used_at.is_(None),
            OtpCode.attempts < current_app.config["OTP_MAX_ATTEMPTS"],
        )
        .values(attempts=OtpCode.attempts + 1)
    ).rowcount
    if counted != 1:  # too many tries: the code dies
        db.execute(
            update(OtpCode)
            .where(OtpCode.id == row.id, OtpCode.used_at.is_(None))
            .values(used_at=now)
        )
        db.commit()
        raise wrong
    if not same(row.code_hash, keyed_hash(code, context=f"otp:{phone}:{purpose}")):
        db.commit()
        raise wrong
    used = db.execute(
        update(OtpCode).where(OtpCode.id == row.id, OtpCode.used_at.is_(None)).values(used_at=now)
    ).rowcount
    if used != 1:  # a concurrent request used it first
        db.rollback()
        raise wrong
