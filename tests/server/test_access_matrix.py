"""The access matrix: every operation of the OpenAPI document whose path names an object
(an id), called by every kind of caller — the object's owner, a colleague in the owner's
organization, a user of another organization, a user of no organization, an invitee, each
staff role on the app and a staff admin of another app, and nobody at all.

Those the matrix allows get their answer; everyone else gets a refusal (401, 404, or the
403/409 that says what *they* lack) whose body holds nothing of the object. The list of
operations comes from the document: an endpoint with an id that the matrix does not name
fails this test, so none can be forgotten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from consentkit.device_sdk.media import jpeg_with_gps
from consentkit.policy import parse_manifest
from consentkit.server import db
from consentkit.server.services import policies
from tests.conftest import FIELDNOTES

from .conftest import Api, grant, new_phone, upload_photo

ACTORS = (
    "anonymous",
    "owner",
    "colleague",
    "stranger",
    "loner",
    "invitee",
    "auditor",
    "dpo",
    "admin",
    "admin_elsewhere",
)
EVERYONE = frozenset(ACTORS)
STAFF = frozenset({"auditor", "dpo", "admin"})
ORG = frozenset({"owner", "colleague"})

# (method, path) → who may. Everyone else is refused.
MAY: dict[tuple[str, str], frozenset[str]] = {
    ("get", "/api/v1/apps/{app_id}/policy"): EVERYONE,
    ("get", "/api/v1/apps/{app_id}/policy/versions"): EVERYONE,
    ("get", "/api/v1/apps/{app_id}/policy/versions/{version}"): EVERYONE,
    ("get", "/api/v1/media/{item_id}"): ORG,  # a product's photo: its organization sees it
    ("patch", "/api/v1/me/data/{item_id}"): frozenset({"owner"}),
    ("get", "/api/v1/me/exports/{request_id}"): frozenset({"owner"}),
    ("get", "/api/v1/me/exports/{request_id}/download"): frozenset({"owner"}),
    ("get", "/api/v1/rights/requests/{request_id}"): EVERYONE,  # the unguessable id is the key
    ("get", "/api/v1/admin/users/{user_id}/data"): STAFF,
    ("post", "/api/v1/admin/requests/{request_id}/extend"): frozenset({"dpo", "admin"}),
    ("get", "/api/v1/admin/incidents/{incident_id}"): STAFF,
    ("delete", "/api/v1/orgs/invitations/{invitation_id}"): frozenset({"owner"}),
    ("post", "/api/v1/me/invitations/{invitation_id}/accept"): frozenset({"invitee"}),
    ("post", "/api/v1/me/invitations/{invitation_id}/decline"): frozenset({"invitee"}),
    ("patch", "/api/v1/orgs/members/{user_id}"): frozenset({"owner"}),
    ("delete", "/api/v1/orgs/members/{user_id}"): frozenset({"owner"}),
    ("post", "/api/v1/orgs/requests/{request_id}/answer"): frozenset({"owner"}),
    ("get", "/api/v1/customers/{customer_id}"): ORG,
    ("patch", "/api/v1/customers/{customer_id}"): ORG,
    ("delete", "/api/v1/customers/{customer_id}"): ORG,
    ("post", "/api/v1/customers/{customer_id}/navigation"): ORG,
    ("post", "/api/v1/customers/{customer_id}/calls"): ORG,
    ("get", "/api/v1/customers/{customer_id}/qr.{fmt}"): ORG,
    ("get", "/api/v1/products/{product_id}"): ORG,
    ("get", "/api/v1/products/{product_id}/qr.{fmt}"): ORG,
    ("get", "/api/v1/orders/{order_id}"): ORG,
    ("patch", "/api/v1/orders/{order_id}"): ORG,
}
# Operations that use up or remove their object: each allowed caller gets a fresh one,
# and the refused callers try that very one first.
FRESH = {
    ("delete", "/api/v1/orgs/invitations/{invitation_id}"),
    ("post", "/api/v1/me/invitations/{invitation_id}/accept"),
    ("post", "/api/v1/me/invitations/{invitation_id}/decline"),
    ("delete", "/api/v1/orgs/members/{user_id}"),
    ("post", "/api/v1/orgs/requests/{request_id}/answer"),
    ("delete", "/api/v1/customers/{customer_id}"),
}
BODIES: dict[tuple[str, str], Any] = {
    ("patch", "/api/v1/me/data/{item_id}"): {"payload": {"lat": 23.1357, "lon": 113.2468}},
    ("post", "/api/v1/admin/requests/{request_id}/extend"): {
        "within": 5,
        "unit": "days",
        "reason": "a complex request",
    },
    ("patch", "/api/v1/orgs/members/{user_id}"): {"role": "member"},
    ("post", "/api/v1/orgs/requests/{request_id}/answer"): {"decision": "refuse", "reason": "no"},
    ("patch", "/api/v1/customers/{customer_id}"): {"name": "Matrix Shop"},
    ("post", "/api/v1/customers/{customer_id}/navigation"): {"lat": 31.2397, "lon": 121.4998},
    ("post", "/api/v1/customers/{customer_id}/calls"): {"app_id": "fieldnotes"},
    ("patch", "/api/v1/orders/{order_id}"): {"status": "confirmed"},
}
QUERIES = {("get", "/api/v1/admin/users/{user_id}/data"): "?app_id=fieldnotes"}
# What the objects hold: none of it may appear in a refusal.
SECRETS = ("Matrix Shop", "Matrix Tea", "deliver to gate 7", "23.1357", "31.2304", "Matrix Leak")

ALL = {
    "account": True,
    "security": True,
    "customer_positioning": True,
    "product_photos": True,
    "customer_import": True,
    "call_records": True,
}


@dataclass
class World:
    api: Api
    auth: dict[str, dict[str, str]]
    tokens: dict[str, dict]
    ids: dict[str, str] = field(default_factory=dict)


def _bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _publish_calling_fieldnotes(app) -> None:
    """The contract example, with call records declared (it promises none by default)."""
    data = yaml.safe_load(FIELDNOTES.read_text("utf-8"))
    data["app"]["policy"].update(version="2024.03.02", change="minor")
    data["never_collected"].remove("user.calls.log")
    data["purposes"]["call_records"] = {
        "description": "Keep who you called.",
        "kind": "essential.service",
    }
    data["data_categories"]["user.calls.log"] = {"purposes": ["call_records"]}
    data["features"]["quick_call"].update(
        purposes=["account", "call_records"],
        permissions=["phone.call", "phone.call_log"],
        collects=["user.calls.log"],
    )
    data["permissions"]["phone.call_log"] = {"rationale": "We keep who you called and when."}
    with app.app_context():
        policies.publish(db.session(), parse_manifest(yaml.safe_dump(data)))
        db.session().commit()


@pytest.fixture
def world(app_factory) -> World:
    app = app_factory(RATELIMIT_ENABLED=False)
    _publish_calling_fieldnotes(app)
    api = Api(app.test_client())
    c = api.client
    tokens = {name: api.register() for name in ACTORS if name != "anonymous"}
    auth = {name: _bearer(t) for name, t in tokens.items()}
    auth["anonymous"] = {}
    w = World(api, auth, tokens)
    for name in ("owner", "colleague", "stranger", "loner"):
        assert api.consent(tokens[name]["access_token"], purposes=ALL).status_code == 201
        api.consent(
            tokens[name]["access_token"],
            app_id="incs",
            purposes={"account": True, "messaging": True, "security": True},
        )
    for name in ("owner", "stranger"):
        org = {"owner": "Matrix One", "stranger": "Matrix Two"}[name]
        assert c.post("/api/v1/orgs", json={"name": org}, headers=auth[name]).status_code == 201
    api.join(auth["owner"], tokens["colleague"])
    for role in STAFF:
        grant(app, tokens[role]["user"]["id"], role)
    grant(app, tokens["admin_elsewhere"]["user"]["id"], "admin", app_id="zhenyi-erp")
    owner = auth["owner"]
    now = datetime.now(UTC).isoformat()
    customer = c.post(
        "/api/v1/customers",
        json={
            "app_id": "fieldnotes",
            "name": "Matrix Shop",
            "location": {"lat": 31.2304, "lon": 121.4737, "collected_at": now},
        },
        headers=owner,
    )
    photo = upload_photo(c, owner, jpeg_with_gps(None, None, size=(32, 32)))
    product = c.post(
        "/api/v1/products",
        json={"name": "Matrix Tea", "price": "9.90", "image_id": photo.json["id"]},
        headers=owner,
    )
    order = c.post(
        "/api/v1/orders",
        json={
            "app_id": "fieldnotes",
            "customer_id": customer.json["id"],
            "notes": "deliver to gate 7",
            "items": [{"sku": "T", "name": "Matrix Tea", "quantity": 1, "price": "9.90"}],
        },
        headers=owner,
    )
    item = api.collect(
        tokens["owner"]["access_token"],
        [
            {
                "category": "user.location.coarse",
                "purpose": "customer_positioning",
                "feature": "add_customer",
                "collected_at": now,
                "payload": {"lat": 23.1357, "lon": 113.2468},
            }
        ],
    )
    export = c.post("/api/v1/me/exports", json={"app_id": "fieldnotes"}, headers=owner)
    leaver = api.register()
    api.consent(leaver["access_token"])
    cancellation = c.post(
        "/api/v1/me/cancellation",
        json={"app_id": "fieldnotes", "password": "correct horse 1"},
        headers=_bearer(leaver),
    )
    incident = c.post(
        "/api/v1/admin/incidents",
        json={
            "app_id": "fieldnotes",
            "title": "Matrix Leak",
            "description": "A test breach.",
            "categories": ["user.location.coarse"],
            "affected_users": [],
            "detected_at": now,
        },
        headers=auth["admin"],
    )
    for r in (customer, photo, product, order, item, export, cancellation, incident):
        assert r.status_code < 300, r.json
    w.ids = {
        "app_id": "fieldnotes",
        "version": c.get("/api/v1/apps/fieldnotes/policy").json["version"],
        "item_id": str(photo.json["id"]),
        "customer_id": customer.json["id"],
        "product_id": product.json["id"],
        "order_id": order.json["id"],
        "incident_id": incident.json["id"],
        "fmt": "png",
    }
    w.item = str(item.json["results"][0]["id"])
    w.export = export.json["id"]
    w.cancellation = cancellation.json["id"]
    return w


def _ids_for(w: World, method: str, template: str) -> dict[str, str]:
    """The ids an operation names, in the world (not yet used up)."""
    ids = dict(w.ids)
    if template.startswith("/api/v1/me/data/"):
        ids["item_id"] = w.item
    if "{request_id}" in template:
        ids["request_id"] = w.export if "/exports/" in template else w.cancellation
    if template == "/api/v1/admin/users/{user_id}/data":
        ids["user_id"] = w.tokens["owner"]["user"]["id"]
    if template == "/api/v1/orgs/members/{user_id}":
        ids["user_id"] = w.tokens["colleague"]["user"]["id"]
    return ids


def _fresh(w: World, method: str, template: str) -> tuple[dict[str, str], dict[str, dict]]:
    """A new object for an operation that uses its object up, and the callers it makes
    (accepting an invitation makes its invitee a member: a new invitee accepts it)."""
    c, owner = w.api.client, w.auth["owner"]
    ids, callers = dict(w.ids), {}
    if template == "/api/v1/orgs/invitations/{invitation_id}":
        r = c.post("/api/v1/orgs/invitations", json={"phone": new_phone()}, headers=owner)
        ids["invitation_id"] = r.json["id"]
    elif template.startswith("/api/v1/me/invitations/"):
        invitee = w.tokens["invitee"]
        if template.endswith("/accept"):
            invitee = w.api.register()
            callers["invitee"] = _bearer(invitee)
        r = c.post(
            "/api/v1/orgs/invitations", json={"phone": invitee["user"]["phone"]}, headers=owner
        )
        ids["invitation_id"] = r.json["id"]
    elif template == "/api/v1/orgs/members/{user_id}":
        member = w.api.register()
        w.api.join(owner, member)
        ids["user_id"] = member["user"]["id"]
    elif template == "/api/v1/orgs/requests/{request_id}/answer":
        message = {
            "category": "user.messages.content",
            "purpose": "messaging",
            "feature": "chat",
            "collected_at": datetime.now(UTC).isoformat(),
            "payload": {"value": "Matrix Leak"},
        }
        r = w.api.collect(w.tokens["colleague"]["access_token"], [message], app_id="incs")
        assert r.json["results"][0]["status"] == "accepted", r.json
        r = c.delete(
            "/api/v1/me/data?app_id=incs&category=user.messages.content",
            headers=w.auth["colleague"],
        )
        ids["request_id"] = r.json["request"]
    elif template == "/api/v1/customers/{customer_id}":
        r = c.post(
            "/api/v1/customers", json={"app_id": "fieldnotes", "name": "Matrix Shop"}, headers=owner
        )
        ids["customer_id"] = r.json["id"]
    return ids, callers


def _url(template: str, ids: dict[str, str], method: str) -> str:
    url = re.sub(r"\{(\w+)\}", lambda m: ids[m[1]], template)
    return url + QUERIES.get((method, template), "")


def _operations(client) -> list[tuple[str, str]]:
    document = client.get("/api/openapi.json").json
    return [
        (method, template)
        for template, item in document["paths"].items()
        if "{" in template
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


def test_every_endpoint_with_an_id_is_in_the_matrix(client):
    found = set(_operations(client))
    assert found - set(MAY) == set(), "endpoints with an id the access matrix does not name"
    assert set(MAY) - found == set(), "the matrix names endpoints the API no longer has"


def test_only_the_matrix_allowed_callers_reach_each_object(world):
    c = world.api.client
    checked = refused = 0
    problems: list[str] = []

    def call(actor: str, method: str, template: str, ids: dict, auth: dict) -> None:
        nonlocal checked, refused
        r = c.open(
            _url(template, ids, method),
            method=method.upper(),
            headers=auth,
            json=BODIES.get((method, template)),
        )
        checked += 1
        where = f"{actor}: {method.upper()} {template} -> {r.status_code}"
        if actor in MAY[(method, template)]:
            if r.status_code >= 300:
                problems.append(f"{where} (allowed) {r.get_data(as_text=True)[:200]}")
            return
        refused += 1
        expected = {401} if actor == "anonymous" else {403, 404, 409}
        if r.status_code not in expected:
            problems.append(f"{where} (refused: expected one of {sorted(expected)})")
        leaked = [s for s in SECRETS if s in r.get_data(as_text=True)]
        if leaked:
            problems.append(f"{where} leaks {leaked}")

    for method, template in _operations(c):
        may = MAY[(method, template)]
        fresh = (method, template) in FRESH
        ids, callers = (
            _fresh(world, method, template)
            if fresh
            else (
                _ids_for(world, method, template),
                {},
            )
        )
        auth = {**world.auth, **callers}
        for actor in [a for a in ACTORS if a not in may]:  # first: the object is intact
            call(actor, method, template, ids, auth[actor])
        for n, actor in enumerate(sorted(may)):
            if fresh and n:  # the one before used the object up
                ids, callers = _fresh(world, method, template)
                auth = {**world.auth, **callers}
            call(actor, method, template, ids, auth[actor])
    assert problems == [], "\n".join(problems)
    assert checked == len(MAY) * len(ACTORS), checked
    assert refused == sum(len(ACTORS) - len(may) for may in MAY.values()), refused
