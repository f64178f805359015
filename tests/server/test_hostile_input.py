"""Every field of every operation in the OpenAPI document, given a hostile value: never a 500.

For each operation a valid request is built from the document (real ids and names where
the API needs them to get past the first check), then one field at a time — a path id, a
query parameter, a header, a body property at any depth, a dictionary key — is replaced
by a value a database cannot store or a column cannot hold: a NUL character, a lone
surrogate, a hundred thousand characters, 2**70. The answer must be a problem detail
below 500, on SQLite and on PostgreSQL (which refuses NUL and checks lengths and ranges).
"""

from __future__ import annotations

import copy
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from PIL import Image

from .conftest import EVERY_PURPOSE, Api, grant

OMIT = object()


def moments() -> tuple[str, str]:
    """A minute ahead (inside the allowed clock skew: later than any consent the test
    gives), and an hour ago."""
    now = datetime.now(UTC)
    return (now + timedelta(seconds=60)).isoformat(), (now - timedelta(hours=1)).isoformat()


HOSTILE_TEXT = ["nul\x00byte", "lone \ud800 surrogate", "x" * 100_000]
HOSTILE_INTEGER = [2**70, -(2**70), 2**31]
HOSTILE_NUMBER = [1e308, -1e308]
HOSTILE_SEGMENT = ["a%00b", "1" * 30, "x" * 300, "%ED%A0%80", "..%2F..%2Fetc"]
HOSTILE_QUERY = ["a%00b", "%ED%A0%80", "x" * 100_000, "1" * 30]

# Values a valid request needs (a real app, a declared category …), by field name.
NAMES: dict[str, Any] = {
    "app_id": "fieldnotes",
    "category": "user.location.coarse",
    "purpose": "customer_positioning",
    "feature": "add_customer",
    "phone": "+8613800138000",
    "guardian_phone": "+8613900139000",
    "password": "correct horse 1",
    "code": "123456",
    "install_id": "install-0123456789",
    "method": "app_ui",
    "payload": {"lat": 23.13, "lon": 113.26},
    "purposes": {"account": True, "security": True},
    "categories": {},
    "lat": 23.13,
    "lon": 113.26,
    "platform": "android",
    "os_version": "14",
    "app_version": "1.0",
    "token": "x" * 20,
    "name": "Hostile Test",
    "sku": "SKU-1",
    "price": "1.00",
    "within": 10,
    "unit": "days",
    "reason": "more time needed",
    "title": "A breach",
    "description": "A description",
    "affected_users": [],
    "birth_date": "1990-01-01",
    "status": "done",
    "role": "member",
    "fmt": "png",
}
# Per operation: other values, or OMIT to leave an optional field out.
OVERRIDES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/api/v1/media"): {
        "category": "user.media.photo",
        "purpose": "product_photos",
        "feature": "publish_product",
    },
    ("delete", "/api/v1/me/data"): {"category": "user.media.photo"},
    ("post", "/api/v1/me/cancellation"): {"code": OMIT},
    ("post", "/api/v1/auth/login"): {"code": OMIT},
    ("post", "/api/v1/consents/withdraw"): {"purposes": ["ads_measurement"]},
    ("post", "/api/v1/devices"): {
        "category": "user.device.device_id.android_id",
        "purpose": "security",
    },
    ("post", "/api/v1/products"): {"image_id": OMIT},
    ("post", "/api/v1/customers/import"): {"phone": "+8613700137000"},
    ("patch", "/api/v1/me/data/{item_id}"): {"payload": {"lat": 23.1, "lon": 113.2}},
    ("post", "/api/v1/admin/requests/{request_id}/extend"): {"unit": "days"},
    ("patch", "/api/v1/orders/{order_id}"): {"status": "done"},
}
# Operations that end the caller's session or membership: each request gets its own account.
SESSION_ENDING = {
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/me/cancellation"),
    ("delete", "/api/v1/orgs/me/membership"),
    ("delete", "/api/v1/orgs/members/{user_id}"),
    ("post", "/api/v1/me/invitations/{invitation_id}/accept"),
}


@pytest.fixture
def app(app_factory):
    """Rate limits off: every hostile value must reach the parser, not a 429 before it
    (the limits have their own tests)."""
    app = app_factory(RATELIMIT_ENABLED=False)
    yield app
    app.extensions["consentkit.engine"].dispose()


