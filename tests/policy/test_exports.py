import plistlib

import yaml
from click.testing import CliRunner

from consentkit.cli import main
from consentkit.examples import manifest_paths
from consentkit.policy import parse_manifest
from consentkit.policy.exports import (
    collected_list,
    data_safety_checklist,
    privacy_info,
    shared_list,
)


def test_privacy_info_is_a_plist_apple_can_read(fieldnotes_text):
    m = parse_manifest(fieldnotes_text)
    doc = plistlib.loads(privacy_info(m))
    assert doc["NSPrivacyTracking"] is True  # ads_measurement is third-party advertising
    types = {t["NSPrivacyCollectedDataType"]: t for t in doc["NSPrivacyCollectedDataTypes"]}
    precise = types["NSPrivacyCollectedDataTypePreciseLocation"]
    assert precise["NSPrivacyCollectedDataTypeTracking"] is False
    assert precise["NSPrivacyCollectedDataTypePurposes"] == [
        "NSPrivacyCollectedDataTypePurposeAppFunctionality"
    ]
    assert types["NSPrivacyCollectedDataTypeDeviceID"]["NSPrivacyCollectedDataTypeTracking"] is True


def test_on_device_only_data_is_not_declared_collected(fieldnotes_text):
    data = yaml.safe_load(fieldnotes_text)
    data["data_categories"]["user.device.app_list"] = {
        "purposes": ["customer_import"],
        "stored": False,
        "retention": "session",
    }
    data["features"]["import_contacts"]["collects"].append("user.device.app_list")
    data["never_collected"].remove("user.device.app_list")
    m = parse_manifest(yaml.safe_dump(data))
    doc = plistlib.loads(privacy_info(m))
    declared = {t["NSPrivacyCollectedDataType"] for t in doc["NSPrivacyCollectedDataTypes"]}
    assert "NSPrivacyCollectedDataTypeOtherUsageData" not in declared  # stays on the phone
    assert "NSPrivacyCollectedDataTypeContacts" in declared


def test_data_safety_checklist_rows(fieldnotes_text):
    text = data_safety_checklist(parse_manifest(fieldnotes_text)).decode()
    rows = {
        line.split(" | ")[0].lstrip("| "): line.split(" | ")
        for line in text.splitlines()
        if line.startswith("| ") and " / " in line.split(" | ")[0]
    }
    assert rows["Location / Precise location"][4] == "optional"
    assert rows["Device or other IDs / Device or other IDs"][2] == "Example Ads Measurement Ltd."
    assert rows["Personal info / Phone number"][2] == "no"
    assert rows["Personal info / Phone number"][4] == "required"


def test_chinese_lists_name_every_category_and_party(fieldnotes_text):
    m = parse_manifest(fieldnotes_text)
    collected = collected_list(m).decode()
    for key in m.data_categories:
        assert key in collected
    assert "个人信息收集清单" in collected
    shared = shared_list(m).decode()
    assert "Example Ads Measurement Ltd." in shared and "Android ID" in shared


def test_cli_validate_accepts_examples_and_rejects_broken(tmp_path, fieldnotes_text):
    runner = CliRunner()
    ok = runner.invoke(main, ["policy", "validate", *map(str, manifest_paths())])
    assert ok.exit_code == 0, ok.output
    assert ok.output.count(": ok") == 5
    bad = tmp_path / "bad.yaml"
    bad.write_text(fieldnotes_text.replace("user.media.photo]", "user.media.fotos]", 1))
    result = runner.invoke(main, ["policy", "validate", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml:" in result.output
    assert "unknown category 'user.media.fotos'" in result.output
    assert "Traceback" not in result.output


def test_cli_export_writes_every_file_into_the_folder_named(tmp_path):
    path = next(p for p in manifest_paths() if p.stem == "zhenyi-erp")
    out = tmp_path / "store"
    result = CliRunner().invoke(main, ["policy", "export", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "AndroidManifest-permissions.xml",
        "Info-usage-descriptions.plist",
        "PrivacyInfo.xcprivacy",
        "data-safety-checklist.md",
        "data-safety.csv",
        "personal-information-collected.md",
        "third-party-sdks.md",
        "third-party-sharing.md",
        "zh-Hans.lproj/InfoPlist.strings",
    ]
    assert plistlib.loads((out / "PrivacyInfo.xcprivacy").read_bytes())["NSPrivacyTracking"] is True
    assert (out / "data-safety.csv").read_text().startswith("Question ID (machine readable),")
    assert "Call history" in (out / "personal-information-collected.md").read_text()
    assert "statistics" in (out / "third-party-sharing.md").read_text()
    # what is left for a person is said, naming the file and the manifest key to add
    assert (
        "third-party-sdks.md: Third-party statistics SDK provider: the manifest names no SDK"
        in (result.stderr)
    )


def test_cli_export_only_and_files_with_nothing_to_say(tmp_path):
    path = next(p for p in manifest_paths() if p.stem == "zhenyi-erp")
    result = CliRunner().invoke(
        main,
        [
            "policy",
            "export",
            str(path),
            "--out",
            str(tmp_path),
            "--only",
            "zh-Hant.lproj/InfoPlist.strings",
            "--only",
            "third-party-sdks.md",
        ],
    )
    assert result.exit_code == 0, result.output
    # no Traditional Chinese text in the manifest: no file, rather than an empty one
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["third-party-sdks.md"]
    assert "data-safety.csv" not in result.stderr  # notes only for the files asked


def test_cli_export_without_out_writes_into_exports_app_id(tmp_path, monkeypatch):
    path = next(p for p in manifest_paths() if p.stem == "zhenyi-erp").resolve()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["policy", "export", str(path), "--only", "data-safety.csv"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "exports" / "zhenyi-erp").iterdir()] == ["data-safety.csv"]
