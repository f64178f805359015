import yaml

from consentkit.policy import parse_manifest
from consentkit.server import db
from consentkit.server.services import policies
from tests.conftest import FIELDNOTES

from .conftest import new_install, new_phone


def _auth(tokens):
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_policy_is_published_as_json(client):
    r = client.get("/api/v1/apps/fieldnotes/policy")
    assert r.status_code == 200
    assert r.json["version"] == "2024.03.01" and r.json["effective"] == "2024-03-01"
    assert r.json["manifest"]["purposes"]["account"]["basic"] is True
    r = client.get("/api/v1/apps/fieldnotes/policy/versions/2024.03.01")
    assert r.status_code == 200
    assert (
        client.get("/api/v1/apps/zhenyi-erp/policy").json["manifest"]["app"]["name"] == "Zhenyi ERP"
    )


def test_unknown_app_and_version_are_problems(client):
    r = client.get("/api/v1/apps/nope/policy")
    assert r.status_code == 404 and r.json["code"] == "unknown_app"
    r = client.get("/api/v1/apps/fieldnotes/policy/versions/1999")
    assert r.status_code == 404 and r.json["code"] == "unknown_policy_version"


def test_pre_login_consent_follows_the_install_to_the_user(api, client):
    install = new_install()
    r = api.consent(
        None,
        install_id=install,
        purposes={"account": True, "security": True, "product_photos": True},
    )
    assert r.status_code == 201, r.json
    state = r.json["state"]["purposes"]
    assert state["product_photos"]["granted"] is True
    assert state["ads_measurement"]["action"] == "refuse"  # unticked by default
    tokens = api.register(install_id=install)
    r = client.get("/api/v1/consents?app_id=fieldnotes", headers=_auth(tokens))
    assert r.json["state"]["agreed_version"] == "2024.03.01"
    assert r.json["state"]["purposes"]["product_photos"]["granted"] is True


def test_agreement_needs_every_basic_purpose(api):
    r = api.consent(None, install_id=new_install(), purposes={"account": True})
    assert r.status_code == 422 and r.json["code"] == "policy_agreement_required"
    assert "security" in r.json["errors"]["purposes"]


def test_consent_values_are_strict_booleans(api):
    r = api.consent(None, install_id=new_install(), purposes={"account": "yes", "security": True})
    assert r.status_code == 422 and "purposes" in r.json["errors"]


def test_unknown_purpose_and_outdated_version(api):
    r = api.consent(
        None,
        install_id=new_install(),
        purposes={"account": True, "security": True, "telepathy": True},
    )
    assert r.status_code == 422 and "telepathy" in r.json["errors"]["purposes"]
    r = api.consent(None, install_id=new_install(), version="2020.01.01")
    assert r.status_code == 409 and r.json["code"] == "policy_outdated"
    assert r.json["current_version"] == "2024.03.01"


def test_before_login_install_id_is_required(api):
    r = api.consent(None)
    assert r.status_code == 422 and "install_id" in r.json["errors"]


def test_receipts_are_kantara_shaped_and_chained(api, client):
    tokens = api.register()
    api.consent(tokens["access_token"])
    api.consent(tokens["access_token"], purposes={"product_photos": True})
    client.post(
        "/api/v1/consents/withdraw",
        headers=_auth(tokens),
        json={"app_id": "fieldnotes", "purposes": ["product_photos"]},
    )
    r = client.get("/api/v1/consents/receipts?app_id=fieldnotes", headers=_auth(tokens))
    receipts = r.json["receipts"]
    assert len(receipts) == 3 and r.json["chain_valid"] is True
    first, second, third = receipts
    for field in (
        "version",
        "jurisdiction",
        "consentTimestamp",
        "collectionMethod",
        "consentReceiptID",
        "piiPrincipalId",
        "piiControllers",
        "policyUrl",
        "services",
        "sensitive",
        "spiCat",
    ):
        assert field in first
    assert first["version"] == "KI-CR-v1.1.0"
    assert second["extensions"]["previousReceiptID"] == first["consentReceiptID"]
    assert third["extensions"]["decisions"] == {"product_photos": "withdraw"}
    purposes = [p["purpose"] for p in second["services"][0]["purposes"]]
    assert any("photos" in p for p in purposes)


def test_tampered_receipt_breaks_the_chain(api, client, app):
    from consentkit.server.models import ConsentReceipt

    tokens = api.register()
    api.consent(tokens["access_token"])
    api.consent(tokens["access_token"], purposes={"product_photos": True})
    with app.app_context():
        s = db.session()
        row = s.query(ConsentReceipt).order_by(ConsentReceipt.created_at).first()
        row.document = {**row.document, "collectionMethod": "forged"}
        s.commit()
    r = client.get("/api/v1/consents/receipts?app_id=fieldnotes", headers=_auth(tokens))
    assert r.json["chain_valid"] is False


