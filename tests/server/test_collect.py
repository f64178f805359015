from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from consentkit.server import db
from consentkit.server.models import CollectedItem, ConsentEvent

from .conftest import EVERY_PURPOSE


def _now(**delta) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def _loc(**over):
    return {
        "category": "user.location.coarse",
        "purpose": "customer_positioning",
        "feature": "add_customer",
        "collected_at": _now(),
        "payload": {"lat": 31.23, "lon": 121.47, "accuracy_m": 1500},
        **over,
    }


def _user(api, purposes=EVERY_PURPOSE):
    tokens = api.register()
    r = api.consent(tokens["access_token"], purposes=purposes)
    assert r.status_code == 201, r.json
    return tokens["access_token"]


def _count(app, **where) -> int:
    with app.app_context():
        q = select(func.count()).select_from(CollectedItem)
        for key, value in where.items():
            q = q.where(getattr(CollectedItem, key) == value)
        return db.session().scalar(q)


def test_accepted_event_records_its_consent(api, app):
    token = _user(api)
    r = api.collect(token, [_loc()])
    result = r.json["results"][0]
    assert result["status"] == "accepted"
    with app.app_context():
        s = db.session()
        item = s.get(CollectedItem, result["id"])
        consent = s.get(ConsentEvent, item.consent_event_id)
        assert consent.purpose == "customer_positioning" and consent.action == "grant"
        assert item.keep_until is not None  # P1Y retention
        assert item.payload == {"lat": 31.23, "lon": 121.47, "accuracy_m": 1500.0}


def test_withdrawal_rejects_the_same_call_and_deletes_stored_data(api, client, app):
    token = _user(api)
    assert api.collect(token, [_loc()]).json["accepted"] == 1
    r = client.post(
        "/api/v1/consents/withdraw",
        headers={"Authorization": f"Bearer {token}"},
        json={"app_id": "fieldnotes", "purposes": ["customer_positioning"]},
    )
    assert r.json["effects"]["deleted"] == 1  # on_withdraw: delete
    r = api.collect(token, [_loc()])
    assert r.json["results"][0]["status"] == "rejected"
    assert r.json["results"][0]["code"] == "consent_required"
    assert _count(app, category="user.location.coarse") == 0


def test_withdrawal_retains_what_the_manifest_retains(api, client, app):
    token = _user(api)
    order = {
        "category": "user.transaction.order",
        "purpose": "account",
        "feature": "place_order",
        "collected_at": _now(),
        "payload": {"order_no": "A-1", "amount": 12},
    }
    assert api.collect(token, [order]).json["accepted"] == 1
    r = client.post(
        "/api/v1/consents/withdraw",
        headers={"Authorization": f"Bearer {token}"},
        json={"app_id": "fieldnotes", "purposes": ["account"]},
    )
    assert r.json["effects"]["retained"] == 1  # on_withdraw: retain (orders)


def test_consent_does_not_cover_earlier_events(api):
    token = _user(api)
    r = api.collect(token, [_loc(collected_at=_now(minutes=-1))])
    assert r.json["results"][0]["code"] == "consent_required"
    assert "was live at" in r.json["results"][0]["detail"]


def test_each_event_gets_its_own_result(api):
    token = _user(api, purposes={"account": True, "security": True})
    events = [
        _loc(),  # positioning refused
        _loc(category="user.calls.log"),  # never collected
        _loc(category="user.device.device_id.imei"),  # not declared
        _loc(purpose="marketing"),
        _loc(feature="teleport"),
        _loc(purpose="account"),  # coarse location is not declared for account
        {
            "category": "user.contact.phone_number",
            "purpose": "account",
            "feature": "sign_up",
            "collected_at": _now(),
            "payload": {"phone": "+8613800000001"},
        },
        {
            "category": "user.contact.phone_number",
            "purpose": "account",
            "feature": "sign_up",
            "collected_at": _now(),
            "payload": {"phone": 42},
        },
        {
            "category": "user.contact.phone_number",
            "purpose": "account",
            "feature": "sign_up",
            "collected_at": _now(hours=1),
            "payload": {"phone": "+8613800000001"},
        },
    ]
    results = api.collect(token, events).json["results"]
    codes = [r.get("code", r["status"]) for r in results]
    assert codes == [
        "consent_required",
        "never_collected",
        "undeclared_category",
        "undeclared_purpose",
        "undeclared_feature",
        "undeclared_category",
        "accepted",
        "invalid_payload",
        "invalid_collected_at",
    ]
    assert "phone" in results[7]["errors"]["payload"]


def test_retry_with_same_key_adds_nothing(api, app):
    token = _user(api)
    events = [_loc(), _loc()]
    first = api.collect(token, events, key="batch-1")
    again = api.collect(token, events, key="batch-1")
    assert first.json == again.json
    assert _count(app) == 2
    other = api.collect(token, [_loc()], key="batch-1")
    assert other.status_code == 422 and other.json["code"] == "idempotency_key_reused"


def test_missing_idempotency_key(api, client):
    token = _user(api)
    r = client.post(
        "/api/v1/collect",
        json={"app_id": "fieldnotes", "events": [_loc()]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 400 and r.json["code"] == "idempotency_key_required"


def test_hashed_categories_are_stored_keyed_hashed(api, app):
    token = _user(api)
    event = {
        "category": "user.device.device_id.android_id",
        "purpose": "security",
        "feature": "sign_up",
        "collected_at": _now(),
        "payload": {"value": "a1b2c3d4e5f6"},
    }
    assert api.collect(token, [event]).json["accepted"] == 1
    with app.app_context():
        item = db.session().scalar(select(CollectedItem))
        assert "a1b2c3d4e5f6" not in str(item.payload)
        assert len(item.payload["hash"]) == 64


def test_contacts_keep_only_name_and_phone(api):
    token = _user(api)
    event = {
        "category": "user.contacts.entry",
        "purpose": "customer_import",
        "feature": "import_contacts",
        "collected_at": _now(),
        "payload": {"name": "Li Lei", "phone": "+8613800000002", "birthday": "1990-01-01"},
    }
    result = api.collect(token, [event]).json["results"][0]
    assert result["code"] == "invalid_payload"
    assert "birthday" in result["errors"]["payload"]


def test_media_goes_through_upload_not_collect(api):
    token = _user(api)
    event = {
        "category": "user.media.photo",
        "purpose": "product_photos",
        "feature": "publish_product",
        "collected_at": _now(),
        "payload": {"value": "x"},
    }
    assert api.collect(token, [event]).json["results"][0]["code"] == "invalid_payload"


def test_too_many_events_is_a_validation_error(app_factory):
    app = app_factory(COLLECT_MAX_EVENTS=3)
    from .conftest import Api

    api = Api(app.test_client())
    token = _user(api)
    r = api.collect(token, [_loc()] * 4)
    assert r.status_code == 422 and "events" in r.json["errors"]
    assert _count(app) == 0


def test_whole_second_timestamp_in_the_consent_second_is_covered(api):
    token = _user(api)
    same_second = datetime.now(UTC).replace(microsecond=0).isoformat()
    assert api.collect(token, [_loc(collected_at=same_second)]).json["accepted"] == 1
