"""One dialog answers linked permissions: the gate treats a refusal through one as a
refusal of the other, as the audit's PERM-REASK does."""

from consentkit.device_sdk import Reason

from .test_gate import make


def test_approximate_after_the_location_dialog_was_blocked_on_ios():
    gate, _device, perms = make(os_name="ios", version=16, answers=["deny"])
    gate.start_feature("add_customer")
    perms.request(["location.precise"])
    assert perms.status("location.precise") == "blocked"
    decision = gate.can_request(["location.coarse"], "add_customer")
    assert decision.reason == Reason.BLOCKED_OPEN_SETTINGS and decision.open_settings


def test_approximate_right_after_the_location_dialog_was_refused_on_android():
    gate, device, perms = make(version=11, answers=["deny"])
    gate.start_feature("add_customer")
    perms.request(["location.precise"])  # the location dialog, answered through precise
    assert gate.can_request(["location.coarse"], "add_customer").reason == Reason.COOLDOWN
    device.advance(hours=48)
    gate.rationale_shown("add_customer", "location.coarse")
    assert gate.can_request(["location.coarse"], "add_customer").reason == Reason.OK
