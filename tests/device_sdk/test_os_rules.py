"""Transitions of the OS permission tables, release by release."""

import pytest

from consentkit.device_sdk import rules_for, supported_releases
from consentkit.device_sdk.os_rules import UnknownOsRelease
from consentkit.device_sdk.platform import IdentifierUnavailable
from consentkit.device_sdk.testing import ScriptedPhone

ANDROID = supported_releases("android")
IOS = supported_releases("ios")


def dialogs(phone):
    return [e["permission"] for e in phone.tracer.sink.events if e["type"] == "permission.dialog"]


def test_tables_cover_the_promised_releases():
    assert list(range(6, 16)) == ANDROID
    assert list(range(14, 19)) == IOS
    with pytest.raises(UnknownOsRelease, match="android 5"):
        rules_for("android", 5)


@pytest.mark.parametrize("version", [v for v in ANDROID if v >= 11])
def test_android_11_plus_two_denials_block_and_check_cannot_tell(version):
    phone = ScriptedPhone("android", version, answers=["deny", "deny"])
    assert phone.request_permissions(["camera"]) == {"camera": "denied"}
    assert phone.should_show_rationale("camera") is True
    assert phone.request_permissions(["camera"]) == {"camera": "denied"}
    assert phone.os.true_status("camera") == "blocked"
    assert phone.check_permission("camera") == "denied"  # check cannot tell blocked from denied
    assert phone.should_show_rationale("camera") is False
    phone.request_permissions(["camera"])
    assert dialogs(phone) == ["camera", "camera"]  # no third dialog


@pytest.mark.parametrize("version", [v for v in ANDROID if v < 11])
def test_android_6_to_10_blocks_only_on_dont_ask_again(version):
    phone = ScriptedPhone("android", version, answers=["deny", "deny", "deny_dont_ask"])
    for _ in range(2):
        phone.request_permissions(["contacts"])
        assert phone.os.true_status("contacts") == "denied"
    phone.request_permissions(["contacts"])
    assert phone.os.true_status("contacts") == "blocked"
    assert len(dialogs(phone)) == 3


def test_dont_ask_again_is_offered_only_from_the_second_dialog():
    offered = []

    def answer(group, options):
        offered.append(options)
        return "deny"

    phone = ScriptedPhone("android", 9, answers=answer)
    phone.request_permissions(["camera"])
    phone.request_permissions(["camera"])
    assert "deny_dont_ask" not in offered[0] and "deny_dont_ask" in offered[1]


@pytest.mark.parametrize("version", IOS)
def test_ios_dialog_shows_once_and_check_sees_it(version):
    phone = ScriptedPhone("ios", version, answers=["deny"])
    assert phone.request_permissions(["camera"]) == {"camera": "blocked"}
    assert phone.check_permission("camera") == "blocked"
    phone.request_permissions(["camera"])
    assert dialogs(phone) == ["camera"]


@pytest.mark.parametrize(
    ("os_name", "version"), [("android", v) for v in ANDROID if v >= 11] + [("ios", v) for v in IOS]
)
def test_one_time_grants_end_with_the_session(os_name, version):
    phone = ScriptedPhone(os_name, version, answers=["allow_once"])
    phone.request_permissions(["location.precise", "location.coarse"])
    assert phone.check_permission("location.precise") == "granted"
    phone.end_session()
    assert phone.os.true_status("location.precise") == "not_determined"


def test_no_one_time_option_before_android_11():
    seen = []
    phone = ScriptedPhone("android", 10, answers=lambda g, o: seen.append(o) or "allow")
    phone.request_permissions(["camera"])
    assert "allow_once" not in seen[0]


@pytest.mark.parametrize(("version", "resets"), [(10, False), (11, True), (15, True)])
def test_auto_reset_after_90_unused_days(version, resets):
    phone = ScriptedPhone("android", version, answers=["allow"])
    phone.launch()
    phone.request_permissions(["camera"])
    phone.advance(days=91)
    phone.launch()
    assert (phone.os.true_status("camera") == "not_determined") is resets