class Spec:
    def __init__(self, document: dict) -> None:
        self.document = document

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            schema = self.document["components"]["schemas"][name]
        return schema

    def valid(self, schema: dict, name: str, overrides: dict) -> Any:
        """A value the schema accepts, with the names the API needs to get past its checks."""
        schema = self.resolve(schema)
        if name in overrides:
            return overrides[name]
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "object" and "properties" in schema:
            out = {}
            for key, sub in schema["properties"].items():
                value = self.valid(sub, key, overrides)
                if value is not OMIT and not self.resolve(sub).get("readOnly"):
                    out[key] = value
            return out
        if name in NAMES:
            return NAMES[name]
        if kind == "array":
            return [self.valid(schema.get("items", {}), name, overrides)]
        if kind == "string":
            if schema.get("format") == "date-time":
                return NAMES["collected_at"]
            if schema.get("format") == "date":
                return "1990-01-01"
            return "a" * max(schema.get("minLength", 1), 1)
        if kind in ("integer", "number"):
            return schema.get("minimum", 1)
        if kind == "boolean":
            return True
        return None


def leaves(spec: Spec, schema: dict, value: Any, path: tuple) -> Iterator[tuple[tuple, dict]]:
    """Every place in ``value`` a hostile value can go, with the schema of that place."""
    schema = spec.resolve(schema)
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key, item in value.items():
            yield from leaves(spec, props.get(key, {}), item, (*path, key))
        if not props or schema.get("additionalProperties") not in (None, False):
            yield (*path, "\x00key"), {"type": "dict-key"}
    elif isinstance(value, list):
        for i, item in enumerate(value[:1]):
            yield from leaves(spec, schema.get("items", {}), item, (*path, i))
    else:
        yield path, schema


def hostile_values(schema: dict, value: Any) -> list[Any]:
    kind = schema.get("type")
    if kind == "dict-key":
        return [True]
    if kind == "integer" or (isinstance(value, bool) is False and isinstance(value, int)):
        return HOSTILE_INTEGER
    if kind == "number" or isinstance(value, float):
        return HOSTILE_NUMBER + HOSTILE_INTEGER
    return HOSTILE_TEXT


def put(body: Any, path: tuple, value: Any) -> Any:
    body = copy.deepcopy(body)
    target = body
    for key in path[:-1]:
        target = target[key]
    if path[-1] == "\x00key":
        target["nul\x00key" if isinstance(target, dict) else 0] = value
    else:
        target[path[-1]] = value
    return body


def tiny_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def world(app, client):
    """A user (staff role admin) with every consent, an organization and one of each object."""
    now, past = moments()
    NAMES.update(collected_at=now, detected_at=past)
    api = Api(client)
    tokens = api.register()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert api.consent(tokens["access_token"], purposes=EVERY_PURPOSE).status_code == 201
    grant(app, tokens["user"]["id"], "admin")
    assert client.post("/api/v1/orgs", json={"name": "Hostile"}, headers=auth).status_code == 201
    customer = client.post(
        "/api/v1/customers", json={"app_id": "fieldnotes", "name": "C"}, headers=auth
    ).json["id"]
    product = client.post(
        "/api/v1/products", json={"name": "P", "price": "1.00"}, headers=auth
    ).json["id"]
    order = client.post(
        "/api/v1/orders",
        json={
            "app_id": "fieldnotes",
            "customer_id": customer,
            "items": [{"sku": "S", "name": "N", "quantity": 1, "price": "1.00"}],
        },
        headers=auth,
    ).json["id"]
    item = api.collect(
        tokens["access_token"],
        [
            {
                "category": "user.location.coarse",
                "purpose": "customer_positioning",
                "feature": "add_customer",
                "collected_at": now,
                "payload": {"lat": 23.1, "lon": 113.2},
            }
        ],
    ).json["results"][0]["id"]
    export = client.post("/api/v1/me/exports", json={"app_id": "fieldnotes"}, headers=auth).json
    incident = client.post(
        "/api/v1/admin/incidents",
        json={
            "app_id": "fieldnotes",
            "title": "A breach",
            "description": "What happened",
            "categories": ["user.location.coarse"],
            "affected_users": [],
            "detected_at": past,
        },
        headers=auth,
    ).json["id"]
    version = client.get("/api/v1/apps/fieldnotes/policy").json["version"]
    invitation = client.post(
        "/api/v1/orgs/invitations", json={"phone": "+8613700137001"}, headers=auth
    ).json["id"]
    ids = {
        "app_id": "fieldnotes",
        "version": version,
        "customer_id": customer,
        "product_id": product,
        "order_id": order,
        "item_id": str(item),
        "request_id": export["id"],
        "user_id": tokens["user"]["id"],
        "incident_id": incident,
        "invitation_id": invitation,
        "fmt": "png",
    }
    return {"api": api, "auth": auth, "ids": ids, "version": version}


