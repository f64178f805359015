"""Organizations, customers, imports, calls, products, QR codes and orders — tenant-scoped."""

import io
from datetime import UTC, datetime

import pytest
import yaml
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from consentkit.device_sdk.media import jpeg_with_gps
from consentkit.policy import parse_manifest
from consentkit.server import db
from consentkit.server.models import CallRecord
from consentkit.server.services import policies
from tests.conftest import FIELDNOTES

from .conftest import upload_photo

ALL = {
    "account": True,
    "security": True,
    "customer_positioning": True,
    "product_photos": True,
    "customer_import": True,
    "ads_measurement": False,
}
SHANGHAI = {"lat": 31.2304, "lon": 121.4737}


def _member(api, client, purposes=ALL, org="Acme Trading"):
    tokens = api.register()
    api.consent(tokens["access_token"], purposes=purposes)
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    if org:
        assert client.post("/api/v1/orgs", json={"name": org}, headers=auth).status_code == 201
    return auth, tokens


def _located(**extra):
    return {
        "app_id": "fieldnotes",
        "name": "Shop on Nanjing Road",
        "location": {**SHANGHAI, "accuracy_m": 10, "collected_at": datetime.now(UTC).isoformat()},
        **extra,
    }


def test_no_organization_is_a_clear_error(api, client):
    auth, _ = _member(api, client, org=None)
    r = client.get("/api/v1/customers", headers=auth)
    assert r.status_code == 409 and r.json["code"] == "no_organization"


def test_customer_with_location_is_placed_in_its_city(api, client):
    auth, _ = _member(api, client)
    r = client.post("/api/v1/customers", json=_located(), headers=auth)
    assert r.status_code == 201, r.json
    assert r.json["city"] == "Huangpu" and r.json["region"] == "Shanghai"
    near = client.post(
        f"/api/v1/customers/{r.json['id']}/navigation",
        json={"lat": 31.2397, "lon": 121.4998},
        headers=auth,
    ).json
    assert 2 < near["distance_km"] < 3.5 and 0 <= near["bearing_deg"] < 360


def test_location_needs_the_positioning_consent(api, client):
    auth, _ = _member(api, client, purposes={"account": True, "security": True})
    r = client.post("/api/v1/customers", json=_located(), headers=auth)
    assert r.status_code == 403 and r.json["code"] == "consent_required"
    r = client.post(
        "/api/v1/customers", json={"app_id": "fieldnotes", "name": "No place"}, headers=auth
    )
    assert r.status_code == 201 and r.json["lat"] is None


def test_nearby_is_sorted_and_bounded(api, client):
    auth, _ = _member(api, client)
    for name, (lat, lon) in {
        "far": (31.30, 121.60),
        "near": (31.232, 121.475),
        "beijing": (39.90, 116.40),
    }.items():
        body = _located(name=name)
        body["location"].update(lat=lat, lon=lon)
        client.post("/api/v1/customers", json=body, headers=auth)
    r = client.post("/api/v1/customers/nearby", json={**SHANGHAI, "radius_km": 20}, headers=auth)
    assert [c["name"] for c in r.json] == ["near", "far"]
    assert r.json[0]["distance_km"] < r.json[1]["distance_km"]


@pytest.mark.parametrize(
    "url", ["/api/v1/customers", "/api/v1/customers/nearby", "/api/v1/customers/x1"]
)
def test_positions_in_urls_are_refused_with_where_they_go(api, client, url):
    """A position in a query string is written to every access log it passes: the API
    takes positions in request bodies only, and says so."""
    auth, _ = _member(api, client)
    r = client.get(url, query_string=SHANGHAI, headers=auth)
    assert r.status_code == 422 and r.json["code"] == "coordinates_in_url"
    assert "POST /api/v1/customers/nearby" in r.json["detail"]
    assert "31.2304" not in r.get_data(as_text=True)


def test_update_and_delete_customer(api, client):
    auth, _ = _member(api, client)
    cid = client.post(
        "/api/v1/customers", json={"app_id": "fieldnotes", "name": "A"}, headers=auth
    ).json["id"]
    r = client.patch(
        f"/api/v1/customers/{cid}", json={"name": "B", "phone": "13800138000"}, headers=auth
    )
    assert r.json["name"] == "B" and r.json["phone"] == "+8613800138000"
    assert client.delete(f"/api/v1/customers/{cid}", headers=auth).status_code == 204
    assert client.get(f"/api/v1/customers/{cid}", headers=auth).status_code == 404


