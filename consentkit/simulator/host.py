"""Where the devices' server is: embedded in this process (default) or at a URL.

This is the one module of the simulator that starts ``consentkit.server``. The embedded
server shares the simulation's clock, publishes the apps' manifests, and lets a scenario
publish a new policy version; after each device its extra versions are removed again, so
every device starts from the same policy and a run replays from its seed.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import yaml

from ..device_sdk import in_process
from ..device_sdk.testing import VirtualClock
from ..policy import Manifest, manifest_from_dict
from ..policy.detect import location_category

__all__ = [
    "EmbeddedHost",
    "Host",
    "RealTimeClock",
    "RemoteHost",
    "ServerUnusable",
    "UnsupportedOnRemote",
]


class ServerUnusable(ValueError):
    """``--server URL`` cannot run the devices (unreachable, not development, no policy)."""


class UnsupportedOnRemote(RuntimeError):
    """A step that only an embedded server can carry out (publishing a policy)."""


ACCESS_LOG = "consentkit.access"


class _LogCapture(logging.Handler):
    """The server's log lines, and which log each went to (``app`` or ``access``)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        log = "access" if record.name == ACCESS_LOG else "app"
        self.lines.append((log, self.format(record)))


class AccessLog:
    """A WSGI middleware writing one Common Log Format line per request, as a production
    server (gunicorn, nginx) writes its access log: method, path and query, status, size.
    The development outbox, which stands in for the user's SMS inbox, is left out."""

    def __init__(self, app, clock) -> None:
        self.app = app
        self.clock = clock
        self.log = logging.getLogger(ACCESS_LOG)
        self.log.setLevel(logging.INFO)

    def __call__(self, environ, start_response):
        seen = {}

        def starting(status, headers, exc_info=None):
            seen["status"] = status.split(" ", 1)[0]
            seen["size"] = next((v for k, v in headers if k.lower() == "content-length"), "-")
            return start_response(status, headers, exc_info)

        result = self.app(environ, starting)
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/api/v1/dev/"):
            query = environ.get("QUERY_STRING")
            target = f"{path}?{query}" if query else path
            when = self.clock().strftime("%d/%b/%Y:%H:%M:%S %z")
            self.log.info(
                '%s - - [%s] "%s %s %s" %s %s',
                environ.get("REMOTE_ADDR") or "127.0.0.1",
                when,
                environ.get("REQUEST_METHOD"),
                target,
                environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                seen.get("status", "-"),
                seen.get("size", "-"),
            )
        return result


class RealTimeClock:
    """A phone's clock against a real server: real time, plus whatever the app itself
    waited (``advance``), which a real phone would have spent waiting.

    A frozen virtual clock against a server whose clock runs makes the phone date its
    data before the consent the server just recorded (``403 consent_required``).
    """

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)

    def restart(self) -> None:
        self.offset = timedelta(0)


class Host:
    base_url = "http://consentkit.local/api/v1"
    transport: httpx.BaseTransport | None = None
    salt = ""  # mixed into phone numbers: empty where a run starts from an empty server

    def __init__(self, clock: VirtualClock | RealTimeClock) -> None:
        self.clock = clock

    def begin_device(self, start: datetime) -> None:
        """Set the clock to the moment a device's story begins (the same for every device
        on a virtual clock, so each replays from its seed)."""
        self.clock.current = start

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)

    def pause(self, seconds: float) -> None:
        """The user takes a moment between steps: virtual time passes, so a timeline's
        times advance (real time passes on its own)."""
        self.clock.advance(seconds=seconds)

    def publish_version(self, manifest: Manifest, change: str) -> str:
        raise UnsupportedOnRemote("publishing a policy needs the embedded server")

    def reset(self, app_id: str) -> None:
        return None

    def drain_log(self) -> list[str]:
        return [line for _log, line in self.drain_logs()]

    def drain_logs(self) -> list[tuple[str, str]]:
        """The server's log lines since the last call: ``(log, line)``, log being ``app``
        or ``access``; empty when the server's logs are out of reach."""
        return []

    def run_jobs(self) -> None:
        """A remote server runs its own jobs on its own schedule."""
        return None

    def residue(self, user_id: str) -> list[str] | None:
        """Personal data of a purged user still on the server; None when it cannot look."""
        held = self.holdings(user_id)
        return None if held is None else sorted({h["category"] for h in held})

    def holdings(self, user_id: str) -> list[dict] | None:
        """What the server still links to the user, by category and the purpose it was
        collected for, and where; None when it cannot look."""
        return None


