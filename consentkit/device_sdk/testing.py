"""A complete, scripted phone for tests and examples — no simulator needed.

``ScriptedPhone`` implements ``Platform`` on top of the same permission tables the SDK
reads (``OsPermissions``). Dialog answers come from a script (a list, consumed in order,
or a function); everything else — GPS, camera, album, address book, call log,
identifiers, the other installed apps, the clipboard — is fixed data. The simulator's
virtual phone builds on this class.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from .media import jpeg_with_gps
from .os_model import AppTerminated, Dialog, OsPermissions
from .os_rules import BACKGROUND, rules_for
from .platform import (
    AppBuild,
    CallRecord,
    Contact,
    IdentifierUnavailable,
    InstalledApp,
    LocationFix,
    Photo,
    PlatformPermissionError,
)
from .trace import ListSink, Tracer

__all__ = ["Clip", "ScriptedPhone", "ScriptedUI", "VirtualClock", "other_apps"]

COARSE_ROUNDING = 2  # about a kilometre
CLIPBOARD = "user.content.clipboard"
IOS_QUERY_SCHEMES_LIMIT = 50  # canOpenURL answers for the first 50 declared schemes only

# (Android package, iOS bundle id, name, URL scheme) of a few apps on every test phone.
OTHER_APPS = (
    ("com.tencent.mm", "com.tencent.xin", "WeChat", "weixin"),
    ("com.eg.android.AlipayGphone", "com.alipay.iphoneclient", "Alipay", "alipay"),
    ("com.icbc", "com.icbc.iphoneclient", "ICBC Mobile Banking", "com.icbc.iphoneclient"),
    ("com.ss.android.ugc.aweme", "com.ss.iphone.ugc.Aweme", "Douyin", "snssdk1128"),
)


def other_apps(os_name: str, catalogue=OTHER_APPS) -> list[InstalledApp]:
    """The catalogue's apps as this OS names them (package names or bundle ids)."""
    return [
        InstalledApp(android if os_name == "android" else ios, name, scheme)
        for android, ios, name, scheme in catalogue
    ]


@dataclass(frozen=True)
class Clip:
    """What is on the clipboard, and which app put it there."""

    text: str
    source: str