def test_contacts_import_keeps_only_picked_names_and_phones(api, client, app):
    auth, _ = _member(api, client)
    picked = [{"name": f"Picked {i}", "phone": f"+86139000000{i:02d}"} for i in range(3)]
    r = client.post(
        "/api/v1/customers/import", json={"app_id": "fieldnotes", "contacts": picked}, headers=auth
    )
    assert r.status_code == 201 and len(r.json["created"]) == 3
    assert {c["source"] for c in r.json["created"]} == {"contacts_import"}
    whole = [{**c, "email": "x@example.com"} for c in picked]
    r = client.post(
        "/api/v1/customers/import", json={"app_id": "fieldnotes", "contacts": whole}, headers=auth
    )
    assert r.status_code == 422  # the book's other fields are not accepted
    book = [{"name": f"C{i}", "phone": f"+8613900{i:06d}"} for i in range(51)]
    r = client.post(
        "/api/v1/customers/import", json={"app_id": "fieldnotes", "contacts": book}, headers=auth
    )
    assert r.status_code == 422 and "contacts" in r.json["errors"]
    refused, _ = _member(api, client, purposes={"account": True, "security": True}, org="Other")
    r = client.post(
        "/api/v1/customers/import",
        json={"app_id": "fieldnotes", "contacts": picked},
        headers=refused,
    )
    assert r.status_code == 403


def test_no_call_record_where_the_policy_promises_none(api, client, app):
    """Zhenyi "will not actively obtain and store call information" (and the contract
    example promises user.calls.log is never collected): a call record is refused."""
    auth, _ = _member(api, client)
    cid = client.post(
        "/api/v1/customers", json={"app_id": "fieldnotes", "name": "A"}, headers=auth
    ).json["id"]
    r = client.post(f"/api/v1/customers/{cid}/calls", json={"app_id": "fieldnotes"}, headers=auth)
    assert r.status_code == 403 and r.json["code"] == "never_collected"
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(CallRecord)) == 0


def test_quick_call_records_only_that_a_call_started_where_declared(api, client, app):
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
    auth, tokens = _member(api, client)
    cid = client.post(
        "/api/v1/customers", json={"app_id": "fieldnotes", "name": "A"}, headers=auth
    ).json["id"]
    r = client.post(f"/api/v1/customers/{cid}/calls", json={"app_id": "fieldnotes"}, headers=auth)
    assert r.status_code == 403  # declared, but not consented
    api.consent(
        tokens["access_token"], purposes={"account": True, "security": True, "call_records": True}
    )
    r = client.post(f"/api/v1/customers/{cid}/calls", json={"app_id": "fieldnotes"}, headers=auth)
    assert r.status_code == 201 and r.json["customer_id"] == cid
    r = client.post(
        f"/api/v1/customers/{cid}/calls",
        headers=auth,
        json={"app_id": "fieldnotes", "duration": 62, "call_log": []},
    )
    assert r.status_code == 422


def _photo(client, auth):
    r = upload_photo(client, auth, jpeg_with_gps(31.2, 121.4, size=(320, 240)))
    assert r.status_code == 201, r.json
    return r.json["id"]


def test_product_qr_decodes_and_resolves_only_in_its_organization(api, client):
    auth, _ = _member(api, client)
    product = client.post(
        "/api/v1/products",
        json={"name": "Tea", "price": "12.50", "image_id": _photo(client, auth)},
        headers=auth,
    ).json
    png = client.get(f"/api/v1/products/{product['id']}/qr.png", headers=auth)
    assert png.mimetype == "image/png"
    token = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))[0].text
    assert product["id"] not in token and "Tea" not in token
    r = client.post("/api/v1/qr/resolve", json={"token": token}, headers=auth)
    assert r.json == {"kind": "product", "id": product["id"], "name": "Tea"}
    other, _ = _member(api, client, org="Rival")
    assert (
        client.post("/api/v1/qr/resolve", json={"token": token}, headers=other).status_code == 404
    )
    forged = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    assert (
        client.post("/api/v1/qr/resolve", json={"token": forged}, headers=auth).status_code == 404
    )
    svg = client.get(f"/api/v1/products/{product['id']}/qr.svg", headers=auth)
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


def test_orders_compute_amount_and_move_status(api, client):
    auth, _ = _member(api, client)
    cid = client.post(
        "/api/v1/customers", json={"app_id": "fieldnotes", "name": "A"}, headers=auth
    ).json["id"]
    r = client.post(
        "/api/v1/orders",
        headers=auth,
        json={
            "app_id": "fieldnotes",
            "customer_id": cid,
            "notes": "deliver Monday",
            "items": [
                {"sku": "T1", "name": "Tea", "quantity": 3, "price": "12.50"},
                {"sku": "C1", "name": "Cup", "quantity": 1, "price": "5"},
            ],
        },
    )
    assert r.status_code == 201 and r.json["amount"] == "42.50"
    oid = r.json["id"]
    assert (
        client.patch(f"/api/v1/orders/{oid}", json={"status": "shipped"}, headers=auth).json[
            "status"
        ]
        == "shipped"
    )
    assert (
        client.patch(f"/api/v1/orders/{oid}", json={"status": "lost"}, headers=auth).status_code
        == 422
    )
    assert [o["id"] for o in client.get("/api/v1/orders", headers=auth).json] == [oid]


