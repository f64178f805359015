"""Staff roles, app by app: auditors read (audited, and shown to the person), the DPO
extends, admins record breaches — each only on the apps they hold a role on."""

from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import select

from consentkit.cli import main
from consentkit.server import db
from consentkit.server.models import AuditEntry, StaffGrant

from .conftest import grant


def _staff(api, app, role, app_id="fieldnotes"):
    tokens = api.register()
    grant(app, tokens["user"]["id"], role, app_id)
    return {"Authorization": f"Bearer {tokens['access_token']}"}, tokens


def test_only_the_apps_staff_reach_its_users_data_and_the_person_sees_each_read(api, client, app):
    victim = api.register()
    api.consent(victim["access_token"])  # a user of fieldnotes, not of zhenyi-erp
    mine = {"Authorization": f"Bearer {victim['access_token']}"}
    user_auth = {"Authorization": f"Bearer {api.register()['access_token']}"}
    url = f"/api/v1/admin/users/{victim['user']['id']}/data"
    assert (
        client.get(url, query_string={"app_id": "fieldnotes"}, headers=user_auth).status_code == 404
    )
    elsewhere, _ = _staff(api, app, "admin", app_id="zhenyi-erp")
    for app_id in ("fieldnotes", "zhenyi-erp"):  # not their app; not the victim's app
        r = client.get(url, query_string={"app_id": app_id}, headers=elsewhere)
        assert r.status_code == 404 and r.json["code"] == "not_found"
    auditor, auditor_tokens = _staff(api, app, "auditor")
    r = client.get(url, query_string={"app_id": "fieldnotes"}, headers=auditor)
    assert r.status_code == 200 and r.json["profile"]["id"] == victim["user"]["id"]
    assert {c["app_id"] for c in r.json["consents"]} == {"fieldnotes"}
    with app.app_context():
        reads = list(
            db.session().scalars(select(AuditEntry).where(AuditEntry.action == "staff.read"))
        )
    assert [(e.subject, e.details["app"]) for e in reads] == [
        (f"user:{victim['user']['id']}", "fieldnotes")
    ]
    assert reads[0].actor == f"auditor:{auditor_tokens['user']['id']}"
    shown = client.get("/api/v1/me/data?app_id=fieldnotes", headers=mine).json["staff_reads"]
    assert [(s["app_id"], s["role"], s["read"]) for s in shown] == [
        ("fieldnotes", "auditor", "your data")
    ]


def test_dpo_lists_and_extends_only_its_apps_requests(api, client, app):
    user = api.register()
    auth = {"Authorization": f"Bearer {user['access_token']}"}
    started = client.post("/api/v1/me/exports", json={"app_id": "fieldnotes"}, headers=auth)
    other = client.post("/api/v1/me/exports", json={"app_id": "zhenyi-erp"}, headers=auth)
    cancel = client.post(
        "/api/v1/me/cancellation",
        headers=auth,
        json={"app_id": "fieldnotes", "password": "correct horse 1"},
    ).json
    dpo, _ = _staff(api, app, "dpo")
    pending = client.get("/api/v1/admin/requests", headers=dpo).json
    assert [r["id"] for r in pending] == [cancel["id"]]
    done = client.get("/api/v1/admin/requests?status=done", headers=dpo).json
    assert started.json["id"] in {r["id"] for r in done}
    assert other.json["id"] not in {r["id"] for r in done}  # zhenyi-erp's
    r = client.get("/api/v1/admin/requests?app_id=zhenyi-erp", headers=dpo)
    assert r.status_code == 404
    extension = {"within": 1, "unit": "months", "reason": "complex request"}
    auditor, _ = _staff(api, app, "auditor")
    dpo_elsewhere, _ = _staff(api, app, "dpo", app_id="zhenyi-erp")
    for who in (auditor, dpo_elsewhere):
        r = client.post(
            f"/api/v1/admin/requests/{cancel['id']}/extend", headers=who, json=extension
        )
        assert r.status_code == 404
    r = client.post(f"/api/v1/admin/requests/{cancel['id']}/extend", headers=dpo, json=extension)
    assert r.status_code == 200 and r.json["due_at"] > cancel["due_at"]