@pytest.mark.parametrize("version", [v for v in ANDROID if v >= 12])
def test_android_12_plus_precise_alone_is_ignored_and_coarse_only_is_a_choice(version):
    phone = ScriptedPhone("android", version, answers=["allow_coarse"])
    assert phone.request_permissions(["location.precise"]) == {"location.precise": "denied"}
    assert dialogs(phone) == []
    result = phone.request_permissions(["location.precise", "location.coarse"])
    assert result == {"location.precise": "denied", "location.coarse": "granted"}
    assert len(dialogs(phone)) == 1  # one dialog answers both
    assert phone.location_fix(precise=True).precise is False


def test_android_11_offers_no_coarse_only_choice():
    seen = []
    phone = ScriptedPhone("android", 11, answers=lambda g, o: seen.append(o) or "allow")
    phone.request_permissions(["location.precise", "location.coarse"])
    assert "allow_coarse" not in seen[0]


def test_ios_reduced_accuracy_makes_precise_limited():
    phone = ScriptedPhone("ios", 17, answers=["allow_coarse"])
    result = phone.request_permissions(["location.precise", "location.coarse"])
    assert result == {"location.precise": "limited", "location.coarse": "granted"}


@pytest.mark.parametrize(
    ("os_name", "version", "permission", "limited"),
    [
        ("android", 13, "photos", False),
        ("android", 14, "photos", True),
        ("ios", 14, "photos", True),
        ("ios", 17, "contacts", False),
        ("ios", 18, "contacts", True),
    ],
)
def test_partial_access(os_name, version, permission, limited):
    seen = []
    phone = ScriptedPhone(
        os_name,
        version,
        answers=lambda g, o: (
            seen.append(o) or ("allow_limited" if "allow_limited" in o else "allow")
        ),
    )
    phone.request_permissions([permission])
    assert ("allow_limited" in seen[0]) is limited
    assert phone.check_permission(permission) == ("limited" if limited else "granted")


@pytest.mark.parametrize(("version", "available"), [(9, True), (10, False), (15, False)])
def test_imei_on_android(version, available):
    phone = ScriptedPhone("android", version, answers=["allow"])
    phone.request_permissions(["phone.state"])
    if available:
        assert phone.identifier("imei") == phone.identifiers["imei"]
    else:
        with pytest.raises(IdentifierUnavailable):
            phone.identifier("imei")
    assert phone.identifier("android_id")  # no permission needed


def test_ios_idfa_is_zeros_without_tracking():
    phone = ScriptedPhone("ios", 17, answers=["deny", "allow"])
    assert phone.identifier("idfa") == "00000000-0000-0000-0000-000000000000"
    phone.request_permissions(["tracking"])
    assert set(phone.identifier("idfa")) == {"0", "-"}  # denied: still zeros
    phone2 = ScriptedPhone("ios", 17, answers=["allow"])
    phone2.request_permissions(["tracking"])
    assert phone2.identifier("idfa") == phone2.identifiers["idfa"]


def test_ios_has_no_call_log_and_needs_no_call_permission():
    phone = ScriptedPhone("ios", 17)
    assert phone.check_permission("phone.call_log") == "unavailable"
    assert phone.check_permission("phone.call") == "granted"


def test_settings_change_is_seen_on_next_check():
    phone = ScriptedPhone("ios", 16, answers=["deny"])
    phone.request_permissions(["camera"])
    phone.change_setting("camera", "granted")
    assert phone.check_permission("camera") == "granted"
    phone.change_setting("camera", "denied")
    assert phone.check_permission("camera") == "blocked"


def test_restricted_and_unknown_answer():
    phone = ScriptedPhone("ios", 17, restricted=["camera"], answers=["maybe"])
    assert phone.request_permissions(["camera"]) == {"camera": "restricted"}
    with pytest.raises(ValueError, match="not a button"):
        phone.request_permissions(["contacts"])


def test_notifications_became_runtime_in_android_13():
    assert rules_for("android", 12).availability("notifications") == "install_time"
    assert rules_for("android", 13).availability("notifications") == "runtime"
    phone = ScriptedPhone("android", 12)
    assert phone.request_permissions(["notifications"]) == {"notifications": "granted"}