def test_another_organizations_ids_are_404_everywhere(api, client):
    auth, _ = _member(api, client)
    cid = client.post("/api/v1/customers", json=_located(), headers=auth).json["id"]
    pid = client.post("/api/v1/products", json={"name": "Tea", "price": "1"}, headers=auth).json[
        "id"
    ]
    oid = client.post(
        "/api/v1/orders",
        headers=auth,
        json={
            "app_id": "fieldnotes",
            "customer_id": cid,
            "items": [{"sku": "T", "name": "T", "quantity": 1, "price": "1"}],
        },
    ).json["id"]
    rival, _ = _member(api, client, org="Rival")
    attempts = [
        ("get", f"/api/v1/customers/{cid}", None),
        ("patch", f"/api/v1/customers/{cid}", {"name": "x"}),
        ("delete", f"/api/v1/customers/{cid}", None),
        ("get", f"/api/v1/customers/{cid}/qr.png", None),
        ("post", f"/api/v1/customers/{cid}/calls", {"app_id": "fieldnotes"}),
        ("get", f"/api/v1/products/{pid}", None),
        ("get", f"/api/v1/products/{pid}/qr.svg", None),
        ("get", f"/api/v1/orders/{oid}", None),
        ("patch", f"/api/v1/orders/{oid}", {"status": "done"}),
        (
            "post",
            "/api/v1/orders",
            {
                "app_id": "fieldnotes",
                "customer_id": cid,
                "items": [{"sku": "T", "name": "T", "quantity": 1, "price": "1"}],
            },
        ),
    ]
    for method, url, body in attempts:
        r = getattr(client, method)(url, json=body, headers=rival)
        assert r.status_code == 404, (method, url, r.status_code)
        assert r.json["code"] == "not_found"
    assert client.get("/api/v1/customers", headers=rival).json == []
    assert client.get("/api/v1/orders", headers=rival).json == []


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"app_id": "fieldnotes", "name": "x", "location": {"lat": 91, "lon": 0}}],
)
def test_bad_customer_input(api, client, body):
    auth, _ = _member(api, client)
    r = client.post("/api/v1/customers", json=body, headers=auth)
    assert r.status_code == 422 and r.mimetype == "application/problem+json"


def test_product_photo_is_shown_to_the_organization_only(api, client):
    auth, _ = _member(api, client)
    image = _photo(client, auth)
    client.post(
        "/api/v1/products", json={"name": "Tea", "price": "1", "image_id": image}, headers=auth
    )
    colleague = api.register()
    api.join(auth, colleague)
    mate = {"Authorization": f"Bearer {colleague['access_token']}"}
    assert client.get(f"/api/v1/media/{image}", headers=mate).status_code == 200
    thumb = client.get(f"/api/v1/media/{image}?thumbnail=true", headers=mate)
    assert thumb.status_code == 200 and max(Image.open(io.BytesIO(thumb.data)).size) <= 256
    stranger, _ = _member(api, client, org="Rival")
    assert client.get(f"/api/v1/media/{image}", headers=stranger).status_code == 404


def test_withdrawal_reaches_customer_locations_and_imported_contacts(api, client):
    """``on_withdraw: delete`` covers the business records a purpose allowed: the location
    a customer was placed at, the customers imported from the address book."""
    auth, _ = _member(api, client)
    placed = client.post("/api/v1/customers", json=_located(), headers=auth).json
    manual = client.post(
        "/api/v1/customers", json={"app_id": "fieldnotes", "name": "Walk-in"}, headers=auth
    ).json
    picked = [{"name": "Li Lei", "phone": "+8613912345678"}]
    imported = client.post(
        "/api/v1/customers/import",
        json={"app_id": "fieldnotes", "contacts": picked},
        headers=auth,
    ).json["created"][0]
    r = client.post(
        "/api/v1/consents/withdraw",
        json={"app_id": "fieldnotes", "purposes": ["customer_positioning", "customer_import"]},
        headers=auth,
    )
    assert r.status_code == 200, r.json
    assert r.json["effects"]["deleted"] >= 2
    left = {c["id"]: c for c in client.get("/api/v1/customers", headers=auth).json}
    assert imported["id"] not in left
    assert left[placed["id"]]["lat"] is None and left[placed["id"]]["city"] is None
    assert left[manual["id"]]["name"] == "Walk-in"
