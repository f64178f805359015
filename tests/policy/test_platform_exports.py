"""Apple's and Android's files, read back as the platforms read them.

PrivacyInfo.xcprivacy and the usage strings with plistlib against Apple's identifiers
(read here from the data file, not through the export), InfoPlist.strings with a reader
of the .strings format written for this test, the permission list with ElementTree and
the Android namespace, as the build tools see it.
"""

import plistlib
import re
import xml.etree.ElementTree as ET

import pytest
import yaml

from consentkit.examples import example_manifests
from consentkit.policy import parse_manifest
from consentkit.policy.exports import EXPORTS, export_notes, sdk_list, uses_permissions
from consentkit.policy.exports.apple import privacy_info, usage_descriptions
from consentkit.policy.taxonomy import taxonomy
from tests.conftest import ROOT

APPLE = yaml.safe_load((ROOT / "consentkit/policy/data/apple_privacy.yaml").read_text("utf-8"))
TYPES = {"NSPrivacyCollectedDataType" + s for s in APPLE["data_types"]}
PURPOSES = {"NSPrivacyCollectedDataTypePurpose" + s for s in APPLE["purposes"]}
REASONS = {
    spec["category"]: set(spec["reasons"]) for spec in APPLE["required_reason_apis"].values()
}
ANDROID = "{http://schemas.android.com/apk/res/android}"
SEEDS = example_manifests()


def seed(app_id):
    return next(m for m in SEEDS if m.id == app_id)


def apple_types(doc):
    return {t["NSPrivacyCollectedDataType"]: t for t in doc["NSPrivacyCollectedDataTypes"]}


@pytest.mark.parametrize("manifest", SEEDS, ids=lambda m: m.id)
def test_privacy_manifest_uses_apples_identifiers_only(manifest):
    doc = plistlib.loads(privacy_info(manifest))
    assert set(doc) == {
        "NSPrivacyTracking",
        "NSPrivacyTrackingDomains",
        "NSPrivacyCollectedDataTypes",
        "NSPrivacyAccessedAPITypes",
    }
    assert isinstance(doc["NSPrivacyTracking"], bool)
    for entry in doc["NSPrivacyCollectedDataTypes"]:
        assert entry["NSPrivacyCollectedDataType"] in TYPES
        assert isinstance(entry["NSPrivacyCollectedDataTypeLinked"], bool)
        assert isinstance(entry["NSPrivacyCollectedDataTypeTracking"], bool)
        assert entry["NSPrivacyCollectedDataTypePurposes"]
        assert set(entry["NSPrivacyCollectedDataTypePurposes"]) <= PURPOSES
    # every seed calls UserDefaults: the required-reason APIs are declared, with reasons
    # Apple approves for their category
    assert doc["NSPrivacyAccessedAPITypes"]
    for api in doc["NSPrivacyAccessedAPITypes"]:
        assert (
            set(api["NSPrivacyAccessedAPITypeReasons"]) <= REASONS[api["NSPrivacyAccessedAPIType"]]
        )


def test_required_reason_apis_come_from_the_manifest(fieldnotes_text):
    doc = plistlib.loads(privacy_info(parse_manifest(fieldnotes_text)))
    assert doc["NSPrivacyAccessedAPITypes"] == []
    data = yaml.safe_load(fieldnotes_text)
    data["required_reason_apis"] = {"disk_space": ["E174.1"], "user_defaults": ["CA92.1", "1C8F.1"]}
    doc = plistlib.loads(privacy_info(parse_manifest(yaml.safe_dump(data))))
    assert doc["NSPrivacyAccessedAPITypes"] == [
        {
            "NSPrivacyAccessedAPIType": "NSPrivacyAccessedAPICategoryUserDefaults",
            "NSPrivacyAccessedAPITypeReasons": ["CA92.1", "1C8F.1"],
        },
        {
            "NSPrivacyAccessedAPIType": "NSPrivacyAccessedAPICategoryDiskSpace",
            "NSPrivacyAccessedAPITypeReasons": ["E174.1"],
        },
    ]


def test_government_id_numbers_are_not_sensitive_info():
    # Cargosoon and COPE collect ID card numbers: Apple reserves Sensitive Info for race,
    # religion, health, biometrics and the like and lists no type for such numbers.
    for app_id in ("cargosoon", "cope-erp"):
        doc = plistlib.loads(privacy_info(seed(app_id)))
        assert "NSPrivacyCollectedDataTypeSensitiveInfo" not in apple_types(doc)
        assert "NSPrivacyCollectedDataTypeOtherDataTypes" in apple_types(doc)
    assert taxonomy().categories["user.biometric"].apple == "SensitiveInfo"


