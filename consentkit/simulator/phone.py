"""The virtual phone: an OS profile, a user (persona), a life — and a trace of all of it.

It is the SDK's ``ScriptedPhone`` (the same permission tables the SDK reads) with a
persona at the dialogs, a GPS track, a Faker address book, an album of geotagged JPEGs,
a call log, other installed apps, something on the clipboard, app launches, exits and
updates. Every personal-data API call is traced by the phone itself, so an app that goes
around the SDK is still seen: each read names the feature on screen and the purposes the
manifest declares for it there, or that the app was in the background. The phone owns the
network too (``network``): every request is recorded before it leaves, with the personal
data detected in it.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import httpx
import yaml
from faker import Faker

from ..device_sdk.media import jpeg_with_gps
from ..device_sdk.os_rules import rules_for, supported_releases
from ..device_sdk.platform import AppBuild, CallRecord, Contact, Photo, PlatformPermissionError
from ..device_sdk.testing import CLIPBOARD, Clip, ScriptedPhone, VirtualClock, other_apps
from ..device_sdk.trace import Tracer
from ..policy import Manifest
from ..policy.detect import Known, Part
from .network import PhoneNetwork
from .personas import Persona
from .rules.checks import api_categories

__all__ = ["OS_MIXES", "OsProfile", "VirtualPhone", "pick_os"]

CITIES = [
    (31.2304, 121.4737),  # Shanghai
    (39.9042, 116.4074),  # Beijing
    (23.1291, 113.2644),  # Guangzhou
    (22.5431, 114.0579),  # Shenzhen
    (30.5728, 104.0668),  # Chengdu
]
ADDRESS_BOOK_SIZE = 200
MOBILE_PREFIXES = ("135", "136", "137", "138", "139", "150", "151", "158", "186", "187", "188")
ALBUM_SIZE = 6
ZERO_IDFA = "00000000-0000-0000-0000-000000000000"
CONTACT = "user.contacts.entry"


@dataclass(frozen=True)
class OsProfile:
    """A phone model with its OS release (``"14"``, ``"14.5"``) and, for Android, whether
    it has Google Play services."""

    os: str
    version: str
    model: str
    play_services: bool = True

    @property
    def label(self) -> str:
        """``android 10``, ``android 10 (no Play services)``, ``ios 14.5``."""
        name = f"{self.os} {self.version}"
        return name if self.play_services or self.os != "android" else f"{name} (no Play services)"


@cache
def _devices() -> dict:
    return yaml.safe_load(
        resources.files("consentkit.simulator").joinpath("data/devices.yaml").read_text()
    )


def _profile(name: str) -> OsProfile:
    raw = _devices()["profiles"][name]
    return OsProfile(raw["os"], str(raw["version"]), raw["model"], raw.get("play_services", True))


def _mixes() -> dict[str, list[OsProfile] | list[tuple[OsProfile, float]]]:
    """The named mixes: weights to draw from, or a list to take in turn. ``android`` and
    ``ios`` are every release the tables describe, equally likely."""
    mixes: dict = {
        "android": [
            (OsProfile("android", v, f"Android {v} phone"), 1.0)
            for v in supported_releases("android")
        ],
        "ios": [(OsProfile("ios", v, f"iPhone (iOS {v})"), 1.0) for v in supported_releases("ios")],
    }
    for name, mix in _devices()["mixes"].items():
        if isinstance(mix, list):
            mixes[name] = [_profile(p) for p in mix]
        else:
            mixes[name] = [(_profile(p), weight) for p, weight in mix.items()]
    return mixes


OS_MIXES = _mixes()


def pick_os(spec: str, rng: random.Random, index: int = 0) -> OsProfile:
    """The profile of fleet device ``index``: a draw from a weighted mix, the device's turn
    in a listed mix or a comma list, a named profile, or ``android-14`` / ``ios-14.5``."""
    if "," in spec:
        parts = [part.strip() for part in spec.split(",") if part.strip()]
        return pick_os(parts[index % len(parts)], rng, index // len(parts))
    mix = OS_MIXES.get(spec)
    if mix is not None:
        if isinstance(mix[0], OsProfile):
            return mix[index % len(mix)]
        profiles, weights = zip(*mix, strict=True)
        return rng.choices(profiles, weights=weights)[0]
    if spec in _devices()["profiles"]:
        return _profile(spec)
    name, _, version = spec.partition("-")
    if name not in ("android", "ios") or not version:
        known = ", ".join([*OS_MIXES, *_devices()["profiles"]])
        raise ValueError(
            f"unknown OS mix {spec!r}; use one of {known}, or e.g. android-14, ios-14.5"
        )
    rules_for(name, version)  # an unknown release is a clear error here, not in a worker
    return OsProfile(name, version, f"{name} {version}")


@cache
def _app_catalogue() -> tuple[tuple[tuple[str, str, str, str], float], ...]:
    """``data/installed_apps.yaml``: the other apps a phone may have, with how common."""
    raw = yaml.safe_load(
        resources.files("consentkit.simulator").joinpath("data/installed_apps.yaml").read_text()
    )
    return tuple(
        ((a["android"], a["ios"], a["name"], a["scheme"]), a["share"]) for a in raw["apps"]
    )


# What people have just copied in another app when they open the app under test.
COPIED = (
    "Meet at 3pm, gate 2",
    "SF1409288831245",  # a parcel tracking number
    "+86 138 0013 8000",
    "https://m.tb.cn/h.5Xq2Lz",
    "Room 1203, Building 4, Tianhe Road 88",
)


@cache
def _faker() -> Faker:
    """One Faker per process (making one is slow); each phone reseeds it."""
    return Faker("zh_CN")


class AddressBook(Sequence[Contact]):
    """A realistic address book whose entries are made when first read, each from its own
    seed: a picker that shows five makes five, a slurper that reads all makes all."""

    def __init__(self, seed: int, size: int) -> None:
        self.seed, self.size = seed, size
        self._made: dict[int, Contact] = {}

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.size))]
        if not -self.size <= index < self.size:
            raise IndexError(index)
        index %= self.size
        if index not in self._made:
            fake = _faker()
            fake.seed_instance(self.seed * 1000 + index)
            prefix = fake.random_element(MOBILE_PREFIXES)
            number = f"+86{prefix}{fake.random_number(digits=8, fix_len=True)}"
            self._made[index] = Contact(
                f"c{index}", fake.name(), (number,), (fake.email(),), {"company": fake.company()}
            )
        return self._made[index]


class VirtualPhone(ScriptedPhone):
    def __init__(
        self,
        profile: OsProfile,
        persona: Persona,
        rng: random.Random,
        *,
        device_id: str,
        app_id: str,
        clock: VirtualClock,
        tracer: Tracer,
        app_version: str = "1.0.0",
        build: AppBuild | None = None,
    ) -> None:
        self.persona = persona
        self.rng = rng
        self.seed = rng.getrandbits(32)
        self.model = profile.model
        self.app_version = app_version
        self._asked: set[str] = set()
        self.observes_network = False
        self.features: list[str] = []
        self.policy: Callable[[], Manifest | None] = lambda: None
        self.known: dict[str, Known] = {}
        self.background: list[Callable[[], None]] = []
        super().__init__(
            profile.os,
            profile.version,
            answers=self._persona_answers,
            device_id=device_id,
            app_id=app_id,
            position=rng.choice(CITIES),
            picked_photos=persona.photos,
            picked_contacts=persona.contacts,
            clock=clock,
            tracer=tracer,
            build=build,
            play_services=profile.play_services,
        )
        self.profile = profile
        self.identifiers = {k: self._scramble(v) for k, v in self.identifiers.items()}
        # The phone's other apps and clipboard come from its own seed, so adding them drew
        # nothing from the device's generator: earlier runs replay unchanged.
        life = random.Random(f"{self.seed}:apps")
        chosen = [app for app, share in _app_catalogue() if life.random() < share]
        self.installed = other_apps(profile.os, chosen)
        self.clip = (
            Clip(life.choice(COPIED), life.choice(self.installed).id)
            if self.installed and life.random() < 0.6
            else None
        )

    def _scramble(self, value: str) -> str:
        """Per-device identifier values of the same shape."""
        out = []
        for ch in value:
            if ch.isdigit():
                out.append(str(self.rng.randrange(10)))
            elif ch in "ABCDEF" or ch in "abcdef":
                out.append(self.rng.choice("ABCDEF" if ch.isupper() else "abcdef"))
            else:
                out.append(ch)
        return "".join(out)

    def _persona_answers(self, group: tuple[str, ...], options: tuple[str, ...]) -> str:
        asked = any(p in self._asked for p in group)
        self._asked.update(group)
        return self.persona.answer(asked, options)

    # content ------------------------------------------------------------------
    def _make_contacts(self) -> list[Contact]:
        return AddressBook(self.seed, ADDRESS_BOOK_SIZE)

    def _make_photos(self) -> list[Photo]:
        lat, lon = self.position
        return [
            Photo(
                f"p{i}",
                jpeg_with_gps(
                    lat + self.rng.uniform(-0.01, 0.01),
                    lon + self.rng.uniform(-0.01, 0.01),
                    color=(self.rng.randrange(256), 120, 90),
                ),
            )
            for i in range(ALBUM_SIZE)
        ]

    def location_fix(self, precise: bool, background: bool = False):
        """The GPS track: a walk around the home city as virtual time passes."""
        lat, lon = self.position
        self.position = (
            lat + self.rng.uniform(-0.0005, 0.0005),
            lon + self.rng.uniform(-0.0005, 0.0005),
        )
        # Work the app does after leaving the screen is a background read, however it asks.
        return super().location_fix(precise, background or not self.foreground)

    # what the phone sees of the app ---------------------------------------------------
    @contextlib.contextmanager
    def feature_in_use(self, feature: str) -> Iterator[None]:
        """The user is in ``feature``: reads and requests meanwhile are attributed to it."""
        self.features.append(feature)
        try:
            yield
        finally:
            if feature in self.features:  # an exit (or a crash) clears them all
                self.features.remove(feature)

    @property
    def feature(self) -> str | None:
        return self.features[-1] if self.features else None

    def _purposes(self, feature: str | None, categories: list[str]) -> list[str]:
        manifest = self.policy()
        f = manifest.features.get(feature) if manifest and feature else None
        if f is None:
            return []
        return sorted(
            {p for c in categories if c in f.collects for p in manifest.purposes_declaring(c)}
            & set(f.purposes)
        )

    def _emit_read(self, api: str, category: str, status: str, count: int, **extra) -> None:
        """A personal-data API call, attributed to the feature on screen and its purposes."""
        feature = self.feature
        served = api_categories().get(api, [category])
        super()._emit_read(
            api,
            category,
            status,
            count,
            feature=feature,
            purposes=self._purposes(feature, served),
            foreground=self.foreground,
            **extra,
        )

    def network(
        self, inner: httpx.BaseTransport | None, server: str | None = None
    ) -> httpx.BaseTransport:
        """The phone's network over ``inner``: every request is observed before it leaves.
        ``server`` is the URL of the app's server; requests to any other host are answered
        by the simulation and never leave it."""
        self.observes_network = True
        return PhoneNetwork(self, inner, server=server)

    def _account_feature(self, categories: set[str]) -> str | None:
        """The basic feature that declares this data for a basic purpose (sign-up)."""
        manifest = self.policy()
        if manifest is None:
            return None
        basic = set(manifest.basic_purposes())
        for f in manifest.features.values():
            if f.basic and all(
                c in f.collects and basic & set(manifest.purposes_declaring(c)) & set(f.purposes)
                for c in categories
            ):
                return f.id
        return None

    def record_upload(
        self,
        request: int,
        method: str,
        endpoint: str,
        part: Part,
        flow: str | None,
        domain: str | None = None,
    ) -> None:
        """A request carrying personal data is about to leave the phone (``domain``: for a
        host other than the app's server)."""
        fields: dict = {
            "request": request,
            "method": method,
            "endpoint": endpoint,
            "categories": sorted(part.categories),
            "items": part.items,
        }
        if part.feature or part.purpose:
            fields.update(feature=part.feature, purpose=part.purpose)  # declared in the body
        else:
            feature = self.feature
            if feature is None and flow is not None:
                feature = self._account_feature(part.categories)
            purposes = self._purposes(feature, list(part.categories))
            only = purposes[0] if len(purposes) == 1 else None
            fields.update(feature=feature, purpose=only, purposes=purposes)
        if CONTACT in part.categories or part.contact_ids:
            fields.update(
                contacts=max(part.contacts, len(part.contact_ids)),
                contact_ids=sorted(part.contact_ids),
            )
        if part.images:
            fields.update(images=part.images, gps_in_media=part.gps_in_media)
        if flow is not None:
            fields["flow"] = flow
        if not self.foreground:
            fields["foreground"] = False
        if domain is not None:
            fields["domain"] = domain
        self.tracer.emit("net.upload", source="network", **fields)

    def plant(self, value: str, category: str | None) -> None:
        """A canary value the app will send: the network recognises it by category."""
        self.known[value] = Known(category, "canary")

    # values handed to the app, so the network knows them when they leave ---------------
    def identifier(self, name: str) -> str:
        value = super().identifier(name)
        if value != ZERO_IDFA:
            self.known[value] = Known(f"user.device.device_id.{name}")
        return value

    def _hand_over(self, contacts: list[Contact]) -> list[Contact]:
        for contact in contacts:
            for value in (*contact.phones, *contact.emails):
                self.known[value] = Known(CONTACT, contact.id)
        return contacts

    def pick_contacts(self, limit: int) -> list[Contact]:
        return self._hand_over(super().pick_contacts(limit))

    def address_book(self) -> list[Contact]:
        return self._hand_over(super().address_book())

    def call_log(self) -> list[CallRecord]:
        records = super().call_log()
        for record in records:
            self.known[record.number] = Known("user.calls.log")
        return records

    def read_clipboard(self) -> str | None:
        text = super().read_clipboard()
        if text:
            self.known[text] = Known(CLIPBOARD)
        return text

    # the app's life -----------------------------------------------------------------
    def launch_app(self, cold: bool = True) -> None:
        self.launch()
        self.tracer.emit(
            "app.launch",
            source="os",
            cold=cold,
            app_version=self.app_version,
            os=self.os_name,
            os_version=self.os_version,
            model=self.model,
            **({"play_services": self.play_services} if self.os_name == "android" else {}),
        )

    def exit_app(self, reason: str = "user") -> None:
        """The app leaves the screen; work it scheduled runs on in the background."""
        self.tracer.emit("app.exit", source="os", reason=reason)
        self.foreground = False
        self.features.clear()
        for job in self.background:
            with contextlib.suppress(PlatformPermissionError):
                job()
        self.end_session()

    def update_app(self, version: str) -> None:
        self.app_version = version
        self.tracer.emit("app.update", source="os", app_version=version)
