"""One-time codes: made, sent through a pluggable sender, checked once.

Codes are six digits, live five minutes, are stored keyed-hashed and die on first use
or after too many wrong tries.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..db import utcnow
from ..models import OtpCode
from ..problems import Problem
from .keyed_hash import keyed_hash, same
from .senders import Sender

log = logging.getLogger(__name__)

PURPOSES = ("login", "guardian", "verify")


def sender() -> Sender:
    """This app's sender (see ``senders.from_config``)."""
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
    # Sent before the caller commits: if delivery fails (a 503), the new code is rolled
    # back and the earlier ones stay valid.
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
