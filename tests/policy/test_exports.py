import csv
import io
import plistlib

import yaml
from click.testing import CliRunner

from consentkit.cli import main
from consentkit.examples import manifest_paths
from consentkit.policy import parse_manifest
from consentkit.policy.exports import collected_list, data_safety_csv, privacy_info, shared_list


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


def test_data_safety_csv_rows(fieldnotes_text):
    rows = list(
        csv.DictReader(io.StringIO(data_safety_csv(parse_manifest(fieldnotes_text)).decode()))
    )
    by_type = {r["data_type"]: r for r in rows}
    assert by_type["Precise location"]["required_or_optional"] == "optional"
    assert by_type["Device or other IDs"]["shared"] == "yes"
    assert by_type["Phone number"]["shared"] == "no"
    assert by_type["Phone number"]["required_or_optional"] == "required"


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


def test_cli_export_writes_four_files_into_the_folder_named(tmp_path):
    path = next(p for p in manifest_paths() if p.stem == "zhenyi-erp")
    out = tmp_path / "store"
    result = CliRunner().invoke(main, ["policy", "export", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "PrivacyInfo.xcprivacy",
        "data-safety.csv",
        "personal-information-collected.md",
        "third-party-sharing.md",
    ]
    assert plistlib.loads((out / "PrivacyInfo.xcprivacy").read_bytes())["NSPrivacyTracking"] is True
    assert (out / "data-safety.csv").read_text().startswith("data_category,")
    assert "Call history" in (out / "personal-information-collected.md").read_text()
    assert "statistics" in (out / "third-party-sharing.md").read_text()


def test_cli_export_without_out_writes_into_exports_app_id(tmp_path, monkeypatch):
    path = next(p for p in manifest_paths() if p.stem == "zhenyi-erp").resolve()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["policy", "export", str(path), "--only", "data-safety.csv"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "exports" / "zhenyi-erp").iterdir()] == ["data-safety.csv"]
