"""Staff roles: auditors read (audited), the DPO extends, admins record breaches."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from consentkit.server import db
from consentkit.server.models import AuditEntry, User


def _staff(api, app, role):
    tokens = api.register()
    with app.app_context():
        s = db.session()
        s.get(User, tokens["user"]["id"]).role = role
        s.commit()
    return {"Authorization": f"Bearer {tokens['access_token']}"}, tokens


def test_only_staff_reach_other_users_data_and_reads_are_audited(api, client, app):
    victim = api.register()
    api.consent(victim["access_token"])
    user_auth = {"Authorization": f"Bearer {api.register()['access_token']}"}
    url = f"/api/v1/admin/users/{victim['user']['id']}/data"
    assert client.get(url, headers=user_auth).status_code == 404  # nothing leaks
    auditor, _ = _staff(api, app, "auditor")
    r = client.get(url, headers=auditor)
    assert r.status_code == 200 and r.json["profile"]["id"] == victim["user"]["id"]
    with app.app_context():
        reads = list(
            db.session().scalars(select(AuditEntry).where(AuditEntry.action == "staff.read"))
        )
    assert [e.subject for e in reads] == [f"user:{victim['user']['id']}"]


def test_dpo_lists_and_extends_requests(api, client, app):
    user = api.register()
    auth = {"Authorization": f"Bearer {user['access_token']}"}
    started = client.post("/api/v1/me/exports", json={"app_id": "fieldnotes"}, headers=auth)
    cancel = client.post(
        "/api/v1/me/cancellation",
        headers=auth,
        json={"app_id": "fieldnotes", "password": "correct horse 1"},
    ).json
    dpo, _ = _staff(api, app, "dpo")
    pending = client.get("/api/v1/admin/requests", headers=dpo).json
    assert [r["id"] for r in pending] == [cancel["id"]]
    assert started.json["status"] == "done"
    auditor, _ = _staff(api, app, "auditor")
    assert (
        client.post(
            f"/api/v1/admin/requests/{cancel['id']}/extend",
            headers=auditor,
            json={"within": 1, "unit": "months", "reason": "complex request"},
        ).status_code
        == 404
    )
    r = client.post(
        f"/api/v1/admin/requests/{cancel['id']}/extend",
        headers=dpo,
        json={"within": 1, "unit": "months", "reason": "complex request"},
    )
    assert r.status_code == 200 and r.json["due_at"] > cancel["due_at"]


def test_breach_notifies_users_and_shows_its_clock(api, client, app):
    victims = [api.register() for _ in range(2)]
    admin, _ = _staff(api, app, "admin")
    detected = datetime.now(UTC) - timedelta(hours=2)
    r = client.post(
        "/api/v1/admin/incidents",
        headers=admin,
        json={
            "title": "Leaked backup",
            "description": "An S3 bucket was public.",
            "categories": ["user.contact.phone_number"],
            "affected_users": [v["user"]["id"] for v in victims],
            "detected_at": detected.isoformat(),
        },
    )
    assert r.status_code == 201, r.json
    assert r.json["users_notified"] == 2 and 69 <= r.json["hours_left"] <= 70
    box = client.get("/api/v1/dev/outbox", query_string={"phone": victims[0]["user"]["phone"]}).json
    assert box[0]["kind"] == "incident" and "Leaked backup" in box[0]["body"]
    auditor, _ = _staff(api, app, "auditor")
    assert client.get(f"/api/v1/admin/incidents/{r.json['id']}", headers=auditor).status_code == 200
    assert client.post("/api/v1/admin/incidents", headers=auditor, json={}).status_code in (
        404,
        422,
    )


def test_consent_records_and_audit_verification(api, client, app):
    user = api.register()
    api.consent(
        user["access_token"], purposes={"account": True, "security": True, "product_photos": True}
    )
    auditor, _ = _staff(api, app, "auditor")
    records = client.get("/api/v1/admin/consent-records?app_id=fieldnotes", headers=auditor).json
    photos = next(r for r in records["records"] if r["purpose"] == "product_photos")
    assert photos["state"] == "given" and photos["events"][0]["eventType"] == "grant"
    assert "+86" not in str(records)  # pseudonymous
    assert client.get("/api/v1/admin/audit/verify", headers=auditor).json["ok"] is True
