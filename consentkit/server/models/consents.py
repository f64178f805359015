"""The consent ledger: append-only events, and the receipts that prove them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class ConsentEvent(Base):
    """One decision about one purpose (or sensitive category) — never updated, never deleted
    except by an account purge.

    ``action``: grant | refuse | withdraw | guardian. A subject is an install before login
    and a user after; ``install_links`` joins the two without rewriting history.
    """

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_subject", "app_id", "user_id", "install_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    install_id: Mapped[str | None] = mapped_column(String(64), index=True)
    policy_version: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(96))
    action: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(32))
    guardian_phone_hash: Mapped[str | None] = mapped_column(String(128))
    receipt_id: Mapped[str] = mapped_column(String(36), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def granted(self) -> bool:
        return self.action in ("grant", "guardian")


class ConsentReceipt(Base):
    """A Kantara Consent Receipt v1.1, hash-chained to the subject's previous one."""

    __tablename__ = "consent_receipts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    app_id: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(80), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    previous_id: Mapped[str | None] = mapped_column(String(36))
    # Place in the person's chain (1, 2, …): the receipt after the highest is next.
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