class RemoteHost(Host):
    """A running server (``--server URL``); it must run with CONSENTKIT_ENV=development.

    Its clock is real and cannot be moved, so the phones' clocks follow real time too:
    time travel, waiting for deadlines and publishing policies need the embedded server.
    """

    def __init__(self, base_url: str) -> None:
        super().__init__(RealTimeClock())
        self.salt = uuid.uuid4().hex  # a persistent server keeps earlier runs' accounts
        root = base_url.rstrip("/")
        self.base_url = root if root.endswith("/api/v1") else root + "/api/v1"

    def begin_device(self, start: datetime) -> None:
        self.clock.restart()

    def check(self, app_ids: list[str]) -> None:
        """Before any device runs: the server answers, sends codes to its outbox and has
        published each app's policy — else every device would fail the same way."""
        try:
            with httpx.Client(base_url=self.base_url + "/", timeout=10) as client:
                outbox = client.get("dev/outbox", params={"phone": "+8613800000000"})
                if outbox.status_code == 404:
                    raise ServerUnusable(
                        f"{self.base_url} has no code outbox: start it with "
                        "CONSENTKIT_ENV=development"
                    )
                for app_id in app_ids:
                    if client.get(f"apps/{app_id}/policy").status_code != 200:
                        raise ServerUnusable(f"{self.base_url} has not published {app_id}")
        except httpx.HTTPError as exc:
            raise ServerUnusable(f"cannot reach {self.base_url}: {exc}") from None

    def advance(self, seconds: float) -> None:
        raise UnsupportedOnRemote("time travel needs the embedded server")

    def pause(self, seconds: float) -> None:
        return None


