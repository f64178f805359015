"""User rights end to end through the API, and a purge that leaves nothing behind."""

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import inspect, select, text

from consentkit.device_sdk.media import jpeg_with_gps
from consentkit.policy import parse_manifest
from consentkit.server import db
from consentkit.server.models import AuditEntry, CollectedItem, RightsRequest
from consentkit.server.services import audit_log, jobs, policies
from tests.conftest import FIELDNOTES

from .conftest import EVERY_PURPOSE, upload_photo


def _now(**delta):
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def _signed_up(api, install=None, phone=None):
    tokens = api.register(phone=phone, install_id=install)
    api.consent(tokens["access_token"], purposes=EVERY_PURPOSE)
    return tokens, {"Authorization": f"Bearer {tokens['access_token']}"}


def _collect(api, tokens, category, purpose, feature, payload):
    r = api.collect(
        tokens["access_token"],
        [
            {
                "category": category,
                "purpose": purpose,
                "feature": feature,
                "collected_at": _now(),
                "payload": payload,
            }
        ],
    )
    assert r.json["accepted"] == 1, r.json
    return r.json["results"][0]["id"]


def _collect_location(api, tokens):
    return _collect(
        api,
        tokens,
        "user.location.coarse",
        "customer_positioning",
        "add_customer",
        {"lat": 31.2, "lon": 121.5},
    )


def test_access_lists_data_by_category_with_purpose_consent_and_retention(api, client):
    tokens, auth = _signed_up(api)
    _collect_location(api, tokens)
    r = client.get("/api/v1/me/data?app_id=fieldnotes", headers=auth)
    assert r.status_code == 200
    item = r.json["categories"]["user.location.coarse"][0]
    assert item["purpose"] == "customer_positioning" and item["consent_event_id"]
    assert item["collected_at"] and item["kept_until"]
    assert r.json["profile"]["phone"] == tokens["user"]["phone"]
    assert any(c["purpose"] == "customer_positioning" for c in r.json["consents"])


def test_export_zip_holds_data_media_and_receipts_for_its_owner_only(api, client):
    tokens, auth = _signed_up(api)
    _collect_location(api, tokens)
    upload_photo(client, auth, jpeg_with_gps(None, None))
    started = client.post("/api/v1/me/exports", json={"app_id": "fieldnotes"}, headers=auth)
    assert started.status_code == 202
    status = client.get(f"/api/v1/me/exports/{started.json['id']}", headers=auth).json
    assert status["status"] == "done" and status["download"]
    zipped = client.get(status["download"], headers=auth)
    assert zipped.status_code == 200 and zipped.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(zipped.data))
    names = archive.namelist()
    assert "data.json" in names and "receipts.json" in names
    assert any(n.startswith("media/") for n in names)
    data = json.loads(archive.read("data.json"))
    assert "user.location.coarse" in data["categories"]
    assert json.loads(archive.read("receipts.json"))[0]["version"] == "KI-CR-v1.1.0"
    _, other = _signed_up(api)
    assert client.get(status["download"], headers=other).status_code == 404


def test_correction_validates_and_is_audited(api, client, app):
    tokens, auth = _signed_up(api)
    item = _collect(
        api, tokens, "user.contact.phone_number", "account", "sign_up", {"phone": "+8613800000001"}
    )
    bad = client.patch(
        f"/api/v1/me/data/{item}", json={"payload": {"phone": "not a phone"}}, headers=auth
    )
    assert bad.status_code == 422 and "payload" in bad.json["errors"]
    ok = client.patch(
        f"/api/v1/me/data/{item}", json={"payload": {"phone": "+8613800000009"}}, headers=auth
    )
    assert ok.status_code == 200
    assert (
        ok.json["categories"]["user.contact.phone_number"][0]["value"]["phone"] == "+8613800000009"
    )
    _, other = _signed_up(api)
    assert (
        client.patch(
            f"/api/v1/me/data/{item}", json={"payload": {"phone": "+8613800000008"}}, headers=other
        ).status_code
        == 404
    )
    with app.app_context():
        actions = list(db.session().scalars(select(AuditEntry.action)))
    assert "data.corrected" in actions


def test_deletion_by_category_and_legal_hold(api, client):
    tokens, auth = _signed_up(api)
    _collect_location(api, tokens)
    _collect(
        api,
        tokens,
        "user.transaction.order",
        "account",
        "place_order",
        {"order_no": "A-1", "amount": 12, "buyer": "Li Lei"},
    )
    r = client.delete(
        "/api/v1/me/data?app_id=fieldnotes&category=user.location.coarse", headers=auth
    )
    assert r.json == {"deleted": 1, "anonymized": 0}
    r = client.delete(
        "/api/v1/me/data?app_id=fieldnotes&category=user.transaction.order", headers=auth
    )
    assert r.json == {"deleted": 0, "anonymized": 1}  # a 3-year hold: anonymized, not deleted
    data = client.get("/api/v1/me/data?app_id=fieldnotes", headers=auth).json
    assert data["categories"] == {}


