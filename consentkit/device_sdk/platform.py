"""The ``Platform`` protocol: the one boundary between the SDK and a phone.

The simulator's virtual phone implements it; on a real phone, native bridges would.
The SDK never reaches a phone any other way, so everything it does is observable here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

__all__ = [
    "AppBuild",
    "CallRecord",
    "Contact",
    "IdentifierUnavailable",
    "InstalledApp",
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


@dataclass(frozen=True)
class InstalledApp:
    """Another app on the phone: its package name (Android) or bundle id (iOS), the name
    people know it by, and the URL scheme that opens it."""

    id: str
    name: str
    scheme: str = ""


@dataclass(frozen=True)
class AppBuild:
    """What the app's own package declares to the OS — its AndroidManifest.xml and its
    Info.plist. The OS decides by it (which apps are visible, which dialogs exist), and so
    does the SDK, which reads its own package the same way a native bridge would.

    ``declares`` holds the taxonomy ids of the permissions the package declares (Android
    ``<uses-permission>``, iOS usage-description strings); None means every permission.
    ``queries`` are the other apps it says it looks for: package names in Android's
    ``<queries>``, URL schemes in iOS's ``LSApplicationQueriesSchemes``.
    ``declares_selected_photos`` is Android 14's READ_MEDIA_VISUAL_USER_SELECTED;
    ``location_default_reduced`` is iOS's NSLocationDefaultAccuracyReduced.
    """

    package: str = "com.example.app"
    target_sdk: int = 35
    declares: frozenset[str] | None = None
    query_all_packages: bool = False
    queries: tuple[str, ...] = ()
    declares_selected_photos: bool = True
    location_default_reduced: bool = False

    def declared(self, permission: str) -> bool:
        return self.declares is None or permission in self.declares


@runtime_checkable
class Platform(Protocol):
    """What the SDK may ask of the phone."""

    os_name: str  # "android" | "ios"
    os_version: str  # "14", "14.5", "17.2.1": the release as the phone reports it
    records_trace: bool  # True when the phone traces OS events (reads, requests, results)
    app_build: AppBuild  # what the running app's package declares

    def now(self) -> datetime: ...

    # permissions
    def check_permission(self, permission: str) -> str: ...
    def should_show_rationale(self, permission: str) -> bool: ...
    def request_permissions(self, permissions: list[str]) -> dict[str, str]: ...
    def has_usage_description(self, permission: str) -> bool: ...
    def open_settings(self, permission: str) -> None: ...

    # personal-data APIs
    def location_fix(self, precise: bool, background: bool = False) -> LocationFix: ...
    def capture_photo(self) -> bytes: ...
    def pick_photos(self, limit: int) -> list[Photo]: ...
    def all_photos(self) -> list[Photo]: ...
    def save_photo(self, jpeg: bytes) -> str: ...
    def pick_contacts(self, limit: int) -> list[Contact]: ...
    def address_book(self) -> list[Contact]: ...
    def add_contact(self, contact: Contact) -> Contact: ...
    def wifi_networks(self) -> list[str]: ...
    def post_notification(self, text: str) -> bool: ...
    def place_call(self, number: str) -> None: ...
    def call_log(self) -> list[CallRecord]: ...
    def identifier(self, name: str) -> str: ...

    # other apps and the clipboard
    def installed_apps(self) -> list[InstalledApp]: ...
    def clipboard_has_text(self) -> bool: ...
    def read_clipboard(self) -> str | None: ...
    def write_clipboard(self, text: str) -> None: ...
