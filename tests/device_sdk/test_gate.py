"""Gate decisions: one test per reason code, and a check that none is left untested."""

from dataclasses import dataclass, field

import pytest
import yaml

from consentkit.device_sdk import DeviceStore, Reason
from consentkit.device_sdk.gate import Gate
from consentkit.device_sdk.permissions import PermissionManager
from consentkit.device_sdk.testing import ScriptedPhone
from consentkit.policy import parse_manifest
from tests.conftest import FIELDNOTES

TESTED: set[Reason] = set()


@dataclass
class Consents:
    """The consent manager's local view, set directly."""

    agreed: bool = True
    purposes: set = field(
        default_factory=lambda: {
            "account",
            "security",
            "customer_positioning",
            "product_photos",
            "customer_import",
        }
    )
    categories: set = field(default_factory=set)
    needs_guardian: bool = False

    def consented(self, purpose):
        return self.agreed and purpose in self.purposes

    def category_consented(self, category):
        return category in self.categories


def make(consents=None, os_name="android", version=14, answers=(), manifest=None, **phone):
    manifest = manifest or parse_manifest(FIELDNOTES.read_text("utf-8"))
    device = ScriptedPhone(os_name, version, answers=answers, **phone)
    perms = PermissionManager(device, DeviceStore(), device.tracer)
    gate = Gate(manifest, consents or Consents(), perms, device.now)
    return gate, device, perms


def expect(decision, reason):
    TESTED.add(reason)
    assert decision.reason == reason, decision
    assert decision.allowed is (reason in (Reason.OK, Reason.LIMITED, Reason.NOT_NEEDED))


LOC = ("user.location.coarse", "customer_positioning", "add_customer")


def test_ok_and_permission_not_granted():
    gate, _device, perms = make(answers=["allow"])
    gate.start_feature("add_customer")
    expect(gate.can_collect(*LOC), Reason.PERMISSION_NOT_GRANTED)
    perms.request(["location.precise", "location.coarse"])
    expect(gate.can_collect(*LOC), Reason.OK)


def test_policy_not_agreed():
    gate, *_ = make(Consents(agreed=False))
    gate.start_feature("add_customer")
    expect(gate.can_collect(*LOC), Reason.POLICY_NOT_AGREED)
    expect(gate.can_request(["camera"], "publish_product"), Reason.POLICY_NOT_AGREED)


def test_guardian_required():
    gate, *_ = make(Consents(needs_guardian=True))
    expect(gate.can_collect(*LOC), Reason.GUARDIAN_REQUIRED)


def test_purpose_not_consented():
    gate, *_ = make(Consents(purposes={"account", "security"}), answers=["allow"])
    gate.start_feature("add_customer")
    expect(gate.can_collect(*LOC), Reason.PURPOSE_NOT_CONSENTED)
    gate.start_feature("publish_product")
    expect(gate.can_request(["camera"], "publish_product"), Reason.PURPOSE_NOT_CONSENTED)


def test_never_collected_and_undeclared():
    gate, *_ = make()
    gate.start_feature("quick_call")
    expect(gate.can_collect("user.calls.log", "account", "quick_call"), Reason.NEVER_COLLECTED)
    expect(
        gate.can_collect("user.media.photo", "account", "quick_call"), Reason.UNDECLARED_CATEGORY
    )


def test_feature_not_started():
    gate, *_ = make()
    expect(gate.can_collect(*LOC), Reason.FEATURE_NOT_STARTED)
    expect(gate.can_request(["camera"], "publish_product"), Reason.FEATURE_NOT_STARTED)


def test_undeclared_permission_and_bundle_limit():
    gate, *_ = make()
    gate.start_feature("publish_product")
    expect(gate.can_request(["contacts"], "publish_product"), Reason.UNDECLARED_PERMISSION)
    expect(gate.can_request(["camera", "photos"], "publish_product"), Reason.BUNDLE_LIMIT)
    gate.start_feature("add_customer")
    # precise + coarse share one dialog: that is one permission request, not a bundle
    expect(
        gate.can_request(["location.precise", "location.coarse"], "add_customer"),
        Reason.RATIONALE_REQUIRED,
    )


def test_rationale_then_ok():
    gate, *_ = make()
    gate.start_feature("publish_product")
    expect(gate.can_request(["camera"], "publish_product"), Reason.RATIONALE_REQUIRED)
    gate.rationale_shown("publish_product", "camera")
    expect(gate.can_request(["camera"], "publish_product"), Reason.OK)
    gate.end_feature("publish_product")
    gate.start_feature("publish_product")  # a new use of the feature explains again
    expect(gate.can_request(["camera"], "publish_product"), Reason.RATIONALE_REQUIRED)


