from sqlalchemy import select

from consentkit.server import db
from consentkit.server.models import DeviceIdentifier

from .conftest import new_install


def _device(install, identifiers=()):
    return {
        "app_id": "fieldnotes",
        "install_id": install,
        "platform": "android",
        "os_version": "14",
        "app_version": "1.0.0",
        "model": "Pixel 8",
        "identifiers": list(identifiers),
    }


def test_device_registration_needs_agreement_first(client):
    r = client.post("/api/v1/devices", json=_device(new_install()))
    assert r.status_code == 403 and r.json["code"] == "consent_required"


def test_identifiers_need_a_live_consent_for_a_declaring_purpose(api, client, app):
    install = new_install()
    api.consent(None, install_id=install, purposes={"account": True, "security": True})
    ids = [
        {"category": "user.device.device_id.android_id", "purpose": "security", "value": "aid-123"},
        {
            "category": "user.device.device_id.android_id",
            "purpose": "ads_measurement",
            "value": "aid-123",
        },
        {"category": "user.device.device_id.imei", "purpose": "security", "value": "3569"},
        {"category": "user.contact.phone_number", "purpose": "account", "value": "+8613800000001"},
    ]
    r = client.post("/api/v1/devices", json=_device(install, ids))
    assert r.status_code == 200, r.json
    codes = [i.get("code", i["status"]) for i in r.json["identifiers"]]
    assert codes == ["accepted", "consent_required", "undeclared_category", "not_an_identifier"]
    with app.app_context():
        rows = list(db.session().scalars(select(DeviceIdentifier)))
        assert len(rows) == 1 and rows[0].hashed and "aid-123" not in rows[0].value


def test_registering_again_updates_the_install(api, client):
    install = new_install()
    api.consent(None, install_id=install)
    first = client.post("/api/v1/devices", json=_device(install)).json
    body = _device(install)
    body["app_version"] = "1.1.0"
    second = client.post("/api/v1/devices", json=body).json
    assert first["id"] == second["id"] and second["app_version"] == "1.1.0"


def test_withdrawing_a_purpose_deletes_the_identifiers_accepted_for_it(api, client, app):
    """The fieldnotes policy declares the Android ID for security and ads measurement, and
    deletes it on withdrawal: withdrawing ads measurement removes that one, not the other."""
    install = new_install()
    tokens = api.register(install_id=install)
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    purposes = {"account": True, "security": True, "ads_measurement": True}
    assert api.consent(tokens["access_token"], purposes=purposes).status_code == 201
    ids = [
        {"category": "user.device.device_id.android_id", "purpose": p, "value": "aid-9"}
        for p in ("security", "ads_measurement")
    ]
    r = client.post("/api/v1/devices", json=_device(install, ids), headers=auth)
    assert [i["status"] for i in r.json["identifiers"]] == ["accepted", "accepted"]
    r = client.post(
        "/api/v1/consents/withdraw",
        json={"app_id": "fieldnotes", "purposes": ["ads_measurement"]},
        headers=auth,
    )
    assert r.status_code == 200 and r.json["effects"]["deleted"] == 1
    with app.app_context():
        left = [row.purpose for row in db.session().scalars(select(DeviceIdentifier))]
    assert left == ["security"]