def test_no_field_of_any_operation_gets_a_server_error(app, client, world):
    spec = Spec(client.get("/api/openapi.json").json)
    NAMES["policy_version"] = world["version"]
    failures: list[str] = []
    sent = 0

    def send(method: str, template: str, path_values: dict, query: str, headers: dict, body):
        nonlocal sent
        sent += 1
        url = template
        for name, value in path_values.items():
            url = url.replace("{" + name + "}", value)
        if query:
            url += "?" + query
        if (method, template) in SESSION_ENDING:
            fresh = world["api"].register()
            headers = {**headers, "Authorization": f"Bearer {fresh['access_token']}"}
        kwargs: dict[str, Any] = {"headers": headers}
        if template == "/api/v1/media" and body is not None:
            if "\ud800" in json.dumps(body, ensure_ascii=False):
                return  # a multipart body carries bytes: no lone surrogate can be sent
            kwargs["data"] = {
                **{k: (v if isinstance(v, str) else json.dumps(v)) for k, v in body.items()},
                "file": (io.BytesIO(tiny_jpeg()), "p.jpg", "image/jpeg"),
            }
            kwargs["content_type"] = "multipart/form-data"
        elif body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        r = client.open(url, method=method.upper(), **kwargs)
        kind = r.headers.get("Content-Type", "")
        if r.status_code >= 500 or (r.status_code >= 400 and "problem+json" not in kind):
            failures.append(
                f"{method.upper()} {url[:120]} {str(body)[-200:]} "
                f"{str(headers)[-80:]} -> {r.status_code}"
            )

    for template, item in spec.document["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "patch", "delete", "put"):
                continue
            overrides = {**OVERRIDES.get((method, template), {})}
            params = op.get("parameters", []) + item.get("parameters", [])
            path_values = {p["name"]: world["ids"][p["name"]] for p in params if p["in"] == "path"}
            query = {
                p["name"]: spec.valid(p.get("schema", {}), p["name"], overrides)
                for p in params
                if p["in"] == "query"
            }
            query = {k: v for k, v in query.items() if v is not OMIT}
            headers = {**world["auth"], "Idempotency-Key": uuid.uuid4().hex}
            content = op.get("requestBody", {}).get("content", {})
            schema = next(iter(content.values()), {}).get("schema") if content else None
            body = spec.valid(schema, "", overrides) if schema else None

            def encode(q: dict) -> str:
                return "&".join(f"{k}={quote(str(v), safe='%')}" for k, v in q.items())

            for name in path_values:
                for bad in HOSTILE_SEGMENT:
                    send(method, template, {**path_values, name: bad}, encode(query), headers, body)
            for name in query:
                for bad in HOSTILE_QUERY:
                    send(method, template, path_values, encode({**query, name: bad}), headers, body)
            for bad in ["nul\x00byte", "x" * 500]:
                send(
                    method,
                    template,
                    path_values,
                    encode(query),
                    {**headers, "Idempotency-Key": bad},
                    body,
                )
            if body is None:
                continue
            for place, leaf_schema in leaves(spec, schema, body, ()):
                current = body
                for key in place:
                    if key == "\x00key":
                        break
                    current = current[key]
                for bad in hostile_values(leaf_schema, current):
                    send(
                        method, template, path_values, encode(query), headers, put(body, place, bad)
                    )
            for bad in ["[" * 10_000, '{"a": ' * 5_000, "\x00", '"\\ud800"']:
                sent += 1
                r = client.open(
                    template.format(**path_values),
                    method=method.upper(),
                    data=bad,
                    content_type="application/json",
                    headers=headers,
                )
                if r.status_code >= 500:
                    failures.append(f"{method.upper()} {template} raw {bad[:20]!r} -> 500")
    assert sent > 600, sent
    assert failures == [], "\n".join(failures[:40]) + f"\n({len(failures)} of {sent})"