def test_cooldown_then_blocked():
    gate, device, perms = make(answers=["deny", "deny"])
    gate.start_feature("publish_product")
    perms.request(["camera"])
    expect(gate.can_request(["camera"], "publish_product"), Reason.COOLDOWN)
    device.advance(hours=48, seconds=1)
    gate.rationale_shown("publish_product", "camera")
    expect(gate.can_request(["camera"], "publish_product"), Reason.OK)
    perms.request(["camera"])
    decision = gate.can_request(["camera"], "publish_product")
    expect(decision, Reason.BLOCKED_OPEN_SETTINGS)
    assert decision.open_settings


def test_restricted_unavailable_and_usage_description():
    gate, *_ = make(os_name="ios", version=17, restricted=["camera"])
    gate.start_feature("publish_product")
    expect(gate.can_request(["camera"], "publish_product"), Reason.RESTRICTED)
    gate2, *_ = make(os_name="ios", version=17, usage_descriptions=["camera"])
    gate2.start_feature("publish_product")
    expect(gate2.can_request(["photos"], "publish_product"), Reason.MISSING_USAGE_DESCRIPTION)
    data = yaml.safe_load(FIELDNOTES.read_text("utf-8"))
    data["permissions"]["phone.call_log"] = {"rationale": "We would read your call history."}
    data["features"]["quick_call"]["permissions"].append("phone.call_log")
    data["purposes"]["call_history"] = {
        "description": "Show recent calls.",
        "kind": "essential.service",
    }
    data["data_categories"]["user.calls.log"] = {"purposes": ["call_history"], "retention": "P1Y"}
    data["features"]["quick_call"]["purposes"].append("call_history")
    data["features"]["quick_call"]["collects"] = ["user.calls.log"]
    data["never_collected"] = ["user.device.app_list"]
    consents = Consents()
    consents.purposes.add("call_history")
    gate3, *_ = make(
        consents, os_name="ios", version=17, manifest=parse_manifest(yaml.safe_dump(data))
    )
    gate3.start_feature("quick_call")
    expect(gate3.can_request(["phone.call_log"], "quick_call"), Reason.UNAVAILABLE)


def test_sensitive_category_under_a_basic_purpose_needs_its_own_consent():
    data = yaml.safe_load(FIELDNOTES.read_text("utf-8"))
    data["data_categories"]["user.location.precise"]["purposes"] = [
        "customer_positioning",
        "account",
    ]
    data["features"]["add_customer"]["purposes"] = ["customer_positioning", "account"]
    manifest = parse_manifest(yaml.safe_dump(data))
    consents = Consents()
    gate, _device, perms = make(consents, answers=["allow"], manifest=manifest)
    gate.start_feature("add_customer")
    perms.request(["location.precise", "location.coarse"])
    precise = ("user.location.precise", "account", "add_customer")
    expect(gate.can_collect(*precise), Reason.SENSITIVE_NOT_CONSENTED)
    consents.categories.add("user.location.precise")
    expect(gate.can_collect(*precise), Reason.OK)


def test_rate_limited_within_the_manifest_rate():
    gate, device, perms = make(answers=["allow"])
    gate.start_feature("add_customer")
    perms.request(["location.precise", "location.coarse"])
    precise = ("user.location.precise", "customer_positioning", "add_customer")
    for _ in range(2):  # reads_per_minute: location.precise: 2
        assert gate.can_collect(*precise).allowed
        gate.note_read("user.location.precise")
    expect(gate.can_collect(*precise), Reason.RATE_LIMITED)
    device.advance(seconds=61)
    expect(gate.can_collect(*precise), Reason.OK)


def test_sdk_level_reasons(make_sdk):
    sdk, _phone = make_sdk(
        answers=["allow_limited", "deny"],
        purposes=["product_photos"],
        continue_after_rationale=True,
    )
    sdk.start()
    with sdk.feature("publish_product"):
        expect(sdk.request_permission("photos", "publish_product"), Reason.LIMITED)
        expect(sdk.request_permission("camera", "publish_product"), Reason.PERMISSION_DENIED)
    sdk2, _ = make_sdk(purposes=["product_photos"], continue_after_rationale=False)
    sdk2.start()
    with sdk2.feature("publish_product"):
        expect(sdk2.request_permission("camera", "publish_product"), Reason.RATIONALE_DECLINED)
    # Cargosoon caches cargo queries in its own files: scoped storage needs no dialog.
    sdk3, phone3 = make_sdk(os_version=11, app_id="cargosoon")
    sdk3.start()
    with sdk3.feature("query_cargo"):
        expect(sdk3.request_permission("storage", "query_cargo"), Reason.NOT_NEEDED)
    assert not [e for e in phone3.tracer.sink.events if e["type"] == "permission.dialog"]


def test_every_reason_is_tested():
    """Runs last in this module: each reason code above has a test that produces it."""
    assert set(Reason) == TESTED, set(Reason) - TESTED


@pytest.fixture
def make_sdk(request):
    """The SDK-level reasons need the real server; reuse the flow fixtures."""
    return request.getfixturevalue("make_sdk_flow")