def test_linked_and_tracking_follow_each_category(fieldnotes_text):
    doc = plistlib.loads(privacy_info(parse_manifest(fieldnotes_text)))
    types = apple_types(doc)
    ids = types["NSPrivacyCollectedDataTypeDeviceID"]
    assert ids["NSPrivacyCollectedDataTypeTracking"] is True  # shared for advertising
    assert (
        types["NSPrivacyCollectedDataTypePhoneNumber"]["NSPrivacyCollectedDataTypeTracking"]
        is False
    )
    assert all(t["NSPrivacyCollectedDataTypeLinked"] for t in types.values())  # kept with accounts
    # crash logs sent only to a partner that receives them de-identified: collected, not linked
    data = yaml.safe_load(fieldnotes_text)
    data["purposes"]["crash_reports"] = {
        "description": "Crash reports to our diagnostics partner.",
        "kind": "analytics.diagnostics",
        "third_party": True,
    }
    data["data_categories"]["user.usage.crash"] = {
        "purposes": ["crash_reports"],
        "stored": False,
        "retention": "session",
    }
    data["features"]["crash_reporter"] = {
        "purposes": ["crash_reports"],
        "collects": ["user.usage.crash"],
    }
    data["third_parties"].append(
        {
            "name": "Diagnostics Partner",
            "kind": "analytics",
            "purposes": ["crash_reports"],
            "categories": ["user.usage.crash"],
            "de_identified": True,
        }
    )
    types = apple_types(plistlib.loads(privacy_info(parse_manifest(yaml.safe_dump(data)))))
    crash = types["NSPrivacyCollectedDataTypeCrashData"]
    assert crash["NSPrivacyCollectedDataTypeLinked"] is False
    assert crash["NSPrivacyCollectedDataTypeTracking"] is False


def test_tracking_domains_are_the_third_parties_list():
    zhenyi = seed("zhenyi-erp")
    doc = plistlib.loads(privacy_info(zhenyi))
    assert doc["NSPrivacyTracking"] is True
    assert doc["NSPrivacyTrackingDomains"] == zhenyi.tracking_domains() == ["stats.example.cn"]
    # Cargosoon advertises with partners the policy does not name: Apple asks a domain
    cargosoon = seed("cargosoon")
    assert plistlib.loads(privacy_info(cargosoon))["NSPrivacyTracking"] is True
    assert any("names no tracking domain" in n for n in export_notes(cargosoon))


@pytest.mark.parametrize("manifest", SEEDS, ids=lambda m: m.id)
def test_usage_strings_are_info_plist_entries_for_the_dialogs_features_ask(manifest):
    strings = plistlib.loads(usage_descriptions(manifest))
    tax = taxonomy()
    expected = {
        tax.permissions[p].ios for p in manifest.requested_permissions() if tax.permissions[p].ios
    }
    assert set(strings) == expected
    for key, text in strings.items():
        assert re.fullmatch(r"NS[A-Za-z]+UsageDescription", key)
        assert len(text) >= 10


def read_strings(data: bytes) -> dict[str, str]:
    """Apple's .strings format: /* comments */ and "key" = "value"; lines."""
    text = data.decode("utf-8")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    pairs = re.findall(r'"((?:[^"\\]|\\.)*)"\s*=\s*"((?:[^"\\]|\\.)*)"\s*;', text)
    rest = re.sub(r'"((?:[^"\\]|\\.)*)"\s*=\s*"((?:[^"\\]|\\.)*)"\s*;', "", text)
    assert rest.strip() == "", f"not .strings syntax: {rest!r}"
    return {k: v.replace('\\"', '"').replace("\\\\", "\\") for k, v in pairs}


def test_zh_hans_infoplist_strings_where_the_manifest_has_chinese():
    zhenyi = seed("zhenyi-erp")
    data = EXPORTS["zh-Hans.lproj/InfoPlist.strings"](zhenyi)
    strings = read_strings(data)
    assert set(strings) == set(plistlib.loads(usage_descriptions(zhenyi)))
    assert (
        strings["NSCameraUsageDescription"] == zhenyi.permissions["camera"].translations["zh-Hans"]
    )
    # precise and approximate location share one key: both rationales, in order
    assert strings["NSLocationWhenInUseUsageDescription"].startswith("添加客户时")
    assert strings["NSLocationWhenInUseUsageDescription"].endswith("所在的城市。")
    # no Traditional Chinese text: no file
    assert EXPORTS["zh-Hant.lproj/InfoPlist.strings"](zhenyi) is None


def test_a_key_with_an_untranslated_rationale_falls_back_to_english(fieldnotes_text):
    data = yaml.safe_load(fieldnotes_text)
    data["permissions"]["camera"]["translations"] = {"zh-Hans": "相机用于拍摄商品照片。"}
    data["permissions"]["location.precise"]["translations"] = {"zh-Hans": "精确位置。"}
    m = parse_manifest(yaml.safe_dump(data, allow_unicode=True))
    strings = read_strings(EXPORTS["zh-Hans.lproj/InfoPlist.strings"](m))
    # location.coarse has no Chinese text: the shared location key is left to Info.plist
    assert strings == {"NSCameraUsageDescription": "相机用于拍摄商品照片。"}


