"""Server fixtures: an app per test on SQLite, and on PostgreSQL when configured.

Every API test runs against both backends (``db_backend`` is parametrised); the
PostgreSQL run is skipped, with the reason shown, unless CONSENTKIT_TEST_POSTGRES_URL
is set — ``.ci/run`` sets it.
"""

from __future__ import annotations

import io
import itertools
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from consentkit.examples import manifest_paths
from consentkit.policy import load_manifest, parse_manifest
from consentkit.server import create_app, db
from consentkit.server.extensions import limiter
from consentkit.server.models import Base
from consentkit.server.services import policies
from tests.conftest import FIELDNOTES

PG_URL = os.environ.get("CONSENTKIT_TEST_POSTGRES_URL")
# Every purpose of the contract example (tests/policy/fieldnotes.yaml), ticked.
EVERY_PURPOSE = dict.fromkeys(
    [
        "account",
        "security",
        "customer_positioning",
        "product_photos",
        "customer_import",
        "ads_measurement",
    ],
    True,
)
_pg_ready = False


def _postgres_url() -> str:
    """One schema, migrated once per run, emptied before each test."""
    global _pg_ready
    if not _pg_ready:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        from consentkit.server.migrate import upgrade

        upgrade(PG_URL)
        _pg_ready = True
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return PG_URL


@pytest.fixture(params=["sqlite", "postgres"])
def db_backend(request) -> str:
    if request.param == "postgres" and not PG_URL:
        pytest.skip("PostgreSQL run needs CONSENTKIT_TEST_POSTGRES_URL")
    return request.param


def publish_all(app) -> None:
    """The contract example and the five seed apps, published."""
    with app.app_context():
        s = db.session()
        policies.publish(s, parse_manifest(FIELDNOTES.read_text("utf-8")))
        for path in manifest_paths():
            policies.publish(s, load_manifest(path))
        s.commit()


def upload_photo(client, auth, jpeg: bytes, mime: str = "image/jpeg", **form):
    """A multipart image upload for the product-photos use of the contract example."""
    data = {
        "app_id": "fieldnotes",
        "category": "user.media.photo",
        "purpose": "product_photos",
        "feature": "publish_product",
        "collected_at": datetime.now(UTC).isoformat(),
        **form,
        "file": (io.BytesIO(jpeg), "photo.jpg", mime),
    }
    return client.post("/api/v1/media", data=data, headers=auth, content_type="multipart/form-data")


def make_app(url: str, instance: Path, **overrides):
    config = {
        "ENV": "test",
        "DATABASE_URL": url,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 256,
        "SECRET_KEY": "test-secret",
        "JWT_SECRET_KEY": "test-jwt-secret-key-that-is-long-enough",
        "IDENTIFIER_HASH_KEY": "test-hash-key",
        "QR_SIGNING_KEY": "test-qr-key",
    }
    config.update(overrides)
    os.environ["CONSENTKIT_INSTANCE_PATH"] = str(instance)
    try:
        app = create_app(config)
    finally:
        del os.environ["CONSENTKIT_INSTANCE_PATH"]
    return app


@pytest.fixture
def app_factory(db_backend, tmp_path):
    """Build an app on this test's database; publishes the contract example and the seeds."""

    def build(**overrides):
        if db_backend == "postgres":
            url = _postgres_url()
        else:
            url = f"sqlite:///{tmp_path / 'test.sqlite'}"
        app = make_app(url, tmp_path / "instance", **overrides)
        if db_backend == "sqlite":
            Base.metadata.create_all(app.extensions["consentkit.engine"])
        if app.config.get("RATELIMIT_ENABLED", True):
            limiter.reset()  # (off, the limiter has no store to reset)
        publish_all(app)
        return app

    yield build


@pytest.fixture
def app(app_factory):
    app = app_factory()
    yield app
    app.extensions["consentkit.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


_phones = itertools.count(1)


def new_phone() -> str:
    """A valid, unique Chinese mobile number."""
    return f"+86138{(os.getpid() * 1000 + next(_phones)) % 10**8:08d}"


def new_install() -> str:
    return uuid.uuid4().hex


class Api:
    """Thin helpers for the flows most tests walk through."""

    def __init__(self, client):
        self.client = client

    def code(self, phone: str, purpose: str = "login") -> str:
        r = self.client.post("/api/v1/auth/code", json={"phone": phone, "purpose": purpose})
        assert r.status_code == 202, r.json
        box = self.client.get("/api/v1/dev/outbox", query_string={"phone": phone}).json
        return box[0]["body"].split("code is ")[1][:6]

    def register(self, phone: str | None = None, install_id: str | None = None, **extra) -> dict:
        phone = phone or new_phone()
        body = {
            "phone": phone,
            "code": self.code(phone),
            "password": "correct horse 1",
            "install_id": install_id,
            **extra,
        }
        r = self.client.post("/api/v1/auth/register", json=body)
        assert r.status_code == 201, r.json
        return r.json

    def consent(
        self,
        token: str | None,
        app_id: str = "fieldnotes",
        purposes=None,
        install_id: str | None = None,
        version: str | None = None,
        **extra,
    ):
        if version is None:
            version = self.client.get(f"/api/v1/apps/{app_id}/policy").json["version"]
        if purposes is None:
            purposes = {"account": True, "security": True}
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.post(
            "/api/v1/consents",
            json={
                "app_id": app_id,
                "policy_version": version,
                "purposes": purposes,
                "install_id": install_id,
                **extra,
            },
            headers=headers,
        )

    def collect(
        self, token: str, events: list[dict], key: str | None = None, app_id: str = "fieldnotes"
    ):
        return self.client.post(
            "/api/v1/collect",
            json={"app_id": app_id, "events": events},
            headers={
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": key or uuid.uuid4().hex,
            },
        )

    def join(self, admin_auth: dict, tokens: dict, role: str = "member") -> dict:
        """The admin invites the account of ``tokens``; it accepts. Its organization."""
        r = self.client.post(
            "/api/v1/orgs/invitations",
            json={"phone": tokens["user"]["phone"], "role": role},
            headers=admin_auth,
        )
        assert r.status_code == 202, r.json
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        mine = self.client.get("/api/v1/me/invitations", headers=auth).json
        invitation = next(i for i in mine if i["id"] == r.json["id"])
        r = self.client.post(f"/api/v1/me/invitations/{invitation['id']}/accept", headers=auth)
        assert r.status_code == 200, r.json
        return r.json


@pytest.fixture
def api(client) -> Api:
    return Api(client)


def grant(app, user_id: str, role: str, app_id: str = "fieldnotes") -> None:
    """A staff role on one app, as ``consentkit users grant`` gives it."""
    from consentkit.server.models import StaffGrant

    with app.app_context():
        s = db.session()
        s.merge(StaffGrant(user_id=user_id, app_id=app_id, role=role))
        s.commit()
