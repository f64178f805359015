"""The SDK's calls that depend on the release, beyond the behaviour tables' requests:
re-opening Android 14's selector, the album library and saving to it, background
location reads, and identifiers the OS only pretends to give."""

import yaml

from consentkit.device_sdk import AppBuild, Reason
from consentkit.device_sdk.gate import Gate
from consentkit.device_sdk.testing import ScriptedPhone
from consentkit.policy import parse_manifest
from tests.device_sdk.behaviour import FEATURE, _Consents, manifest, sdk_on

AVATAR = "user.account.avatar"  # the behaviour manifest's category behind the photos permission


def dialogs(phone):
    return [e for e in phone.tracer.sink.events if e["type"] == "permission.dialog"]


def test_reselect_reopens_the_android_14_selector_only_for_a_lasting_selection():
    phone = ScriptedPhone("android", 14, answers=["allow_limited", "allow_limited"], app_id="b")
    sdk = sdk_on(phone)
    assert sdk.request_permission("photos", FEATURE).reason == Reason.LIMITED
    assert sdk.reselect("photos", FEATURE).reason == Reason.LIMITED
    assert [d["kind"] for d in dialogs(phone)] == ["permission", "selection"]

    compat = ScriptedPhone(
        "android", 14, answers=["allow_limited"], build=AppBuild(declares_selected_photos=False)
    )
    sdk = sdk_on(compat)
    assert sdk.request_permission("photos", FEATURE).reason == Reason.OK  # seen as a grant
    assert sdk.reselect("photos", FEATURE).reason == Reason.NOT_NEEDED
    assert len(dialogs(compat)) == 1
    ios = ScriptedPhone("ios", 17, answers=["allow_limited"])
    sdk = sdk_on(ios)
    sdk.request_permission("photos", FEATURE)
    assert sdk.reselect("photos", FEATURE).reason == Reason.NOT_NEEDED


def test_the_library_shows_the_selection_and_saving_follows_the_release():
    phone = ScriptedPhone("ios", 18, answers=["allow_limited"], picked_photos=1)
    sdk = sdk_on(phone)
    refused = sdk.album.library(FEATURE, "service", category=AVATAR)
    assert refused.decision.reason == Reason.PERMISSION_NOT_GRANTED
    sdk.request_permission("photos", FEATURE)
    assert len(sdk.album.library(FEATURE, "service", category=AVATAR).value) == 1
    assert sdk.album.save(FEATURE, b"\xff\xd8 proof").ok  # a selection includes adding
    android = sdk_on(ScriptedPhone("android", 11))
    assert android.album.save(FEATURE, b"\xff\xd8 proof").ok  # scoped storage: no permission
    outside = sdk_on(ScriptedPhone("android", 11))
    outside.gate.end_feature(FEATURE)
    assert outside.album.save(FEATURE, b"x").decision.reason == Reason.FEATURE_NOT_STARTED


def test_a_background_read_needs_background_location():
    phone = ScriptedPhone("android", 12, answers=["allow", "deny"])
    sdk = sdk_on(phone)
    assert not sdk.request_permission("location.background", FEATURE)  # Settings: kept
    foreground = sdk.location.locate(FEATURE, "sensitive", upload=False)
    assert foreground.ok
    background = sdk.location.locate(FEATURE, "sensitive", upload=False, background=True)
    assert background.decision.reason == Reason.PERMISSION_NOT_GRANTED
    assert [d["kind"] for d in dialogs(phone)] == ["permission", "settings"]


def test_the_mac_placeholder_is_refused_not_collected():
    data = yaml.safe_load(yaml.safe_dump(manifest().raw))
    data["data_categories"]["user.device.device_id.mac"] = {
        "purposes": ["service"],
        "stored": "hashed",
        "retention": "P1Y",
        "on_withdraw": "delete",
    }
    data["features"][FEATURE]["collects"].append("user.device.device_id.mac")
    with_mac = parse_manifest(yaml.safe_dump(data))
    phone = ScriptedPhone("android", 9, answers=["allow"])
    sdk = sdk_on(phone)
    sdk.consents.manifest = with_mac
    sdk._gate = Gate(with_mac, _Consents(), sdk.permissions, phone.now)
    sdk.gate.start_feature(FEATURE)
    sdk.request_permission("phone.state", FEATURE)
    imei = sdk.identifiers.read("imei", FEATURE, "service", upload=False)
    assert imei.ok and imei.value == "356938035643809"
    mac = sdk.identifiers.read("mac", FEATURE, "service", upload=False)
    assert mac.decision.reason == Reason.UNAVAILABLE and "02:00:00:00:00:00" in mac.decision.detail
    first = sdk.identifiers.read_first(["mac", "imei"], FEATURE, "service")
    assert first.value == "356938035643809"  # the placeholder is skipped for the next one
