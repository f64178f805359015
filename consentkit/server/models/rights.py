"""Rights requests with their frozen deadlines, and the tamper-evident audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow
from .ids import new_id


class RightsRequest(Base):
    """Access, export, correction, deletion or cancellation — due by the policy in force
    when it was made (the deadline is copied here, so a later policy cannot move it)."""

    __tablename__ = "rights_requests"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    app_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done | failed
    policy_version: Mapped[str] = mapped_column(String(64))
    within: Mapped[int]
    unit: Mapped[str] = mapped_column(String(16))
    calendar: Mapped[str | None] = mapped_column(String(8))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    extension: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AuditEntry(Base):
    """Append-only and hash-chained: each entry hashes its content and its predecessor's hash.

    ``position`` numbers the chain without gaps; it is unique, so two appends can never
    both take the place after the same entry."""

    __tablename__ = "audit_log"
    # A person's entries (the staff reads GET /me/data shows them) found without a scan.
    __table_args__ = (Index("ix_audit_log_subject_action", "subject", "action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str] = mapped_column(String(80))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ChainHead(Base):
    """The end of a hash chain: its last position and hash. Appending locks this row, so
    every writer of the chain — on any worker or host — takes its turn here."""

    __tablename__ = "chain_heads"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str | None] = mapped_column(String(64))


class Incident(Base):
    """A personal-data breach: who is affected, what, and the 72-hour notification clock."""

    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    app_id: Mapped[str | None] = mapped_column(String(64), index=True)  # None: before 0007
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(4000))
    categories: Mapped[list[str]] = mapped_column(JSON)
    affected_users: Mapped[list[str]] = mapped_column(JSON)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(32))
    users_notified: Mapped[int] = mapped_column(default=0)
    regulator_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