def test_minor_cannot_consent_until_a_guardian_does(api, client):
    tokens = api.register(birth_date="2015-06-01")
    r = api.consent(tokens["access_token"])
    assert r.status_code == 403 and r.json["code"] == "guardian_required"
    guardian = new_phone()
    r = client.post(
        "/api/v1/guardian/code",
        headers=_auth(tokens),
        json={"app_id": "fieldnotes", "guardian_phone": guardian},
    )
    assert r.status_code == 202, r.json
    box = client.get("/api/v1/dev/outbox", query_string={"phone": guardian}).json
    code = box[0]["body"].split("code is ")[1][:6]
    wrong = client.post(
        "/api/v1/guardian/consent",
        headers=_auth(tokens),
        json={
            "app_id": "fieldnotes",
            "guardian_phone": guardian,
            "code": "000000" if code != "000000" else "111111",
        },
    )
    assert wrong.status_code == 401
    r = client.post(
        "/api/v1/guardian/consent",
        headers=_auth(tokens),
        json={"app_id": "fieldnotes", "guardian_phone": guardian, "code": code},
    )
    assert r.status_code == 201, r.json
    r = api.consent(tokens["access_token"])
    assert r.status_code == 201 and r.json["state"]["guardian_consented"] is True


def test_guardian_flow_refuses_adults_and_self(api, client):
    adult = api.register(birth_date="1990-01-01")
    r = client.post(
        "/api/v1/guardian/code",
        headers=_auth(adult),
        json={"app_id": "fieldnotes", "guardian_phone": new_phone()},
    )
    assert r.status_code == 409 and r.json["code"] == "not_a_minor"
    minor = api.register(birth_date="2016-01-01")
    r = client.post(
        "/api/v1/guardian/code",
        headers=_auth(minor),
        json={"app_id": "fieldnotes", "guardian_phone": minor["user"]["phone"]},
    )
    assert r.status_code == 422 and "guardian_phone" in r.json["errors"]


def test_major_policy_change_lapses_consent(api, client, app):
    tokens = api.register()
    api.consent(
        tokens["access_token"], purposes={"account": True, "security": True, "product_photos": True}
    )
    data = yaml.safe_load(FIELDNOTES.read_text("utf-8"))
    data["app"]["policy"].update(version="2025.01.01", change="major")
    with app.app_context():
        s = db.session()
        policies.publish(s, parse_manifest(yaml.safe_dump(data)))
        s.commit()
    r = client.get("/api/v1/consents?app_id=fieldnotes", headers=_auth(tokens))
    assert r.json["state"]["agreed_version"] is None
    assert r.json["state"]["purposes"]["product_photos"]["granted"] is False
    r = api.consent(tokens["access_token"], purposes={"product_photos": True})
    assert r.status_code == 422 and r.json["code"] == "policy_agreement_required"


def test_minor_policy_change_keeps_consent(api, client, app):
    tokens = api.register()
    api.consent(tokens["access_token"])
    data = yaml.safe_load(FIELDNOTES.read_text("utf-8"))
    data["app"]["policy"].update(version="2024.03.02", change="minor")
    with app.app_context():
        s = db.session()
        policies.publish(s, parse_manifest(yaml.safe_dump(data)))
        s.commit()
    r = client.get("/api/v1/consents?app_id=fieldnotes", headers=_auth(tokens))
    assert r.json["state"]["agreed_version"] == "2024.03.01"
    assert r.json["state"]["purposes"]["account"]["granted"] is True


def test_republishing_a_version_with_other_content_is_refused(app):
    from consentkit.server.problems import Problem

    data = yaml.safe_load(FIELDNOTES.read_text("utf-8"))
    data["app"]["name"] = "Changed"
    with app.app_context():
        try:
            policies.publish(db.session(), parse_manifest(yaml.safe_dump(data)))
        except Problem as exc:
            assert exc.code == "policy_version_exists"
        else:
            raise AssertionError("the same version was published twice with other content")


def test_minor_grants_given_before_the_guardian_do_not_count(api, client):
    install = new_install()
    api.consent(None, install_id=install)  # before registration the age is unknown
    tokens = api.register(install_id=install, birth_date="2015-06-01")
    r = client.get("/api/v1/consents?app_id=fieldnotes", headers=_auth(tokens))
    assert r.json["state"]["minor"] is True
    guardian = new_phone()
    client.post(
        "/api/v1/guardian/code",
        headers=_auth(tokens),
        json={"app_id": "fieldnotes", "guardian_phone": guardian},
    )
    code = client.get("/api/v1/dev/outbox", query_string={"phone": guardian}).json[0]["body"]
    client.post(
        "/api/v1/guardian/consent",
        headers=_auth(tokens),
        json={
            "app_id": "fieldnotes",
            "guardian_phone": guardian,
            "code": code.split("code is ")[1][:6],
        },
    )
    event = {
        "category": "user.contact.phone_number",
        "purpose": "account",
        "feature": "sign_up",
        "collected_at": __import__("datetime").datetime.now(__import__("datetime").UTC).isoformat(),
        "payload": {"phone": "+8613800000001"},
    }
    r = api.collect(tokens["access_token"], [event])
    assert r.json["results"][0]["code"] == "guardian_required"
    assert api.consent(tokens["access_token"]).status_code == 201
    assert api.collect(tokens["access_token"], [event]).json["accepted"] == 1
