"""Installs of an app and the identifiers accepted from them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow
from .ids import new_id


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("app_id", "install_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    app_id: Mapped[str] = mapped_column(String(64))
    install_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(16))
    os_version: Mapped[str] = mapped_column(String(32))
    app_version: Mapped[str] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeviceIdentifier(Base):
    """An identifier accepted under a consent (provenance), keyed-hashed unless declared raw."""

    __tablename__ = "device_identifiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(96))
    purpose: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(200))
    hashed: Mapped[bool]
    consent_event_id: Mapped[int] = mapped_column(
        ForeignKey("consent_events.id", ondelete="CASCADE")
    )
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
