"""Personal data accepted through ``/collect``, and the idempotency of its batches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class CollectedItem(Base):
    """One accepted event; ``consent_event_id`` is the consent that allowed it."""

    __tablename__ = "collected_items"
    __table_args__ = (Index("ix_collected_items_owner", "app_id", "user_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(96))
    purpose: Mapped[str] = mapped_column(String(64))
    feature: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    consent_event_id: Mapped[int] = mapped_column(
        ForeignKey("consent_events.id", ondelete="CASCADE")
    )
    policy_version: Mapped[str] = mapped_column(String(64))
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    keep_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # retention
    anonymized: Mapped[bool] = mapped_column(default=False)


class IdempotencyRecord(Base):
    """The answer given to a batch, replayed for a retry with the same key."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
