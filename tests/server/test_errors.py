"""Bad input of every kind gets a problem detail, never a 500 or a stack trace."""

import pytest


def _is_problem(r, status, code=None):
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == "application/problem+json"
    body = r.json
    assert {"type", "title", "status", "detail", "code"} <= set(body)
    assert "Traceback" not in r.get_data(as_text=True)
    if code:
        assert body["code"] == code


def test_malformed_json(client):
    r = client.post("/api/v1/auth/code", data="{not json", content_type="application/json")
    _is_problem(r, 400, "malformed_json")


def test_wrong_types_name_the_fields(client):
    r = client.post("/api/v1/auth/register", json={"phone": 5, "code": "12", "password": []})
    _is_problem(r, 422, "validation_error")
    assert {"phone", "code", "password"} <= set(r.json["errors"])


def test_unknown_fields_are_rejected(client):
    r = client.post("/api/v1/auth/code", json={"phone": "+8613800000001", "admin": True})
    _is_problem(r, 422, "validation_error")
    assert "admin" in r.json["errors"]


def test_oversized_body(client):
    r = client.post(
        "/api/v1/auth/code", data="x" * (2 * 1024 * 1024), content_type="application/json"
    )
    _is_problem(r, 413, "payload_too_large")


def test_unknown_route_and_method(client):
    _is_problem(client.get("/api/v1/nothing-here"), 404, "not_found")
    _is_problem(client.delete("/api/v1/auth/code"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    "body", [None, [], "text", 7, {"events": "x"}, {"app_id": 1, "events": [{}]}]
)
def test_collect_garbage_bodies(api, client, body):
    tokens = api.register()
    r = client.post(
        "/api/v1/collect",
        json=body,
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Idempotency-Key": "k1"},
    )
    assert 400 <= r.status_code < 500
    assert r.mimetype == "application/problem+json"


def test_openapi_and_docs_are_served(client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/collect",
        "/api/v1/consents",
        "/api/v1/auth/register",
        "/api/v1/apps/{app_id}/policy",
    ):
        assert path in spec["paths"]
    assert "CollectRequest" in spec["components"]["schemas"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and b"swagger" in docs.data.lower()


@pytest.mark.parametrize(
    "path", ["/api/v1/media/9223372036854775808", "/api/v1/media/2147483648", "/api/v1/media/0"]
)
def test_absurd_row_ids_are_not_found(api, client, path):
    tokens = api.register()
    r = client.get(path, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    _is_problem(r, 404, "not_found")
