from datetime import UTC, datetime


def test_policy_code_register_consent_collect_withdraw(api, client):
    install = "install-0001"
    user = api.register(install_id=install)
    token = user["access_token"]
    r = api.consent(
        token, purposes={"account": True, "security": True, "customer_positioning": True}
    )
    assert r.status_code == 201, r.json
    event = {
        "category": "user.location.coarse",
        "purpose": "customer_positioning",
        "feature": "add_customer",
        "collected_at": datetime.now(UTC).isoformat(),
        "payload": {"lat": 31.23, "lon": 121.47, "accuracy_m": 1500},
    }
    r = api.collect(token, [event])
    assert r.status_code == 200, r.json
    assert r.json["results"][0]["status"] == "accepted", r.json
    r = client.post(
        "/api/v1/consents/withdraw",
        json={"app_id": "fieldnotes", "purposes": ["customer_positioning"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.json
    r = api.collect(token, [event])
    assert r.json["results"][0]["code"] == "consent_required", r.json
