"""The phone's installed-app list and clipboard, release by release, and the SDK's
collectors over them."""

import pytest
import yaml

from consentkit.device_sdk import AppBuild, ConsentKit, DeviceStore, Reason
from consentkit.device_sdk.collectors import AppListCollector, ClipboardCollector
from consentkit.device_sdk.gate import Gate
from consentkit.device_sdk.testing import ScriptedPhone, ScriptedUI, other_apps
from consentkit.policy import parse_manifest
from tests.conftest import FIELDNOTES
from tests.device_sdk.test_gate import Consents

WECHAT, ALIPAY, ICBC, DOUYIN = (a.id for a in other_apps("android"))


def reads(phone, api):
    return [e for e in phone.tracer.sink.events if e["type"] == "api.read" and e["api"] == api]


def events(phone, type_):
    return [e for e in phone.tracer.sink.events if e["type"] == type_]


# the installed-app list -------------------------------------------------------------------


@pytest.mark.parametrize("version", range(6, 11))
def test_before_android_11_every_installed_app_is_visible(version):
    phone = ScriptedPhone("android", version, build=AppBuild(queries=(WECHAT,)))
    assert [a.id for a in phone.installed_apps()] == [WECHAT, ALIPAY, ICBC, DOUYIN]
    read = reads(phone, "app_list.read")[-1]
    assert (read["count"], read["detail"], read["source"]) == (4, "all", "os")


@pytest.mark.parametrize("version", range(11, 16))
def test_from_android_11_only_the_queried_packages_are_visible(version):
    phone = ScriptedPhone("android", version, build=AppBuild(queries=(WECHAT, "com.not.there")))
    assert [a.id for a in phone.installed_apps()] == [WECHAT]
    read = reads(phone, "app_list.read")[-1]
    assert (read["category"], read["count"], read["detail"]) == (
        "user.device.app_list",
        1,
        "queries",
    )


@pytest.mark.parametrize(
    ("build", "count"),
    [
        (AppBuild(target_sdk=29), 4),  # package visibility binds apps targeting 11+ only
        (AppBuild(query_all_packages=True), 4),  # QUERY_ALL_PACKAGES sees everything
        (AppBuild(), 0),
    ],
)
def test_android_11_visibility_depends_on_the_target_and_query_all_packages(build, count):
    assert len(ScriptedPhone("android", 11, build=build).installed_apps()) == count


@pytest.mark.parametrize("version", range(14, 19))
def test_ios_reveals_only_declared_url_schemes_of_installed_apps(version):
    phone = ScriptedPhone("ios", version, build=AppBuild(queries=("weixin", "mqq", "alipay")))
    assert sorted(a.name for a in phone.installed_apps()) == ["Alipay", "WeChat"]
    assert reads(phone, "app_list.read")[-1]["detail"] == "url_schemes"


def test_ios_answers_for_the_first_50_declared_schemes_only():
    schemes = (*(f"unused{i}" for i in range(50)), "weixin")
    phone = ScriptedPhone("ios", 17, build=AppBuild(queries=schemes))
    assert phone.installed_apps() == []


# the clipboard ------------------------------------------------------------------------------


def test_metadata_reads_show_nothing_to_the_user():
    phone = ScriptedPhone("ios", 17)
    assert phone.clipboard_has_text() is True
    assert events(phone, "permission.dialog") == events(phone, "os.notice") == []
    assert ScriptedPhone("android", 14, clipboard=None).read_clipboard() is None


@pytest.mark.parametrize(("version", "readable"), [(9, True), (10, False), (15, False)])
def test_android_10_plus_gives_a_background_app_nothing(version, readable):
    phone = ScriptedPhone("android", version)
    phone.end_session()  # the app went to the background
    assert (phone.read_clipboard() is not None) is readable
    assert reads(phone, "clipboard.read")[-1]["status"] == (
        "granted" if readable else "unavailable"
    )
    phone.launch()
    assert phone.read_clipboard() == "+86 139 0000 0001"


@pytest.mark.parametrize(
    ("os_name", "version", "notice"),
    [("android", 11, False), ("android", 12, True), ("android", 15, True)]
    + [("ios", v, True) for v in (14, 15)],
)
def test_reading_another_apps_clipboard_shows_a_notice_from_android_12_and_ios_14(
    os_name, version, notice
):
    phone = ScriptedPhone(os_name, version)
    assert phone.read_clipboard() == "+86 139 0000 0001"
    shown = events(phone, "os.notice")
    assert bool(shown) is notice
    if notice:
        assert shown[0]["notice"] == "clipboard.pasted" and shown[0]["detail"] == WECHAT
    read = reads(phone, "clipboard.read")[-1]
    assert (read["category"], read["status"], read["count"]) == (
        "user.content.clipboard",
        "granted",
        1,
    )


@pytest.mark.parametrize(("os_name", "version"), [("android", 14), ("ios", 17)])
def test_the_apps_own_clipboard_content_needs_no_notice_and_no_prompt(os_name, version):
    phone = ScriptedPhone(os_name, version)
    phone.write_clipboard("order 42")
    assert phone.read_clipboard() == "order 42"
    assert events(phone, "os.notice") == events(phone, "permission.dialog") == []