@pytest.mark.parametrize("manifest", SEEDS, ids=lambda m: m.id)
def test_android_permission_list_as_the_build_tools_read_it(manifest):
    root = ET.fromstring(uses_permissions(manifest))
    assert root.tag == "manifest"
    names = [e.get(f"{ANDROID}name") for e in root.findall("uses-permission")]
    assert len(names) == len(set(names))
    tax = taxonomy()
    expected = {n for p in manifest.requested_permissions() for n in tax.permissions[p].android}
    assert expected <= set(names)
    # beyond the taxonomy's names, only what a collected category needs (the app list)
    extra = set(names) - expected
    assert extra <= {"android.permission.QUERY_ALL_PACKAGES"}
    assert ("android.permission.QUERY_ALL_PACKAGES" in names) == any(
        "user.device.app_list" in f.collects for f in manifest.features.values()
    )


def test_zhenyi_permission_list():
    root = ET.fromstring(uses_permissions(seed("zhenyi-erp")))
    names = [e.get(f"{ANDROID}name") for e in root.findall("uses-permission")]
    assert "android.permission.READ_CONTACTS" in names
    assert "android.permission.READ_CALL_LOG" not in names  # never collected
    assert "com.google.android.gms.permission.AD_ID" in names  # usage_statistics asks ATT


def test_china_sdk_list_from_the_third_parties():
    text = sdk_list(seed("zhenyi-erp")).decode()
    assert "第三方SDK目录" in text
    row = next(line for line in text.splitlines() if "Third-party statistics SDK provider" in line)
    cells = [c.strip() for c in row.strip("|").split(" | ")]
    assert cells[0] == "(not named in the manifest)"  # the policy names no provider
    assert "IMEI" in cells[3] and "List of installed apps" in cells[3]
    assert cells[4] == "App Tracking Transparency, Phone state and identity"
    assert cells[5] == "https://stats.example.cn/privacy"
    assert "未嵌入" in sdk_list(seed("order-desk")).decode()  # no SDK: said so


def test_an_sdk_name_fills_the_list(fieldnotes_text):
    data = yaml.safe_load(fieldnotes_text)
    data["third_parties"][0]["sdk_name"] = "AdMeasure SDK"
    text = sdk_list(parse_manifest(yaml.safe_dump(data))).decode()
    assert "| AdMeasure SDK | Example Ads Measurement Ltd. |" in text


def test_the_taxonomy_maps_onto_the_stores_own_vocabularies():
    play = yaml.safe_load(
        (ROOT / "consentkit/policy/data/play_data_safety.yaml").read_text("utf-8")
    )
    play_types = {t["id"] for t in play["data_types"]}
    play_purposes = {p["id"] for p in play["purposes"]}
    tax = taxonomy()
    for cat in tax.categories.values():
        if cat.collectable:
            assert cat.play in play_types, cat.fides_key
            assert "NSPrivacyCollectedDataType" + cat.apple in TYPES, cat.fides_key
    for kind in tax.purpose_kinds.values():
        assert kind.play in play_purposes, kind.fides_key
        assert "NSPrivacyCollectedDataTypePurpose" + kind.apple in PURPOSES, kind.fides_key
    # the manifest's account words each tick one of the template's responses
    for vocabulary in ("account_creation", "outside_account"):
        assert set(play[vocabulary]) == set(tax.words(vocabulary))


def test_android_names_are_spelled_once():
    from consentkit.policy.exports.android import other_android_permissions

    names = [n for p in taxonomy().permissions.values() for n in p.android]
    others = set(other_android_permissions())
    assert not others & set(names)
    for other in other_android_permissions().values():
        assert other.category is None or taxonomy().categories[other.category].collectable


def test_an_advertiser_receiving_identifying_data_is_tracking(fieldnotes_text):
    data = yaml.safe_load(fieldnotes_text)
    data["purposes"]["ads_measurement"]["kind"] = "analytics"  # no longer an ad purpose
    types = apple_types(plistlib.loads(privacy_info(parse_manifest(yaml.safe_dump(data)))))
    assert (
        types["NSPrivacyCollectedDataTypeDeviceID"]["NSPrivacyCollectedDataTypeTracking"] is False
    )
    data["third_parties"][0]["kind"] = "advertiser"
    types = apple_types(plistlib.loads(privacy_info(parse_manifest(yaml.safe_dump(data)))))
    assert types["NSPrivacyCollectedDataTypeDeviceID"]["NSPrivacyCollectedDataTypeTracking"] is True
    data["third_parties"][0]["de_identified"] = True
    types = apple_types(plistlib.loads(privacy_info(parse_manifest(yaml.safe_dump(data)))))
    assert (
        types["NSPrivacyCollectedDataTypeDeviceID"]["NSPrivacyCollectedDataTypeTracking"] is False
    )
    assert (
        plistlib.loads(privacy_info(parse_manifest(yaml.safe_dump(data))))["NSPrivacyTracking"]
        is False
    )
    data["third_parties"][0]["de_identified"] = False
    assert (
        plistlib.loads(privacy_info(parse_manifest(yaml.safe_dump(data))))["NSPrivacyTracking"]
        is True
    )