class EmbeddedHost(Host):
    def __init__(
        self, clock: VirtualClock, manifests: list[Manifest], folder: str | None = None
    ) -> None:
        from ..server import create_app, db
        from ..server.models import Base
        from ..server.services import policies

        super().__init__(clock)
        self._tmp = (
            tempfile.TemporaryDirectory(prefix="consentkit-sim-") if folder is None else None
        )
        root = Path(folder or self._tmp.name)
        self.app = create_app(
            {
                "ENV": "development",
                "DATABASE_URL": f"sqlite:///{root / 'server.sqlite'}",
                "MEDIA_ROOT": str(root / "media"),
                "RATELIMIT_ENABLED": False,
                "ARGON2_TIME_COST": 1,
                "ARGON2_MEMORY_COST": 1024,
                "SECRET_KEY": "simulation",
                "JWT_SECRET_KEY": "simulation-jwt-signing-key-0123456789",
                "IDENTIFIER_HASH_KEY": "simulation-hash-key",
                "QR_SIGNING_KEY": "simulation-qr-key",
            }
        )
        self.app.extensions["consentkit.clock"] = clock.now
        Base.metadata.create_all(self.app.extensions["consentkit.engine"])
        self._db, self._policies = db, policies
        self.base_versions: dict[str, str] = {}
        with self.app.app_context():
            s = db.session()
            for manifest in manifests:
                if manifest.id not in self.base_versions:
                    policies.publish(s, manifest)
                    self.base_versions[manifest.id] = manifest.version
            s.commit()
        self.transport = in_process(AccessLog(self.app, clock.now))
        self._published = 0
        self._orphans: set[str] = set()
        self._log = _LogCapture()
        logging.getLogger("consentkit").addHandler(self._log)

    def publish_version(self, manifest: Manifest, change: str) -> str:
        """Publish the same policy as a new version (``major`` or ``minor`` change). Where
        the policy promises notice before a change, the version is announced for the first
        day the notice allows and the clock moves on to that day, when it takes effect."""
        self._published += 1
        data = yaml.safe_load(yaml.safe_dump(manifest.raw))
        version = f"{manifest.version}-r{self._published}"
        notice = manifest.notice_before(change)
        effective = (
            self._policies.earliest_effective(notice, self.clock.now())
            if notice
            else self.clock.now().date()
        )
        data["app"]["policy"].update(
            version=version, change=change, effective=effective.isoformat()
        )
        with self.app.app_context():
            self._policies.publish(self._db.session(), manifest_from_dict(data))
            self._db.session().commit()
        takes_effect = datetime.combine(effective, datetime.min.time(), tzinfo=UTC)
        if takes_effect > self.clock.now():
            self.advance((takes_effect - self.clock.now()).total_seconds())
        return version

    def reset(self, app_id: str) -> None:
        """Remove the versions a device's scenario published: the next device starts clean."""
        from ..server.models import PolicyVersionRow

        if not self._published:
            return  # this device published nothing
        base = self.base_versions.get(app_id)
        self._published = 0  # version names count per device, so devices replay alike
        with self.app.app_context():
            s = self._db.session()
            rows = self._policies.versions(s, app_id)
            keep = next((i for i, r in enumerate(rows) if r.version == base), len(rows) - 1)
            for row in rows[keep + 1 :]:
                s.delete(s.get(PolicyVersionRow, row.id))
            s.commit()
            self.app.extensions.get("consentkit.current_policy", {}).pop(app_id, None)
            cache = self.app.extensions.get("consentkit.manifests", {})
            for key in [k for k in cache if k[0] == app_id and k[1] != base]:
                del cache[key]

    def drain_logs(self) -> list[tuple[str, str]]:
        lines, self._log.lines = self._log.lines, []
        return lines

    def run_jobs(self) -> None:
        from ..server.services.jobs import run_pending

        with self.app.app_context():
            run_pending(self._db.session())

    def holdings(self, user_id: str) -> list[dict] | None:
        """Everything the server links to the user: collected items, the customers they
        entered (with their locations and imported contacts), call records, orders, media
        files left without their item, devices, consents, the account itself."""
        from ..server.models import User

        with self.app.app_context():
            s = self._db.session()
            held = [
                *self._items(s, user_id),
                *self._business(s, user_id),
                *self._account(s, user_id),
            ]
            user = s.get(User, user_id)
            if user is not None and (user.phone or user.birth_date):
                held.append(_holding("user.contact.phone_number", None, "users"))
            held += self._orphaned_files()
        return held

    def _items(self, s, user_id: str) -> list[dict]:
        from sqlalchemy import func, select

        from ..server.models import CollectedItem

        rows = s.execute(
            select(CollectedItem.category, CollectedItem.purpose, func.count())
            .where(CollectedItem.user_id == user_id)
            .group_by(CollectedItem.category, CollectedItem.purpose)
        )
        return [_holding(c, p, "collected_items", n) for c, p, n in rows]

    def _business(self, s, user_id: str) -> list[dict]:
        from sqlalchemy import func, select

        from ..server.models import CallRecord, ConsentEvent, Customer, Order

        def purpose(event_id: int | None) -> str | None:
            event = s.get(ConsentEvent, event_id) if event_id else None
            return event.purpose if event else None

        held = []
        for c in s.scalars(select(Customer).where(Customer.created_by == user_id)):
            if c.lat is not None and c.lon is not None:
                category = location_category(c.lat, c.lon)
                held.append(_holding(category, purpose(c.location_consent_id), "customers"))
            if c.source == "contacts_import":
                held.append(
                    _holding("user.contacts.entry", purpose(c.contact_consent_id), "customers")
                )
            else:
                held.append(_holding("user.customer.record", None, "customers"))
        calls = s.scalar(select(func.count()).where(CallRecord.user_id == user_id))
        if calls:
            held.append(_holding("call records", None, "call_records", calls))
        orders = s.scalar(
            select(func.count()).where(Order.created_by == user_id, Order.anonymized.is_(False))
        )
        if orders:
            held.append(_holding("user.transaction.order", None, "orders", orders))
        return _merged(held)

    def _account(self, s, user_id: str) -> list[dict]:
        from sqlalchemy import select

        from ..server.models import ConsentEvent, Device

        held = []
        if s.scalar(select(Device.id).where(Device.user_id == user_id).limit(1)):
            held.append(_holding("user.device.model", None, "devices"))
        if s.scalar(select(ConsentEvent.id).where(ConsentEvent.user_id == user_id).limit(1)):
            held.append(_holding("consent records", None, "consent_events"))
        return held

    def _orphaned_files(self) -> list[dict]:
        """Media files no stored item points to any more (a deletion that left its file);
        each is reported once, by the probe that first sees it."""
        from sqlalchemy import select

        from ..server.models import CollectedItem

        root = Path(self.app.config["MEDIA_ROOT"])
        if not root.exists():
            return []
        on_disk = {f.name for f in root.rglob("*") if f.is_file() and not f.name.endswith(".part")}
        if not on_disk - self._orphans:
            return []
        referenced = set()
        for payload in self._db.session().scalars(select(CollectedItem.payload)):
            if isinstance(payload, dict):
                referenced.update(
                    str(payload.get(k)) for k in ("file", "thumbnail") if payload.get(k)
                )
        new = on_disk - referenced - self._orphans
        self._orphans |= new
        return [_holding("user.media.photo", None, "media files", len(new))] if new else []


def _holding(category: str, purpose: str | None, where: str, count: int = 1) -> dict:
    return {"category": category, "purpose": purpose, "where": where, "count": count}


def _merged(held: list[dict]) -> list[dict]:
    out: dict[tuple, dict] = {}
    for h in held:
        key = (h["category"], h["purpose"], h["where"])
        if key in out:
            out[key]["count"] += h["count"]
        else:
            out[key] = dict(h)
    return list(out.values())
