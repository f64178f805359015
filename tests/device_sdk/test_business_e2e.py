"""The features behind the permissions, end to end through the SDK and the real server."""

import io

import zxingcpp
from PIL import Image

from consentkit.device_sdk import ConsentKit, Contact, DeviceStore
from consentkit.device_sdk.media import gps_of
from consentkit.device_sdk.testing import ScriptedPhone, ScriptedUI

from .conftest import register

PURPOSES = ["customer_positioning", "product_photos", "customer_import"]


def _sdk(transport, clock, answers, contacts=None, picked=3):
    phone = ScriptedPhone(
        "android",
        14,
        answers=answers,
        app_id="fieldnotes",
        clock=clock,
        contacts=contacts,
        picked_contacts=picked,
    )
    sdk = ConsentKit(
        "fieldnotes", phone, ScriptedUI(purposes=PURPOSES), transport=transport, store=DeviceStore()
    )
    sdk.start()
    return sdk, phone


def test_customer_located_on_the_device_shows_its_city(transport, clock):
    sdk, _ = _sdk(transport, clock, ["allow"])
    register(sdk, "+8613800000201")
    sdk.client.request("POST", "orgs", json={"name": "Acme"})
    with sdk.feature("add_customer"):
        sdk.request_permission("location.precise", "add_customer")
        fix = sdk.location.locate("add_customer", "customer_positioning", upload=False).value
    customer = sdk.client.request(
        "POST",
        "customers",
        json={
            "app_id": "fieldnotes",
            "name": "New shop",
            "location": {
                "lat": fix.lat,
                "lon": fix.lon,
                "accuracy_m": fix.accuracy_m,
                "collected_at": clock.now().isoformat(),
            },
        },
    )
    assert customer["city"] == "Huangpu" and customer["region"] == "Shanghai"


def test_three_contacts_picked_out_of_200_become_three_customers(transport, clock):
    book = [
        Contact(
            f"c{i}",
            f"Person {i}",
            (f"+86139{i:08d}",),
            (f"p{i}@example.com",),
            {"birthday": "1991-02-03"},
        )
        for i in range(200)
    ]
    sdk, phone = _sdk(transport, clock, ["allow"], contacts=book, picked=3)
    register(sdk, "+8613800000202")
    sdk.client.request("POST", "orgs", json={"name": "Acme"})
    with sdk.feature("import_contacts"):
        sdk.request_permission("contacts", "import_contacts")
        picked = sdk.contacts.pick("import_contacts", "customer_import", upload=False).value
    answer = sdk.client.request(
        "POST", "customers/import", json={"app_id": "fieldnotes", "contacts": picked}
    )
    assert [c["name"] for c in answer["created"]] == ["Person 0", "Person 1", "Person 2"]
    assert len(sdk.client.request("GET", "customers")) == 3
    reads = [e["api"] for e in phone.tracer.sink.events if e["type"] == "api.read"]
    assert "contacts.read_all" not in reads


def test_photo_stored_without_gps_and_product_qr_resolves_by_organization(transport, clock):
    sdk, phone = _sdk(transport, clock, ["allow", "allow"])
    register(sdk, "+8613800000203")
    sdk.client.request("POST", "orgs", json={"name": "Acme"})
    with sdk.feature("add_customer"):
        sdk.request_permission("location.precise", "add_customer")  # the camera may geotag
    with sdk.feature("publish_product"):
        sdk.request_permission("camera", "publish_product")
        assert gps_of(phone.capture_photo()) is not None  # the raw camera geotags
        shot = sdk.camera.take_photo("publish_product", "product_photos", upload=False).value
        uploaded = sdk.upload_media(
            "user.media.photo", "product_photos", "publish_product", shot.jpeg
        )
    stored = sdk.client.http.get(
        f"media/{uploaded['id']}",
        headers={"Authorization": f"Bearer {sdk.client.tokens['access_token']}"},
    )
    assert stored.status_code == 200 and gps_of(stored.content) is None
    product = sdk.client.request(
        "POST", "products", json={"name": "Tea", "price": "9.90", "image_id": uploaded["id"]}
    )
    png = sdk.client.http.get(
        f"products/{product['id']}/qr.png",
        headers={"Authorization": f"Bearer {sdk.client.tokens['access_token']}"},
    )
    token = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))[0].text
    assert sdk.client.request("POST", "qr/resolve", json={"token": token})["id"] == product["id"]
    rival, _ = _sdk(transport, clock, [])
    register(rival, "+8613800000204")
    rival.client.request("POST", "orgs", json={"name": "Rival"})
    r = rival.client.http.post(
        "qr/resolve",
        json={"token": token},
        headers={"Authorization": f"Bearer {rival.client.tokens['access_token']}"},
    )
    assert r.status_code == 404
