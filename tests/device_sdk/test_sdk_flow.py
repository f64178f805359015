"""The SDK against the real server in-process: consent first, then gated collection."""

from sqlalchemy import func, select

from consentkit.device_sdk import Reason
from consentkit.device_sdk.media import gps_of
from consentkit.server import db
from consentkit.server.models import CollectedItem

from .conftest import register

OPTIONAL = ["customer_positioning", "product_photos", "customer_import"]


def _types(phone):
    return [e["type"] for e in phone.tracer.sink.events]


def _stored(server, category=None):
    with server.app_context():
        q = select(func.count()).select_from(CollectedItem)
        if category:
            q = q.where(CollectedItem.category == category)
        return db.session().scalar(q)


def test_nothing_personal_before_agreement(make_sdk, transport):
    sdk, phone = make_sdk(agree=False)
    assert sdk.start() is False
    types = _types(phone)
    assert types == ["policy.shown", "policy.declined"]
    with sdk.feature("add_customer"):
        assert (
            sdk.request_permission("location.precise", "add_customer").reason
            == Reason.POLICY_NOT_AGREED
        )
        assert sdk.location.locate("add_customer", "customer_positioning").value is None
    assert "permission.dialog" not in _types(phone) and "api.read" not in _types(phone)
    sent = [r.url.path for r in transport.requests]
    assert sent == ["/api/v1/apps/fieldnotes/policy"]  # a new install has no state to read


def test_a_known_install_reads_its_consent_state_at_start(make_sdk, transport):
    sdk, _phone = make_sdk()
    assert sdk.start() is True  # agreeing sends the install id
    transport.requests.clear()
    assert sdk.start() is True  # the next launch: the server may know later choices
    sent = [r.url.path for r in transport.requests]
    assert sent == ["/api/v1/apps/fieldnotes/policy", "/api/v1/consents"]


def test_consent_then_collect_is_accepted_with_provenance(make_sdk, server):
    sdk, phone = make_sdk(answers=["allow"], purposes=OPTIONAL)
    assert sdk.start() is True
    register(sdk, "+8613800000101")
    with sdk.feature("add_customer"):
        assert sdk.request_permission("location.precise", "add_customer").allowed
        fix = sdk.location.locate("add_customer", "customer_positioning")
    assert fix.ok and fix.value.precise
    assert sdk.flush() == {"sent": 1, "accepted": 1, "queued": 0}
    assert _stored(server, "user.location.precise") == 1
    types = _types(phone)
    assert types.index("permission.rationale") < types.index("permission.dialog")
    assert types[-1] == "net.upload"


def test_withdrawal_drops_queued_events_and_server_receives_none(make_sdk, server, transport):
    sdk, phone = make_sdk(answers=["allow"], purposes=OPTIONAL)
    sdk.start()
    register(sdk, "+8613800000102")
    transport.online = False
    with sdk.feature("add_customer"):
        sdk.request_permission("location.precise", "add_customer")
        for _ in range(3):
            assert sdk.location.locate("add_customer", "customer_positioning").ok
            phone.advance(seconds=31)
    assert sdk.store.queued("customer_positioning") == 3
    assert sdk.withdraw(["customer_positioning"]) == 3  # effective at once, offline too
    assert sdk.store.queued() == 0
    transport.online = True
    sdk.flush()
    assert _stored(server) == 0
    assert not any(r.url.path.endswith("/collect") for r in transport.requests)
    state = sdk.consents.refresh_state()
    assert state["purposes"]["customer_positioning"] is False  # the server learned it too


def test_camera_only_inside_its_feature_and_gps_stripped(make_sdk, server, transport):
    sdk, phone = make_sdk(answers=["allow", "allow"], purposes=OPTIONAL)
    sdk.start()
    register(sdk, "+8613800000103")
    decision = sdk.gate.can_request(["camera"], "publish_product")
    assert decision.reason == Reason.FEATURE_NOT_STARTED
    with sdk.feature("add_customer"):
        assert (
            sdk.request_permission("camera", "add_customer").reason == Reason.UNDECLARED_PERMISSION
        )
        sdk.request_permission("location.precise", "add_customer")  # the phone may now geotag
    with sdk.feature("publish_product"):
        assert sdk.request_permission("camera", "publish_product").allowed
        shot = sdk.camera.take_photo("publish_product", "product_photos")
    assert shot.ok and shot.value.gps_removed and gps_of(shot.value.jpeg) is None
    upload = [e for e in phone.tracer.sink.events if e["type"] == "net.upload"][-1]
    assert upload["gps_in_media"] is False
    assert _stored(server, "user.media.photo") == 1