def test_cancellation_revokes_at_once_and_shows_its_deadline(api, client, app):
    tokens, auth = _signed_up(api)
    wrong = client.post(
        "/api/v1/me/cancellation",
        json={"app_id": "fieldnotes", "password": "not it at all"},
        headers=auth,
    )
    assert wrong.status_code == 401
    r = client.post(
        "/api/v1/me/cancellation",
        json={"app_id": "fieldnotes", "password": "correct horse 1"},
        headers=auth,
    )
    assert r.status_code == 202, r.json
    assert r.json["deadline"] == "7 working_days" and r.json["status"] == "pending"
    assert 6 <= r.json["days_left"] <= 16  # 7 working days on the CN calendar
    gone = client.get("/api/v1/consents?app_id=fieldnotes", headers=auth)
    assert gone.status_code == 401 and gone.json["code"] == "token_revoked"
    refresh = client.post(
        "/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}
    )
    assert refresh.status_code == 401
    public = client.get(f"/api/v1/rights/requests/{r.json['id']}").json
    assert public["due_at"] == r.json["due_at"] and public["kind"] == "cancellation"
    with app.app_context():
        report = jobs.run_pending(db.session())
    assert report["purges"] == 1 and report["late"] == 0
    assert client.get(f"/api/v1/rights/requests/{r.json['id']}").json["status"] == "done"


def test_cancellation_by_code(api, client):
    tokens, auth = _signed_up(api)
    phone = tokens["user"]["phone"]
    code = api.code(phone, purpose="verify")
    r = client.post(
        "/api/v1/me/cancellation", json={"app_id": "fieldnotes", "code": code}, headers=auth
    )
    assert r.status_code == 202
    r = client.post("/api/v1/me/cancellation", json={"app_id": "fieldnotes"}, headers=auth)
    assert r.status_code in (401, 422)


CANARY = "CANARY7731"


