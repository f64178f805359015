"""After an account purge nothing in the database points at the person: records that stay
for their organization or the law are anonymized like the rest."""

from datetime import UTC, datetime

from sqlalchemy import select, text

from consentkit.server import db
from consentkit.server.models import Base, Product
from consentkit.server.services import jobs

from .conftest import grant, new_phone, upload_photo

EVERYTHING = {
    "account": True,
    "security": True,
    "customer_positioning": True,
    "product_photos": True,
    "customer_import": True,
}
# Kept on purpose: the emptied account row (its id is what these name), the append-only
# audit log, and the rights requests that prove the purge was asked for and done.
KEPT = {"users", "audit_log", "rights_requests", "chain_heads"}


def _everywhere(app, needle: str) -> list[str]:
    found = []
    with app.app_context():
        s = db.session()
        for table in Base.metadata.sorted_tables:
            if table.name in KEPT:
                continue
            for row in s.execute(select(table)):
                if needle in str(tuple(row)):
                    found.append(f"{table.name}: {tuple(row)}")
    return found


def test_a_purged_person_leaves_nothing_that_points_at_them(api, client, app):
    me = api.register()
    uid, phone = me["user"]["id"], me["user"]["phone"]
    auth = {"Authorization": f"Bearer {me['access_token']}"}
    api.consent(me["access_token"], purposes=EVERYTHING)
    assert client.post("/api/v1/orgs", json={"name": "Mine"}, headers=auth).status_code == 201
    colleague = api.register()
    api.join(auth, colleague)  # stays in the organization after I go
    photo = upload_photo(client, auth, _jpeg()).json["id"]
    product = client.post(
        "/api/v1/products", json={"name": "Tea", "price": "1.00", "image_id": photo}, headers=auth
    ).json["id"]
    customer = client.post(
        "/api/v1/customers", json={"app_id": "fieldnotes", "name": "Shop"}, headers=auth
    ).json["id"]
    client.post(
        "/api/v1/orders",
        json={
            "app_id": "fieldnotes",
            "customer_id": customer,
            "items": [{"sku": "T", "name": "Tea", "quantity": 1, "price": "1.00"}],
        },
        headers=auth,
    )
    client.post("/api/v1/orgs/invitations", json={"phone": new_phone()}, headers=auth)
    rival = api.register()
    rival_auth = {"Authorization": f"Bearer {rival['access_token']}"}
    client.post("/api/v1/orgs", json={"name": "Rival"}, headers=rival_auth)
    client.post("/api/v1/orgs/invitations", json={"phone": phone}, headers=rival_auth)
    grant(app, uid, "auditor")
    admin = api.register()
    grant(app, admin["user"]["id"], "admin")
    r = client.post(
        "/api/v1/admin/incidents",
        json={
            "app_id": "fieldnotes",
            "title": "Lost laptop",
            "description": "A laptop with an export on it.",
            "categories": ["user.contact.phone_number"],
            "affected_users": [uid],
            "detected_at": datetime.now(UTC).isoformat(),
        },
        headers={"Authorization": f"Bearer {admin['access_token']}"},
    )
    assert r.status_code == 201, r.json
    assert _everywhere(app, uid), "the test made nothing to purge"

    r = client.post(
        "/api/v1/me/cancellation",
        json={"app_id": "fieldnotes", "password": "correct horse 1"},
        headers=auth,
    )
    assert r.status_code == 202
    with app.app_context():
        jobs.run_pending(db.session())

    assert _everywhere(app, uid) == []
    assert _everywhere(app, phone) == []
    assert _everywhere(app, phone.removeprefix("+86")) == []
    with app.app_context():
        s = db.session()
        kept = s.get(Product, product)
        assert kept.name == "Tea" and kept.created_by is None  # the organization's product
        row = s.execute(
            text("SELECT phone, password_hash, status FROM users WHERE id = :u"), {"u": uid}
        ).one()
        assert tuple(row) == (None, None, "purged")
    mate = {"Authorization": f"Bearer {colleague['access_token']}"}
    assert client.get(f"/api/v1/products/{product}", headers=mate).json["name"] == "Tea"
    # the organization keeps an admin: its last one was purged
    assert client.get("/api/v1/orgs/me", headers=mate).json["role"] == "admin"


def _jpeg() -> bytes:
    from consentkit.device_sdk.media import jpeg_with_gps

    return jpeg_with_gps(None, None, size=(32, 32))