def test_two_denials_on_android_14_block_and_advise_settings(make_sdk):
    sdk, phone = make_sdk(answers=["deny", "deny"], purposes=OPTIONAL)
    sdk.start()
    with sdk.feature("publish_product"):
        first = sdk.request_permission("camera", "publish_product")
        assert first.reason == Reason.PERMISSION_DENIED
        assert sdk.request_permission("camera", "publish_product").reason == Reason.COOLDOWN
    phone.advance(hours=49)
    with sdk.feature("publish_product"):
        second = sdk.request_permission("camera", "publish_product")
    assert second.reason == Reason.BLOCKED_OPEN_SETTINGS and second.open_settings
    assert phone.check_permission("camera") == "denied"  # the OS check cannot tell
    assert sdk.permissions.status("camera") == "blocked"  # the SDK remembers
    with sdk.feature("publish_product"):
        third = sdk.request_permission("camera", "publish_product")
    assert third.reason == Reason.BLOCKED_OPEN_SETTINGS
    assert ("settings", "camera") in sdk.ui.shown
    assert _types(phone).count("permission.dialog") == 2


def test_coarse_only_grant_yields_a_coarse_fix(make_sdk, server):
    sdk, _phone = make_sdk(answers=["allow_coarse"], purposes=OPTIONAL)
    sdk.start()
    register(sdk, "+8613800000104")
    with sdk.feature("add_customer"):
        assert (
            sdk.request_permission("location.precise", "add_customer").reason
            == Reason.PERMISSION_DENIED
        )
        fix = sdk.location.locate("add_customer", "customer_positioning")
    assert fix.ok and not fix.value.precise and fix.value.accuracy_m >= 1000
    sdk.flush()
    assert (
        _stored(server, "user.location.coarse") == 1
        and _stored(server, "user.location.precise") == 0
    )


def test_contacts_upload_only_picked_names_and_phones(make_sdk, server):
    sdk, phone = make_sdk(answers=["allow"], purposes=OPTIONAL)
    phone.picked_contacts = 2
    sdk.start()
    register(sdk, "+8613800000105")
    with sdk.feature("import_contacts"):
        sdk.request_permission("contacts", "import_contacts")
        picked = sdk.contacts.pick("import_contacts", "customer_import")
    assert [set(c) for c in picked.value] == [{"name", "phone"}] * 2
    assert sdk.flush()["accepted"] == 2
    reads = [e["api"] for e in phone.tracer.sink.events if e["type"] == "api.read"]
    assert "contacts.read_all" not in reads


def test_call_log_is_never_read_when_the_policy_says_so(make_sdk):
    sdk, phone = make_sdk(purposes=OPTIONAL)
    sdk.start()
    with sdk.feature("quick_call"):
        assert sdk.calls.call_log("quick_call", "account").decision.reason == Reason.NEVER_COLLECTED
    assert "api.read" not in _types(phone)


def test_identifiers_only_after_consent_and_imei_unavailable_without_crash(make_sdk, transport):
    sdk, phone = make_sdk(os_version=10, agree=False)
    sdk.start()
    with sdk.feature("sign_up"):
        out = sdk.identifiers.read("android_id", "sign_up", "security")
    assert out.decision.reason == Reason.POLICY_NOT_AGREED
    assert "api.read" not in _types(phone)
    sdk2, phone2 = make_sdk(
        os_version=10, app_id="zhenyi-erp", answers=["allow"], purposes=["device_risk_control"]
    )
    sdk2.start()
    with sdk2.feature("risk_check"):
        sdk2.request_permission("phone.state", "risk_check")
        first = sdk2.identifiers.read_first(
            ["imei", "oaid", "android_id"], "risk_check", "device_risk_control"
        )
    assert first.ok and first.value == phone2.identifiers["oaid"]  # IMEI unavailable on 10+


def test_policy_major_change_asks_again(make_sdk, server):
    import yaml

    from consentkit.policy import parse_manifest
    from consentkit.server.services import policies
    from tests.conftest import FIELDNOTES

    sdk, _phone = make_sdk(purposes=OPTIONAL)
    assert sdk.start()
    data = yaml.safe_load(FIELDNOTES.read_text("utf-8"))
    data["app"]["policy"].update(version="2025.06.01", change="major")
    with server.app_context():
        policies.publish(db.session(), parse_manifest(yaml.safe_dump(data)))
        db.session().commit()
    assert sdk.start()
    assert [s for s in sdk.ui.shown if s[0] == "policy"] == [
        ("policy", "first_run"),
        ("policy", "policy_changed"),
    ]