def test_purge_leaves_no_canary_anywhere(api, client, app):
    """Plant a canary in every personal field, cancel, purge, then scan every table and file."""
    install = f"inst{CANARY}"
    tokens, auth = _signed_up(api, install=install)
    canary_phone = tokens["user"]["phone"]
    client.patch("/api/v1/me/profile", json={"birth_date": "1990-07-31"}, headers=auth)
    client.post(
        "/api/v1/devices",
        json={
            "app_id": "fieldnotes",
            "install_id": install,
            "platform": "android",
            "os_version": "14",
            "app_version": "1.0",
            "model": f"Model {CANARY}",
            "identifiers": [
                {
                    "category": "user.device.device_id.android_id",
                    "purpose": "security",
                    "value": f"aid-{CANARY}",
                }
            ],
        },
        headers=auth,
    )
    _collect(
        api,
        tokens,
        "user.location.precise",
        "customer_positioning",
        "add_customer",
        {"lat": 31.77, "lon": 121.31},
    )
    _collect(
        api,
        tokens,
        "user.contacts.entry",
        "customer_import",
        "import_contacts",
        {"name": f"Customer {CANARY}", "phone": "+8613912345678"},
    )
    _collect(
        api,
        tokens,
        "user.transaction.order",
        "account",
        "place_order",
        {"order_no": "A-9", "amount": 99, "note": f"deliver to {CANARY}"},
    )
    upload_photo(client, auth, jpeg_with_gps(31.1, 121.1, make=CANARY))
    client.post("/api/v1/orgs", json={"name": "Canary Trading"}, headers=auth)
    customer = client.post(
        "/api/v1/customers",
        headers=auth,
        json={
            "app_id": "fieldnotes",
            "name": f"Shop {CANARY}",
            "phone": "+8613912340000",
            "location": {"lat": 31.77, "lon": 121.31, "collected_at": _now()},
        },
    ).json
    order = client.post(
        "/api/v1/orders",
        headers=auth,
        json={
            "app_id": "fieldnotes",
            "customer_id": customer["id"],
            "notes": f"call {CANARY}",
            "items": [{"sku": "T1", "name": "Tea", "quantity": 2, "price": "3.00"}],
        },
    )
    assert order.status_code == 201, order.json
    client.post("/api/v1/me/exports", json={"app_id": "fieldnotes"}, headers=auth)
    r = client.post(
        "/api/v1/me/cancellation",
        json={"app_id": "fieldnotes", "password": "correct horse 1"},
        headers=auth,
    )
    with app.app_context():
        s = db.session()
        jobs.run_pending(s)
        engine = app.extensions["consentkit.engine"]
        found = []
        with engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                if table == "alembic_version":
                    continue
                for row in conn.execute(text(f"SELECT * FROM {table}")).mappings():
                    blob = json.dumps(dict(row), default=str)
                    if CANARY in blob or canary_phone in blob or "31.77" in blob:
                        held = table in ("collected_items", "orders") and row["anonymized"]
                        found.append((table, held))
        status = s.get(RightsRequest, r.json["id"]).status
    assert status == "done"
    assert all(held for _, held in found), found
    media = Path(app.instance_path) / "media"
    leftovers = [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
    assert leftovers == []
    exports = Path(app.instance_path) / "exports"
    zips = list(exports.glob("*.zip")) if exports.exists() else []
    assert zips == [], "an export of the purged user outlived the purge"


def test_deadline_is_frozen_with_the_policy_in_force(api, client, app):
    _, auth = _signed_up(api)
    r = client.post(
        "/api/v1/me/cancellation",
        json={"app_id": "fieldnotes", "password": "correct horse 1"},
        headers=auth,
    )
    data = yaml.safe_load(FIELDNOTES.read_text("utf-8"))
    data["app"]["policy"].update(version="2025.02.02", change="minor")
    data["rights"]["cancellation"] = {"within": 60, "unit": "days"}
    with app.app_context():
        policies.publish(db.session(), parse_manifest(yaml.safe_dump(data)))
        db.session().commit()
    again = client.get(f"/api/v1/rights/requests/{r.json['id']}").json
    assert again["due_at"] == r.json["due_at"] and again["deadline"] == "7 working_days"


def test_retention_job_is_idempotent_with_a_dry_run(api, app):
    tokens, _ = _signed_up(api)
    _collect(
        api,
        tokens,
        "user.location.coarse",
        "customer_positioning",
        "add_customer",
        {"lat": 1.0, "lon": 2.0},
    )
    with app.app_context():
        s = db.session()
        item = s.scalar(select(CollectedItem))
        item.keep_until = datetime.now(UTC) - timedelta(days=1)
        s.commit()
        dry = jobs.run_pending(s, dry_run=True)
        assert dry["retention"]["by_category"] == {"fieldnotes:user.location.coarse:delete": 1}
        assert s.scalar(select(CollectedItem)) is not None
        assert jobs.run_pending(s)["retention"]["deleted"] == 1
        assert jobs.run_pending(s)["retention"]["deleted"] == 0


def test_audit_log_detects_edits_removals_and_reordering(api, app):
    for _ in range(4):
        _signed_up(api)
    with app.app_context():
        s = db.session()
        assert audit_log.verify(s).ok
        entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        assert len(entries) >= 4
        original = dict(entries[1].details)
        entries[1].details = {**original, "app": "forged"}
        s.commit()
        broken = audit_log.verify(s)
        assert not broken.ok and broken.broken_at == entries[1].id and "edited" in broken.reason
        entries[1].details = original
        s.commit()
        assert audit_log.verify(s).ok
        fields = ("at", "actor", "action", "subject", "details", "prev_hash", "hash")
        first, second = entries[1], entries[2]
        a = {f: getattr(first, f) for f in fields}
        b = {f: getattr(second, f) for f in fields}
        for f in fields:  # the two entries trade places
            setattr(first, f, b[f])
            setattr(second, f, a[f])
        s.commit()
        assert not audit_log.verify(s).ok
        for f in fields:
            setattr(first, f, a[f])
            setattr(second, f, b[f])
        s.commit()
        assert audit_log.verify(s).ok
        s.delete(entries[2])
        s.commit()
        assert "removed" in audit_log.verify(s).reason


def test_audit_verify_command(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from consentkit.cli import main
    from consentkit.server.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    upgrade(url)
    monkeypatch.setenv("CONSENTKIT_DATABASE_URL", url)
    monkeypatch.setenv("CONSENTKIT_INSTANCE_PATH", str(tmp_path / "instance"))
    from sqlalchemy import create_engine

    engine = create_engine(url)
    from sqlalchemy.orm import Session

    from consentkit.server.services import audit_log

    with Session(engine) as s:
        for n in range(3):
            audit_log.append(s, "system", "x", f"s{n}")
        s.commit()
    ok = CliRunner().invoke(main, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact: 3 entries" in ok.output
    with Session(engine) as s:
        s.execute(text("UPDATE audit_log SET subject = 'changed' WHERE id = 2"))
        s.commit()
    bad = CliRunner().invoke(main, ["audit", "verify"])
    assert bad.exit_code == 1 and "BROKEN at entry 2" in bad.output


def test_unknown_request_and_future_birth_date(client, api):
    assert client.get("/api/v1/rights/requests/nope").status_code == 404
    _, auth = _signed_up(api)
    future = (date.today() + timedelta(days=3)).isoformat()
    r = client.patch("/api/v1/me/profile", json={"birth_date": future}, headers=auth)
    assert r.status_code == 422
