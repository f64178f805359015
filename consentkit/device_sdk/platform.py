"""The ``Platform`` protocol: the one boundary between the SDK and a phone.

The simulator's virtual phone implements it; on a real phone, native bridges would.
The SDK never reaches a phone any other way, so everything it does is observable here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

__all__ = [
    "CallRecord",
    "Contact",
    "IdentifierUnavailable",
    "LocationFix",
    "Photo",
    "Platform",
    "PlatformPermissionError",
]


class IdentifierUnavailable(Exception):
    """The OS does not give this identifier to an ordinary app (a SecurityException)."""


class PlatformPermissionError(Exception):
    """The OS refused an API call for lack of permission (what a SecurityException is)."""


@dataclass(frozen=True)
class LocationFix:
    lat: float
    lon: float
    accuracy_m: float
    precise: bool


@dataclass(frozen=True)
class Photo:
    id: str
    jpeg: bytes


@dataclass(frozen=True)
class Contact:
    id: str
    name: str
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CallRecord:
    number: str
    at: datetime
    seconds: int


@runtime_checkable
class Platform(Protocol):
    """What the SDK may ask of the phone."""

    os_name: str  # "android" | "ios"
    os_version: int
    records_trace: bool  # True when the phone traces OS events (reads, requests, results)

    def now(self) -> datetime: ...

    # permissions
    def check_permission(self, permission: str) -> str: ...
    def should_show_rationale(self, permission: str) -> bool: ...
    def request_permissions(self, permissions: list[str]) -> dict[str, str]: ...
    def has_usage_description(self, permission: str) -> bool: ...
    def open_settings(self, permission: str) -> None: ...

    # personal-data APIs
    def location_fix(self, precise: bool) -> LocationFix: ...
    def capture_photo(self) -> bytes: ...
    def pick_photos(self, limit: int) -> list[Photo]: ...
    def all_photos(self) -> list[Photo]: ...
    def pick_contacts(self, limit: int) -> list[Contact]: ...
    def address_book(self) -> list[Contact]: ...
    def place_call(self, number: str) -> None: ...
    def call_log(self) -> list[CallRecord]: ...
    def identifier(self, name: str) -> str: ...
