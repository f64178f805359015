"""Image uploads: only real, bounded images, under consent, stripped of GPS."""

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from consentkit.device_sdk.media import gps_of, jpeg_with_gps

from .conftest import upload_photo

FORM = {
    "app_id": "fieldnotes",
    "category": "user.media.photo",
    "purpose": "product_photos",
    "feature": "publish_product",
}


def _user(api):
    tokens = api.register()
    api.consent(
        tokens["access_token"], purposes={"account": True, "security": True, "product_photos": True}
    )
    return {"Authorization": f"Bearer {tokens['access_token']}"}


_upload = upload_photo


def _stored_files(app) -> list[Path]:
    root = Path(app.instance_path) / "media"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_photo_is_stored_without_gps_and_served_to_its_owner_only(api, client, app):
    auth = _user(api)
    r = _upload(client, auth, jpeg_with_gps(31.23, 121.47, size=(640, 480)))
    assert r.status_code == 201, r.json
    assert r.json["gps_removed"] is True and r.json["gps_kept"] is False
    image = client.get(f"/api/v1/media/{r.json['id']}", headers=auth)
    assert image.status_code == 200 and gps_of(image.data) is None
    assert Image.open(io.BytesIO(image.data)).size == (640, 480)
    other = _user(api)
    assert client.get(f"/api/v1/media/{r.json['id']}", headers=other).status_code == 404
    assert len(_stored_files(app)) == 2  # the image and its thumbnail


def test_exif_orientation_is_applied(api, client):
    auth = _user(api)
    img = Image.new("RGB", (60, 20), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees to display
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    r = _upload(client, auth, buf.getvalue())
    assert (r.json["width"], r.json["height"]) == (20, 60)


def test_upload_needs_consent(api, client, app):
    tokens = api.register()
    api.consent(tokens["access_token"])
    r = _upload(
        client, {"Authorization": f"Bearer {tokens['access_token']}"}, jpeg_with_gps(None, None)
    )
    assert r.status_code == 403 and r.json["code"] == "consent_required"
    assert _stored_files(app) == []


def _png(size):
    buf = io.BytesIO()
    Image.new("L", size).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "mime", "status"),
    [
        ("not an image", b"%PDF-1.4 not an image at all", "image/jpeg", 422),
        ("truncated", jpeg_with_gps(None, None, size=(400, 300))[:600], "image/jpeg", 422),
        ("20k x 20k pixels", None, "image/png", 422),
        ("wrong content type", jpeg_with_gps(None, None), "image/png", 415),
        ("gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif", 422),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(api, client, app, name, data, mime, status):
    if data is None:
        data = _png((20_000, 20_000))  # a small file that decodes to 400 megapixels
    auth = _user(api)
    r = _upload(client, auth, data, mime)
    assert r.status_code == status, (name, r.json)
    assert r.mimetype == "application/problem+json"
    assert _stored_files(app) == []


def test_too_large_file(app_factory):
    app = app_factory(MEDIA_MAX_BYTES=1000)
    from .conftest import Api

    api = Api(app.test_client())
    auth = _user(api)
    r = _upload(api.client, auth, jpeg_with_gps(None, None, size=(800, 600)))
    assert r.status_code == 413 and r.json["code"] == "payload_too_large"


def test_missing_file_and_non_media_category(api, client):
    auth = _user(api)
    r = client.post(
        "/api/v1/media",
        data={**FORM, "collected_at": datetime.now(UTC).isoformat()},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and "file" in r.json["errors"]
    r = _upload(client, auth, jpeg_with_gps(None, None), category="user.location.precise")
    assert r.status_code == 422 and "category" in r.json["errors"]


def test_withdrawing_the_photo_purpose_removes_the_files(api, client, app):
    tokens = api.register()
    api.consent(
        tokens["access_token"], purposes={"account": True, "security": True, "product_photos": True}
    )
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert _upload(client, auth, jpeg_with_gps(None, None)).status_code == 201
    assert len(_stored_files(app)) == 2
    r = client.post(
        "/api/v1/consents/withdraw",
        headers=auth,
        json={"app_id": "fieldnotes", "purposes": ["product_photos"]},
    )
    assert r.json["effects"]["deleted"] == 1  # on_withdraw: delete
    assert _stored_files(app) == []