class VirtualClock:
    """Simulated time, shared by phones (and, in simulations, the server)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 5, 1, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class ScriptedPhone:
    """A phone whose user answers dialogs from a script."""

    records_trace = True

    def __init__(
        self,
        os_name: str = "android",
        os_version: int | str = 14,
        *,
        answers: Iterable[str] | Callable[[tuple[str, ...], tuple[str, ...]], str] = (),
        device_id: str = "phone-1",
        app_id: str = "app",
        position: tuple[float, float] = (31.2304, 121.4737),
        contacts: list[Contact] | None = None,
        photos: list[Photo] | None = None,
        picked_photos: int = 1,
        picked_contacts: int = 1,
        usage_descriptions: Iterable[str] | None = None,
        restricted: Iterable[str] = (),
        clock: VirtualClock | None = None,
        tracer: Tracer | None = None,
        build: AppBuild | None = None,
        installed: list[InstalledApp] | None = None,
        clipboard: Clip | None = Clip("+86 139 0000 0001", "com.tencent.mm"),
        play_services: bool = True,
    ) -> None:
        self.os_name = os_name
        self.os_version = str(os_version)
        self.rules = rules_for(os_name, os_version)
        self.play_services = play_services and os_name == "android"
        self.clock = clock or VirtualClock()
        self.tracer = tracer or Tracer(ListSink(), device_id, app_id, self.now)
        if callable(answers):
            self._answer = answers
        else:
            script = list(answers)

            def _from_script(group: tuple[str, ...], options: tuple[str, ...]) -> str:
                if not script:
                    raise AssertionError(f"the script has no answer for a dialog on {group}")
                return script.pop(0)

            self._answer = _from_script
        self.app_build = build or AppBuild(package=f"com.example.{app_id}".replace("-", "_"))
        if usage_descriptions is not None:  # the Info.plist strings the app has
            self.app_build = replace(self.app_build, declares=frozenset(usage_descriptions))
        self.os = OsPermissions(
            self.rules,
            self._answer,
            build=self.app_build,
            play_services=self.play_services,
            on_dialog=self._dialog_shown,
            restricted=restricted,
        )
        self.position = position
        self._contacts = contacts
        self._photos = photos
        self.picked_photos = picked_photos
        self.picked_contacts = picked_contacts
        self.created_contacts: list[Contact] = []
        self.launched = False
        self.installed = list(installed) if installed is not None else other_apps(os_name)
        self.clip = clipboard
        self.foreground = True
        self.calls_placed: list[str] = []
        self.identifiers = {
            "imei": "356938035643809",
            "imsi": "460001234567890",
            "iccid": "8986001234567890123",
            "serial": "R58M12ABCDE",
            "mac": "a4:50:46:3b:9c:10",
            "android_id": "9774d56d682e549c",
            "oaid": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            "idfv": "E621E1F8-C36C-495A-93FC-0C247A3E6E5F",
            "idfa": "6D92078A-8246-4BA4-AE5B-76104861E7DC",
        }

    # the phone's content, made on first use ---------------------------------------
    @property
    def contacts(self) -> list[Contact]:
        if self._contacts is None:
            self._contacts = self._make_contacts()
        return self._contacts

    @property
    def photos(self) -> list[Photo]:
        if self._photos is None:
            self._photos = self._make_photos()
        return self._photos

    def _make_contacts(self) -> list[Contact]:
        return [
            Contact(
                f"c{i}",
                f"Contact {i}",
                (f"+86139{i:08d}",),
                (f"c{i}@example.com",),
                {"birthday": "1990-01-01", "note": "met at the fair"},
            )
            for i in range(1, 6)
        ]

    def _make_photos(self) -> list[Photo]:
        return [
            Photo(f"p{i}", jpeg_with_gps(*self.position, color=(40 * i % 255, 90, 150)))
            for i in range(1, 4)
        ]

    # time ------------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock.now()

    def advance(self, **delta: float) -> None:
        self.clock.advance(**delta)

    # permissions -----------------------------------------------------------
    def _dialog_shown(self, dialog: Dialog) -> None:
        """What the user sees: the first permission names the dialog (as before); the rest
        says what else it covers, its buttons, and whether it was needless."""
        extra = {"needless": dialog.needless} if dialog.needless else {}
        self.tracer.emit(
            "permission.dialog",
            source="os",
            permission=dialog.permissions[0],
            permissions=list(dialog.permissions),
            kind=dialog.kind,
            options=list(dialog.options),
            precise_switch=dialog.precise_switch,
            **extra,
        )

    def _trace_outcomes(self) -> None:
        for outcome in self.os.outcomes:
            extra = {}
            if outcome.lasts != "always":
                extra["lasts"] = outcome.lasts
            if not outcome.requested:
                extra["requested"] = False
            if outcome.provisional:
                extra["provisional"] = True
            self.tracer.emit(
                "permission.result",
                source="os",
                permission=outcome.permission,
                status=outcome.status,
                via=outcome.via,
                **extra,
            )

    def check_permission(self, permission: str) -> str:
        return self.os.check(permission)

    def should_show_rationale(self, permission: str) -> bool:
        return self.os.should_show_rationale(permission)

    def request_permissions(self, permissions: list[str]) -> dict[str, str]:
        """The OS's request, traced with the true outcome (the phone knows "blocked") and
        how each permission was decided (``via``: dialog, group, settings, ignored …)."""
        self.tracer.emit("permission.request", source="os", permissions=list(permissions))
        try:
            results = self.os.request(permissions)
        except AppTerminated:
            self.tracer.emit("app.exit", source="os", reason="crash")
            self.foreground = False
            raise
        self._trace_outcomes()
        return results

    def has_usage_description(self, permission: str) -> bool:
        return self.app_build.declared(permission)

    def open_settings(self, permission: str) -> None:
        self.tracer.emit("settings.opened", source="os", permission=permission)

    def change_setting(self, permission: str, status: str) -> None:
        """The user flips a switch in Settings."""
        self.os.settings_set(permission, status)
        self.tracer.emit("settings.changed", source="os", permission=permission, status=status)

    # personal-data APIs, each traced as the phone sees it ----------------------
    def _read(self, api: str, category: str, permission: str | None, count: int, **extra) -> str:
        status = self.os.true_status(permission) if permission else "granted"
        self._emit_read(api, category, status, count, **extra)
        return status

    def _emit_read(self, api: str, category: str, status: str, count: int, **extra) -> None:
        self.tracer.emit(
            "api.read", source="os", api=api, category=category, status=status, count=count, **extra
        )

    def _require(self, status: str, permission: str) -> None:
        if status not in ("granted", "limited"):
            raise PlatformPermissionError(f"{permission} is {status}")

    def location_fix(self, precise: bool, background: bool = False) -> LocationFix:
        if background and not self.os.background_use():
            self._read("location.read", "user.location.coarse", BACKGROUND, 0, detail="background")
            raise PlatformPermissionError("no background location permission")
        precise_ok = self.os.true_status("location.precise") == "granted"
        coarse_ok = self.os.true_status("location.coarse") in ("granted", "limited")
        exact = precise and precise_ok
        category = "user.location.precise" if exact else "user.location.coarse"
        permission = "location.precise" if exact else "location.coarse"
        status = self._read("location.read", category, permission, 1)
        if not (exact or coarse_ok or precise_ok):
            raise PlatformPermissionError("no location permission")
        lat, lon = self.position
        if not exact:
            return LocationFix(
                round(lat, COARSE_ROUNDING), round(lon, COARSE_ROUNDING), 1500.0, False
            )
        self._require(status, permission)
        return LocationFix(lat, lon, 8.0, True)

    def capture_photo(self) -> bytes:
        status = self._read("camera.capture", "user.media.photo", "camera", 1)
        self._require(status, "camera")
        gps = (
            self.position if self.os.true_status("location.precise") == "granted" else (None, None)
        )
        return jpeg_with_gps(*gps)

    def pick_photos(self, limit: int) -> list[Photo]:
        # The system picker needs no permission: the user hands over what they choose.
        chosen = self.photos[: min(limit, self.picked_photos)]
        self._read("photos.pick", "user.media.photo", None, len(chosen), ids=[p.id for p in chosen])
        return chosen

    def all_photos(self) -> list[Photo]:
        """The whole album — or, with a selection (limited, or Android 14's temporary one),
        only the selected photos."""
        status = self.os.true_status("photos")
        visible = list(self.photos) if status == "granted" else self.photos[: self.picked_photos]
        self._emit_read(
            "photos.read_all",
            "user.media.photo",
            status,
            len(visible),
            ids=[p.id for p in visible],
        )
        self._require(status, "photos")
        return visible

    def save_photo(self, jpeg: bytes) -> str:
        """Add a photo to the album: the add-only permission on iOS (full access includes
        it); on Android the storage permission, unless scoped storage binds the app."""
        needed = "photos.add"
        if self.rules.own_files_need_no_permission(self.app_build):
            needed = None
        if needed:
            self._require(self.os.true_status(needed), needed)
        photo = Photo(f"p{len(self.photos) + 1}", jpeg)
        self.photos.append(photo)
        return photo.id

    def pick_contacts(self, limit: int) -> list[Contact]:
        chosen = self.contacts[: min(limit, self.picked_contacts)]
        self._read(
            "contacts.pick", "user.contacts.entry", None, len(chosen), ids=[c.id for c in chosen]
        )
        return chosen

    def address_book(self) -> list[Contact]:
        """Every contact — or, with limited access (iOS 18), the selected ones and, kept
        automatically, those the app created itself."""
        status = self.os.true_status("contacts")
        visible = list(self.contacts)
        if status == "limited":
            visible = [c for c in self.contacts[: self.picked_contacts]]
            if self.rules.created_contacts_visible:
                visible += [c for c in self.created_contacts if c not in visible]
        self._emit_read("contacts.read_all", "user.contacts.entry", status, len(visible))
        self._require(status, "contacts")
        return visible

    def add_contact(self, contact: Contact) -> Contact:
        """The app saves a contact (it needs contacts access, full or limited)."""
        self._require(self.os.true_status("contacts"), "contacts")
        self.contacts.append(contact)
        self.created_contacts.append(contact)
        return contact

    def wifi_networks(self) -> list[str]:
        """Nearby Wi-Fi networks (their names): a location signal, so the OS wants location
        permission for it — until Android 13 moves it to NEARBY_WIFI_DEVICES. iOS has no
        scanning API."""
        needed = self.rules.wifi_scan_permission
        if needed is None:
            raise PlatformPermissionError(f"no Wi-Fi scan on {self.os_name}")
        status = self.os.true_status(needed)
        networks = ["ChinaNet-5G", "TP-LINK_3F2A", "Starbucks"]
        granted = status in ("granted", "limited")
        self._emit_read(
            "wifi.scan",
            "user.location.coarse",
            status,
            len(networks) if granted else 0,
            detail=needed,
        )
        self._require(status, needed)
        return networks

    def post_notification(self, text: str) -> bool:
        """Show a notification; False when the user has not allowed them."""
        return self.os.true_status("notifications") == "granted"

    def place_call(self, number: str) -> None:
        status = self.os.true_status("phone.call")
        self.tracer.emit(
            "api.read",
            source="os",
            api="calls.place",
            category="user.calls.log",
            status=status,
            count=0,
        )
        self._require(status, "phone.call")
        self.calls_placed.append(number)

    def call_log(self) -> list[CallRecord]:
        status = self._read("calls.log_read", "user.calls.log", "phone.call_log", 3)
        self._require(status, "phone.call_log")
        return [CallRecord("+8613900000001", self.now() - timedelta(days=1), 62)]

    def identifier(self, name: str) -> str:
        category = f"user.device.device_id.{name}"
        permission = {
            "imei": "phone.state",
            "imsi": "phone.state",
            "iccid": "phone.state",
            "serial": "phone.state",
            "idfa": "tracking",
        }.get(name)
        status = self._read("identifier.read", category, permission, 1, detail=name)
        if name in self.rules.unavailable_ids or name not in self.identifiers:
            raise IdentifierUnavailable(
                f"{name} is not available to apps on {self.os_name} {self.os_version}"
            )
        if name in self.rules.placeholder_ids:
            return self.rules.placeholder_ids[name]
        if name == "idfa" and self.rules.idfa_needs_tracking and status != "granted":
            return "00000000-0000-0000-0000-000000000000"
        if permission and permission != "tracking":
            self._require(status, permission)
        return self.identifiers[name]

    # other apps ------------------------------------------------------------------
    def installed_apps(self) -> list[InstalledApp]:
        """The other apps this app may see: all of them before Android 11 package
        visibility (or with QUERY_ALL_PACKAGES), only those its ``<queries>`` names after;
        on iOS only what ``canOpenURL`` reveals for its declared URL schemes."""
        rules, build = self.rules, self.app_build
        if rules.app_list == "url_schemes":
            schemes = set(build.queries[:IOS_QUERY_SCHEMES_LIMIT])
            seen, scope = [a for a in self.installed if a.scheme in schemes], "url_schemes"
        elif rules.app_list == "visible" and not (
            build.query_all_packages or build.target_sdk < (rules.app_list_target or 0)
        ):
            seen, scope = [a for a in self.installed if a.id in build.queries], "queries"
        else:
            seen, scope = list(self.installed), "all"
        self._read("app_list.read", "user.device.app_list", None, len(seen), detail=scope)
        return seen

    # the clipboard --------------------------------------------------------------------
    def clipboard_has_text(self) -> bool:
        """Whether something is on the clipboard: metadata only, no notice, no prompt."""
        return self.clip is not None

    def write_clipboard(self, text: str) -> None:
        self.clip = Clip(text, self.app_build.package)

    def copy_in_other_app(self, text: str, app: str) -> None:
        """The user copies ``text`` in another app (``app`` is its package or bundle id)."""
        self.clip = Clip(text, app)

    def read_clipboard(self) -> str | None:
        """The clipboard's text, as the OS lets this app have it: not from the background
        (Android 10+), after the paste prompt (iOS 16+), with a notice to the user when it
        came from another app (Android 12+, iOS 14+)."""
        clip, rules = self.clip, self.rules
        if clip is None:
            return None
        detail = {"detail": clip.source}
        if not self.foreground and not rules.clipboard_background:
            self._emit_read("clipboard.read", CLIPBOARD, "unavailable", 0, **detail)
            return None
        foreign = clip.source != self.app_build.package
        if foreign and rules.paste_prompt and not self.os.ask_each_time("clipboard"):
            self._emit_read("clipboard.read", CLIPBOARD, "denied", 0, **detail)
            return None
        self._emit_read("clipboard.read", CLIPBOARD, "granted", 1, **detail)
        if foreign and rules.clipboard_notice:
            self.tracer.emit(
                "os.notice", source="os", notice="clipboard.pasted", detail=clip.source
            )
        return clip.text

    # life cycle -------------------------------------------------------------
    def end_session(self) -> None:
        self.foreground = False
        self.os.end_session()

    def launch(self) -> None:
        """The app starts: the OS may first take back the grants of an app unused for
        months, and may ask for notifications on the app's behalf (Android 13, old apps)."""
        self.foreground = True
        for permission in self.os.app_used(self.now()):
            self.tracer.emit(
                "permission.reset", source="os", permission=permission, reason="unused"
            )
        below = self.rules.notifications_prompt_below_target
        first, self.launched = not self.launched, True
        old_app = below is not None and self.app_build.target_sdk < below
        if first and old_app and self.os.prompt_at_launch("notifications"):
            self._trace_outcomes()


class ScriptedUI:
    """The app's screens, answered from a script: the policy choice, rationale, Settings."""

    def __init__(
        self,
        agree: bool = True,
        purposes: Iterable[str] = (),
        categories: Iterable[str] = (),
        continue_after_rationale: bool = True,
        guardian: tuple[str, str] | None = None,
    ) -> None:
        from .consent import PolicyChoice

        self.choice = PolicyChoice(agree, set(purposes), set(categories))
        self.continue_after_rationale = continue_after_rationale
        self.guardian = guardian
        self.shown: list[tuple[str, str]] = []

    def show_policy(self, manifest, reason: str):
        self.shown.append(("policy", reason))
        return self.choice

    def show_rationale(self, permission: str, text: str) -> bool:
        self.shown.append(("rationale", permission))
        return self.continue_after_rationale

    def suggest_settings(self, permission: str, text: str) -> bool:
        self.shown.append(("settings", permission))
        return False

    def guardian_contact(self) -> tuple[str, str] | None:
        return self.guardian
