"""The API edge: values a database cannot hold are refused with a 422 or a 404, named."""

from __future__ import annotations

import pytest

from .conftest import grant


@pytest.fixture
def staff(app, api):
    tokens = api.register()
    api.consent(tokens["access_token"])
    grant(app, tokens["user"]["id"], "admin")
    return {"Authorization": f"Bearer {tokens['access_token']}"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/rights/requests/a%00b",
        "/api/v1/apps/a%00b/policy",
        "/api/v1/apps/fieldnotes/policy/versions/a%00b",
        "/api/v1/apps/" + "a" * 65 + "/policy",
    ],
)
def test_unusable_path_segments_are_no_route(client, path):
    r = client.get(path)
    assert r.status_code == 404 and r.headers["Content-Type"] == "application/problem+json"


def test_an_order_total_beyond_its_column_is_a_validation_error(client, api):
    tokens = api.register()
    api.consent(tokens["access_token"])
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    client.post("/api/v1/orgs", json={"name": "Big"}, headers=auth)
    customer = client.post(
        "/api/v1/customers", json={"app_id": "fieldnotes", "name": "C"}, headers=auth
    ).json["id"]
    items = [
        {"sku": f"S{i}", "name": "N", "quantity": 100_000, "price": "1000000000"} for i in range(3)
    ]
    r = client.post(
        "/api/v1/orders",
        json={"app_id": "fieldnotes", "customer_id": customer, "items": items},
        headers=auth,
    )
    assert r.status_code == 422 and "items" in r.json["errors"], r.json


def test_over_long_ids_in_queries_and_huge_row_ids_in_bodies(client, staff):
    r = client.get(
        "/api/v1/admin/consent-records", query_string={"app_id": "a" * 200}, headers=staff
    )
    assert r.status_code == 422 and "app_id" in r.json["errors"]
    client.post("/api/v1/orgs", json={"name": "Org"}, headers=staff)
    r = client.post(
        "/api/v1/products", json={"name": "P", "price": "1.00", "image_id": 2**70}, headers=staff
    )
    assert r.status_code == 422 and "image_id" in r.json["errors"]


@pytest.mark.parametrize("text", ["a\x00b", "\ud800"])
def test_text_a_database_cannot_store_is_named(client, api, text):
    tokens = api.register()
    api.consent(tokens["access_token"])
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    r = client.post("/api/v1/orgs", json={"name": text}, headers=auth)
    assert r.status_code == 422 and "name" in r.json["errors"]


def test_a_body_nested_too_deeply_is_malformed_json(client):
    r = client.post("/api/v1/auth/code", data="[" * 10_000, content_type="application/json")
    assert r.status_code == 400 and r.json["code"] == "malformed_json"


def test_every_request_field_in_the_api_document_is_bounded(client):
    """Strings have a maximum length and integers a range, as the edge types give them:
    a new field declared with a bare marshmallow type shows here."""
    doc = client.get("/api/openapi.json").json
    unbounded = []

    def walk(schema: dict, where: str) -> None:
        while "$ref" in schema:
            schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        kind = schema.get("type")
        if kind == "string" and "enum" not in schema and "format" not in schema:
            if "maxLength" not in schema:
                unbounded.append(where)
        elif kind == "integer" and not {"minimum", "maximum"} <= set(schema):
            unbounded.append(where)
        for key, sub in schema.get("properties", {}).items():
            walk(sub, f"{where}.{key}")
        if isinstance(schema.get("items"), dict):
            walk(schema["items"], f"{where}[]")

    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            for p in op.get("parameters", []) + item.get("parameters", []):
                walk(p.get("schema", {}), f"{method} {path} {p['name']}")
            for content in op.get("requestBody", {}).get("content", {}).values():
                walk(content["schema"], f"{method} {path} body")
    assert unbounded == []
