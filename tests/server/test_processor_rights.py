"""INCS processes an enterprise account's data on the enterprise's behalf: a member's
request about it goes to her organization, whose admins answer it."""

from datetime import UTC, datetime

from .conftest import new_phone


def _auth(tokens):
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _incs_member(api, client, admin_tokens):
    phone = new_phone()
    tokens = api.register(phone=phone)
    api.consent(
        tokens["access_token"],
        app_id="incs",
        purposes={
            "account": True,
            "messaging": True,
            "security": True,
        },
    )
    api.join(_auth(admin_tokens), tokens)
    message = {
        "category": "user.messages.content",
        "purpose": "messaging",
        "feature": "chat",
        "collected_at": datetime.now(UTC).isoformat(),
        "payload": {"value": "the quarterly numbers"},
    }
    r = api.collect(tokens["access_token"], [message], app_id="incs")
    assert r.json["results"][0]["status"] == "accepted", r.json
    return tokens


def _delete_messages(client, tokens):
    return client.delete(
        "/api/v1/me/data?app_id=incs&category=user.messages.content", headers=_auth(tokens)
    )


def _messages(client, tokens) -> list:
    data = client.get("/api/v1/me/data?app_id=incs", headers=_auth(tokens)).json
    return data["categories"].get("user.messages.content", [])


def test_a_members_deletion_goes_to_her_organization(api, client):
    admin = api.register()
    api.consent(admin["access_token"], app_id="incs", purposes={"account": True, "messaging": True})
    assert (
        client.post("/api/v1/orgs", json={"name": "Acme"}, headers=_auth(admin)).status_code == 201
    )
    member = _incs_member(api, client, admin)

    r = _delete_messages(client, member)
    assert r.status_code == 200
    assert r.json["deleted"] == 0 and r.json["forwarded_to"] and r.json["request"]
    assert len(_messages(client, member)) == 1  # the platform did not decide alone

    assert client.get("/api/v1/orgs/requests", headers=_auth(member)).status_code == 403
    waiting = client.get("/api/v1/orgs/requests", headers=_auth(admin)).json
    assert [w["id"] for w in waiting] == [r.json["request"]]
    assert waiting[0]["category"] == "user.messages.content" and waiting[0]["days_left"] > 0

    answer = client.post(
        f"/api/v1/orgs/requests/{r.json['request']}/answer",
        json={"decision": "delete"},
        headers=_auth(admin),
    )
    assert answer.status_code == 200 and answer.json["status"] == "done"
    assert _messages(client, member) == []
    assert client.get("/api/v1/orgs/requests", headers=_auth(admin)).json == []
    status = client.get(f"/api/v1/rights/requests/{r.json['request']}").json
    assert status["status"] == "done"


def test_another_organization_cannot_answer(api, client):
    admin = api.register()
    api.consent(admin["access_token"], app_id="incs", purposes={"account": True, "messaging": True})
    client.post("/api/v1/orgs", json={"name": "Acme"}, headers=_auth(admin))
    member = _incs_member(api, client, admin)
    request_id = _delete_messages(client, member).json["request"]
    rival = api.register()
    client.post("/api/v1/orgs", json={"name": "Rival"}, headers=_auth(rival))
    r = client.post(
        f"/api/v1/orgs/requests/{request_id}/answer",
        json={"decision": "delete"},
        headers=_auth(rival),
    )
    assert r.status_code == 404
    assert len(_messages(client, member)) == 1


def test_without_an_organization_the_app_answers_itself(api, client):
    tokens = api.register()
    api.consent(
        tokens["access_token"], app_id="incs", purposes={"account": True, "messaging": True}
    )
    r = _delete_messages(client, tokens)
    assert r.status_code == 200 and r.json.get("forwarded_to") is None
