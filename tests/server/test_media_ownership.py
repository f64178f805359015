"""Media belongs to its owner: identical pictures from two people are two files, and one
person's deletion, withdrawal or purge never removes the other's."""

from pathlib import Path

import pytest
from sqlalchemy import select

from consentkit.device_sdk.media import jpeg_with_gps
from consentkit.server import db
from consentkit.server.models import CollectedItem
from consentkit.server.services import jobs, storage

from .conftest import upload_photo

PHOTOS = {"account": True, "security": True, "product_photos": True}
SAME = jpeg_with_gps(None, None, size=(64, 48))


def _photographer(api):
    tokens = api.register()
    api.consent(tokens["access_token"], purposes=PHOTOS)
    return {"Authorization": f"Bearer {tokens['access_token']}"}, tokens


def _files(app) -> list[Path]:
    root = Path(app.instance_path) / "media"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _delete_photos(client, auth):
    r = client.delete("/api/v1/me/data?app_id=fieldnotes&category=user.media.photo", headers=auth)
    assert r.status_code == 200, r.json
    return r


@pytest.mark.parametrize("how", ["delete", "withdraw", "purge"])
def test_one_persons_deletion_never_removes_anothers_photo(api, client, app, how):
    ann, ann_tokens = _photographer(api)
    bob, _ = _photographer(api)
    mine = upload_photo(client, ann, SAME).json["id"]
    theirs = upload_photo(client, bob, SAME).json["id"]
    assert client.get(f"/api/v1/media/{theirs}", headers=bob).status_code == 200
    if how == "delete":
        _delete_photos(client, ann)
    elif how == "withdraw":
        client.post(
            "/api/v1/consents/withdraw",
            json={"app_id": "fieldnotes", "purposes": ["product_photos"]},
            headers=ann,
        )
    else:
        client.post(
            "/api/v1/me/cancellation",
            json={"app_id": "fieldnotes", "password": "correct horse 1"},
            headers=ann,
        )
        with app.app_context():
            jobs.run_pending(db.session())
    assert client.get(f"/api/v1/media/{theirs}", headers=bob).status_code == 200  # was 404
    assert client.get(f"/api/v1/media/{theirs}?thumbnail=true", headers=bob).status_code == 200
    if how != "purge":
        assert client.get(f"/api/v1/media/{mine}", headers=ann).status_code == 404
    assert not any(ann_tokens["user"]["id"] in str(p) for p in _files(app))
    assert len(_files(app)) == 2  # Bob's picture and its thumbnail


def test_each_item_has_its_own_files_in_its_owners_folder(api, client, app):
    ann, tokens = _photographer(api)
    first = upload_photo(client, ann, SAME).json["id"]
    second = upload_photo(client, ann, SAME).json["id"]
    with app.app_context():
        payloads = [db.session().get(CollectedItem, i).payload for i in (first, second)]
    addresses = {p[k] for p in payloads for k in ("file", "thumbnail")}
    assert len(addresses) == 4
    assert all(a.startswith(tokens["user"]["id"] + "/") for a in addresses)


def test_a_file_goes_only_when_its_deletion_commits(api, client, app):
    ann, _ = _photographer(api)
    item = upload_photo(client, ann, SAME).json["id"]
    with app.app_context():
        s = db.session()
        row = s.get(CollectedItem, item)
        for key in ("file", "thumbnail"):
            storage.discard(s, row.payload[key])
        s.delete(row)
        s.rollback()  # the deletion failed: the item is still there, so are its files
    assert client.get(f"/api/v1/media/{item}", headers=ann).status_code == 200
    assert len(_files(app)) == 2


def test_a_file_written_for_a_rolled_back_upload_is_removed(api, app):
    _photographer(api)
    with app.app_context():
        s = db.session()
        s.execute(select(1))  # inside a transaction, as an upload is
        storage.put(s, SAME, ".jpg", "0" * 32)
        assert len(_files(app)) == 1
        s.rollback()
    assert _files(app) == []


def test_a_shared_file_of_the_old_layout_stays_while_someone_refers_to_it(api, client, app):
    """Before per-owner files, identical uploads shared one content-addressed file."""
    ann, _ = _photographer(api)
    bob, _ = _photographer(api)
    items = [upload_photo(client, who, SAME).json["id"] for who in (ann, bob)]
    legacy = "ab" * 32 + ".jpg"
    with app.app_context():
        s = db.session()
        path = Path(app.instance_path) / "media" / "ab" / "ab" / legacy
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(SAME)
        for item in items:
            row = s.get(CollectedItem, item)
            row.payload = {**row.payload, "file": legacy}
        s.commit()
    _delete_photos(client, ann)
    assert client.get(f"/api/v1/media/{items[1]}", headers=bob).status_code == 200
    _delete_photos(client, bob)
    assert not path.exists()