def test_breach_notifies_the_apps_users_only_and_shows_its_clock(api, client, app):
    victims = [api.register() for _ in range(2)]
    api.consent(victims[0]["access_token"])  # only the first uses fieldnotes
    admin, _ = _staff(api, app, "admin")
    detected = datetime.now(UTC) - timedelta(hours=2)
    breach = {
        "app_id": "fieldnotes",
        "title": "Leaked backup",
        "description": "An S3 bucket was public.",
        "categories": ["user.contact.phone_number"],
        "affected_users": [v["user"]["id"] for v in victims],
        "detected_at": detected.isoformat(),
    }
    other_admin, _ = _staff(api, app, "admin", app_id="zhenyi-erp")
    assert (
        client.post("/api/v1/admin/incidents", headers=other_admin, json=breach).status_code == 404
    )
    r = client.post("/api/v1/admin/incidents", headers=admin, json=breach)
    assert r.status_code == 201, r.json
    assert r.json["users_notified"] == 1 and r.json["affected"] == 2
    assert 69 <= r.json["hours_left"] <= 70
    box = client.get("/api/v1/dev/outbox", query_string={"phone": victims[0]["user"]["phone"]}).json
    assert box[0]["kind"] == "incident" and "Leaked backup" in box[0]["body"]
    box = client.get("/api/v1/dev/outbox", query_string={"phone": victims[1]["user"]["phone"]}).json
    assert not any(m["kind"] == "incident" for m in box)
    auditor, _ = _staff(api, app, "auditor")
    assert client.get(f"/api/v1/admin/incidents/{r.json['id']}", headers=auditor).status_code == 200
    assert (
        client.get(f"/api/v1/admin/incidents/{r.json['id']}", headers=other_admin).status_code
        == 404
    )
    assert client.post("/api/v1/admin/incidents", headers=auditor, json=breach).status_code == 404


def test_consent_records_per_app_and_audit_verification(api, client, app):
    user = api.register()
    api.consent(
        user["access_token"], purposes={"account": True, "security": True, "product_photos": True}
    )
    auditor, _ = _staff(api, app, "auditor")
    records = client.get("/api/v1/admin/consent-records?app_id=fieldnotes", headers=auditor).json
    photos = next(r for r in records["records"] if r["purpose"] == "product_photos")
    assert photos["state"] == "given" and photos["events"][0]["eventType"] == "grant"
    assert "+86" not in str(records)  # pseudonymous
    r = client.get("/api/v1/admin/consent-records?app_id=zhenyi-erp", headers=auditor)
    assert r.status_code == 404
    assert client.get("/api/v1/admin/audit/verify", headers=auditor).json["ok"] is True
    nobody = {"Authorization": f"Bearer {api.register()['access_token']}"}
    assert client.get("/api/v1/admin/audit/verify", headers=nobody).status_code == 404
    mine = {"Authorization": f"Bearer {user['access_token']}"}
    shown = client.get("/api/v1/me/data?app_id=fieldnotes", headers=mine).json["staff_reads"]
    assert [(s["app_id"], s["role"]) for s in shown] == [("fieldnotes", "auditor")]
    assert "consent records" in shown[0]["read"]


def test_users_grant_and_revoke_a_role_on_one_app(api, app, monkeypatch):
    phone = api.register()["user"]["phone"]
    monkeypatch.setenv("CONSENTKIT_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("CONSENTKIT_INSTANCE_PATH", app.instance_path)
    runner = CliRunner()
    r = runner.invoke(main, ["users", "grant", phone, "auditor"])
    assert r.exit_code == 2 and "--app" in r.output  # no role without an app
    r = runner.invoke(main, ["users", "grant", phone, "auditor", "--app", "no-such-app"])
    assert r.exit_code == 1 and "no app 'no-such-app'" in r.output
    r = runner.invoke(main, ["users", "grant", phone, "dpo", "--app", "fieldnotes"])
    assert r.exit_code == 0, r.output
    with app.app_context():
        rows = db.session().scalars(select(StaffGrant)).all()
        assert [(g.app_id, g.role) for g in rows] == [("fieldnotes", "dpo")]
        assert db.session().scalars(
            select(AuditEntry.details).where(AuditEntry.action == "role.granted")
        ).all() == [{"role": "dpo", "app": "fieldnotes"}]
    r = runner.invoke(main, ["users", "revoke", phone, "--app", "fieldnotes"])
    assert r.exit_code == 0, r.output
    with app.app_context():
        assert db.session().scalars(select(StaffGrant)).all() == []