@pytest.mark.parametrize("version", [16, 17, 18])
def test_ios_16_asks_allow_paste_at_every_read(version):
    phone = ScriptedPhone("ios", version, answers=["deny", "allow", "allow"])
    assert phone.read_clipboard() is None
    assert reads(phone, "clipboard.read")[-1]["status"] == "denied"
    assert events(phone, "os.notice") == []  # refused: nothing was pasted
    assert phone.read_clipboard() == "+86 139 0000 0001"
    assert phone.read_clipboard() == "+86 139 0000 0001"  # the answer is not kept: asked again
    assert [e["permission"] for e in events(phone, "permission.dialog")] == ["clipboard"] * 3
    assert len(events(phone, "os.notice")) == 2


def test_ios_settings_allow_or_deny_paste_ends_the_prompt():
    phone = ScriptedPhone("ios", 17)  # an empty script: any dialog would fail the test
    phone.change_setting("clipboard", "granted")
    assert phone.read_clipboard() == "+86 139 0000 0001"
    phone.change_setting("clipboard", "denied")
    assert phone.read_clipboard() is None
    assert phone.check_permission("clipboard") == "denied"
    assert events(phone, "permission.dialog") == []


def test_ios_15_has_no_paste_prompt():
    phone = ScriptedPhone("ios", 15)
    assert phone.read_clipboard() == "+86 139 0000 0001"
    assert events(phone, "permission.dialog") == []


# the SDK's collectors --------------------------------------------------------------------------


def _manifest(declared: bool, paste: bool = True):
    data = yaml.safe_load(FIELDNOTES.read_text("utf-8"))
    data["never_collected"] = ["user.calls.log"]
    if declared:
        data["data_categories"]["user.device.app_list"] = {
            "purposes": ["account"],
            "stored": False,
            "retention": "session",
        }
        data["data_categories"]["user.content.clipboard"] = {
            "purposes": ["account"],
            "stored": False,
            "retention": "session",
        }
        data["permissions"]["clipboard"] = {"rationale": "You paste a code you copied."}
        data["features"]["share"] = {
            "basic": True,
            "purposes": ["account"],
            "permissions": ["clipboard"] if paste else [],
            "collects": ["user.device.app_list", "user.content.clipboard"],
        }
    else:
        data["features"]["share"] = {"basic": True, "purposes": ["account"], "collects": []}
    return parse_manifest(yaml.safe_dump(data))


def _sdk(phone, declared=True, paste=True):
    """The SDK on the phone, its policy agreed (the consent state set directly)."""
    manifest = _manifest(declared, paste)
    sdk = ConsentKit("fieldnotes", phone, ScriptedUI(), store=DeviceStore())
    sdk.consents.manifest = manifest
    sdk._gate = gate = Gate(manifest, Consents(), sdk.permissions, phone.now)
    sdk.queued = []
    sdk.queue_event = lambda *event: sdk.queued.append(event)
    return sdk, gate


def test_sdk_reads_the_app_list_only_inside_a_feature_that_declares_it():
    phone = ScriptedPhone("android", 14, build=AppBuild(queries=(WECHAT, ALIPAY)))
    sdk, gate = _sdk(phone)
    collector = AppListCollector(sdk)
    assert collector.installed("share", "account").decision.reason == Reason.FEATURE_NOT_STARTED
    gate.start_feature("share")
    got = collector.installed("share", "account")
    assert got.ok and [a.name for a in got.value] == ["WeChat", "Alipay"]
    assert sdk.queued == []  # used on the phone; nothing leaves it unless asked
    collector.installed("share", "account", upload=True)
    assert sdk.queued[-1][3] == {"apps": [WECHAT, ALIPAY]}
    undeclared, gate2 = _sdk(ScriptedPhone("android", 14), declared=False)
    gate2.start_feature("share")
    refused = AppListCollector(undeclared).installed("share", "account")
    assert refused.decision.reason == Reason.UNDECLARED_CATEGORY
    assert len(reads(phone, "app_list.read")) == 2  # the refused call read nothing


def test_sdk_clipboard_says_why_when_the_os_keeps_the_text():
    phone = ScriptedPhone("ios", 17, answers=["deny", "allow"])
    sdk, gate = _sdk(phone)
    gate.start_feature("share")
    collector = ClipboardCollector(sdk)
    refused = collector.read("share", "account")
    assert refused.decision.reason == Reason.PERMISSION_DENIED
    assert collector.read("share", "account").value == "+86 139 0000 0001"
    phone.clip = None
    empty = collector.read("share", "account")
    assert empty.decision.reason == Reason.UNAVAILABLE
    assert len(events(phone, "permission.dialog")) == 2  # an empty clipboard asks nobody
    # The paste prompt is explained first, once in the feature, as any OS prompt is.
    assert [e["permission"] for e in events(phone, "permission.rationale")] == ["clipboard"]


def test_sdk_refuses_a_paste_prompt_the_feature_does_not_declare():
    phone = ScriptedPhone("ios", 16)
    sdk, gate = _sdk(phone, paste=False)
    gate.start_feature("share")
    refused = ClipboardCollector(sdk).read("share", "account")
    assert refused.decision.reason == Reason.UNDECLARED_PERMISSION
    assert events(phone, "permission.dialog") == reads(phone, "clipboard.read") == []
    android = ScriptedPhone("android", 14)  # no prompt there: nothing to declare
    sdk2, gate2 = _sdk(android, paste=False)
    gate2.start_feature("share")
    assert ClipboardCollector(sdk2).read("share", "account").ok


def test_a_copy_in_another_app_is_what_the_next_read_sees():
    phone = ScriptedPhone("android", 13)
    phone.copy_in_other_app("SF1409288831245", "com.taobao.taobao")
    assert phone.read_clipboard() == "SF1409288831245"
    assert events(phone, "os.notice")[-1]["detail"] == "com.taobao.taobao"
