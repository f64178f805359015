"""``consentkit policy check-app``: the app's own files against its policy.

The seed apps' sample files (examples/app-files/) are clean; the planted fixtures
(app_files/planted/, Zhenyi ERP's files with mismatches marked "planted") give exactly
the findings planted, each on its line; bad input is exit 2 without a traceback.
"""

import json
import plistlib
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from consentkit.cli import main
from consentkit.examples import examples_dir, manifest_paths

PLANTED = Path(__file__).parent / "app_files" / "planted"
ZHENYI = next(p for p in manifest_paths() if p.stem == "zhenyi-erp")


def run(*args):
    return CliRunner().invoke(main, ["policy", "check-app", *map(str, args)])


def app_files(app_id):
    folder = examples_dir() / "app-files" / app_id
    return [
        "--android", folder / "AndroidManifest.xml",
        "--ios", folder / "Info.plist",
        "--privacy-manifest", folder / "PrivacyInfo.xcprivacy",
    ]  # fmt: skip


@pytest.mark.parametrize("manifest", manifest_paths(), ids=lambda p: p.stem)
def test_the_seed_apps_samples_are_clean(manifest):
    result = run(manifest, *app_files(manifest.stem))
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(
        f"0 findings in {', '.join(str(p) for p in app_files(manifest.stem)[1::2])}"
    )


def line(path: Path, needle: str) -> int:
    """The line of the first occurrence of ``needle`` in the file."""
    return next(
        i for i, text in enumerate(path.read_text("utf-8").splitlines(), 1) if needle in text
    )


def findings(*args) -> list[tuple[str, int | None, str, str]]:
    result = run(ZHENYI, *args, "--format", "json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.output)
    return [(Path(f["file"]).name, f["line"], f["code"], f["message"]) for f in doc["findings"]]


def test_every_planted_android_mismatch_and_nothing_else():
    path = PLANTED / "AndroidManifest.xml"
    found = findings("--android", path)
    root = line(path, "<manifest ")
    assert [(n, ln, code) for n, ln, code, _ in found] == [
        ("AndroidManifest.xml", root, "permission-missing"),  # READ_CONTACTS
        ("AndroidManifest.xml", root, "permission-missing"),  # QUERY_ALL_PACKAGES
        ("AndroidManifest.xml", line(path, 'READ_CALL_LOG"'), "permission-not-in-policy"),
        (
            "AndroidManifest.xml",
            line(path, "ACCESS_BACKGROUND_LOCATION"),
            "permission-not-in-policy",
        ),
        ("AndroidManifest.xml", line(path, 'RECORD_AUDIO" />'), "permission-not-in-policy"),
    ]
    messages = [m for *_, m in found]
    assert "feature import_contacts (" in messages[0] and "READ_CONTACTS" in messages[0]
    assert f"zhenyi-erp.yaml:{line(ZHENYI, 'import_contacts:') + 2} " in messages[0]  # permissions:
    assert "user.device.app_list" in messages[1] and "QUERY_ALL_PACKAGES" in messages[1]
    assert "promises never to collect user.calls.log" in messages[2]
    assert "(the microphone)" in messages[4]


def test_every_planted_usage_string_mismatch_and_nothing_else():
    path = PLANTED / "Info.plist"
    found = findings("--ios", path)
    assert [(ln, code) for _, ln, code, _ in found] == [
        (line(path, "<dict>"), "usage-string-missing"),  # no NSCameraUsageDescription
        (line(path, "improve our services"), "usage-string-different"),
        (line(path, "NSMicrophoneUsageDescription"), "usage-string-not-in-policy"),
        (line(path, "NSLocationAlwaysAndWhenInUseUsageDescription"), "usage-string-not-in-policy"),
    ]
    assert "NSCameraUsageDescription is missing, but feature publish_product" in found[0][3]
    assert "the policy's rationale is \"When you add a customer" in found[1][3]


def test_every_planted_privacy_manifest_mismatch_and_nothing_else():
    path = PLANTED / "PrivacyInfo.xcprivacy"
    found = findings("--privacy-manifest", path)
    got = sorted((ln, message.split(":")[0].split(" ")[0]) for _, ln, _, message in found)
    text = path.read_text("utf-8")
    lines = text.splitlines()

    def after(needle: str, then: str) -> int:
        start = line(path, needle)
        return next(i for i in range(start, len(lines) + 1) if then in lines[i - 1])

    assert {code for _, _, code, _ in found} == {"privacy-manifest-differs"}
    ns = "NSPrivacyCollectedDataType"
    api = "NSPrivacyAccessedAPICategory"
    assert got == sorted(
        [
            (line(path, "<key>NSPrivacyTracking</key>") + 1, "NSPrivacyTracking"),
            (line(path, "ads.example.net"), "tracking"),
            (line(path, "<key>NSPrivacyTrackingDomains</key>") + 1, "the"),
            (line(path, f"{ns}GovernmentID"), f"'{ns}GovernmentID'"),
            (after(f"{ns}DeviceID", "<false/>"), f"{ns}DeviceID"),
            (after(f"{ns}EmailAddress", "<array>"), f"{ns}EmailAddress"),
            (line(path, "<key>NSPrivacyCollectedDataTypes</key>") + 1, f"{ns}Contacts"),
            (after(f"{api}UserDefaults", "<array>"), f"{api}UserDefaults"),
            (line(path, f"{api}DiskSpace"), f"{api}DiskSpace"),
            (line(path, "<key>NSPrivacyAccessedAPITypes</key>") + 1, f"{api}FileTimestamp"),
        ]
    )


def test_text_output_names_file_line_and_code():
    result = run(ZHENYI, "--ios", PLANTED / "Info.plist")
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert re.match(r"^.*Info\.plist:\d+: usage-string-missing: NSCameraUsageDescription", first)
    assert result.output.strip().endswith("4 findings in " + str(PLANTED / "Info.plist"))


def test_a_binary_info_plist_is_read_as_ios_reads_it(tmp_path):
    source = examples_dir() / "app-files" / "zhenyi-erp" / "Info.plist"
    info = plistlib.loads(source.read_bytes())
    del info["NSContactsUsageDescription"]
    binary = tmp_path / "Info.plist"
    binary.write_bytes(plistlib.dumps(info, fmt=plistlib.FMT_BINARY))
    found = findings("--ios", binary)
    assert [(ln, code) for _, ln, code, _ in found] == [(None, "usage-string-missing")]


def test_the_export_passes_its_own_check(tmp_path):
    # what `policy export` writes is what check-app wants: a team can start from it
    out = tmp_path / "out"
    assert (
        CliRunner().invoke(main, ["policy", "export", str(ZHENYI), "--out", str(out)]).exit_code
        == 0
    )
    folder = next(out.rglob("PrivacyInfo.xcprivacy")).parent
    info = plistlib.loads((folder / "Info-usage-descriptions.plist").read_bytes())
    (tmp_path / "Info.plist").write_bytes(plistlib.dumps({"CFBundleName": "x", **info}))
    manifest = (folder / "AndroidManifest-permissions.xml").read_text("utf-8")
    (tmp_path / "AndroidManifest.xml").write_text(
        manifest.replace("<manifest ", '<manifest package="x" ')
    )
    result = run(
        ZHENYI,
        "--android", tmp_path / "AndroidManifest.xml",
        "--ios", tmp_path / "Info.plist",
        "--privacy-manifest", folder / "PrivacyInfo.xcprivacy",
    )  # fmt: skip
    assert result.exit_code == 0, result.output


BAD = {
    "missing.xml": None,
    "not-xml.xml": b"this is not XML at all",
    "unclosed.xml": b'<?xml version="1.0"?>\n<manifest>\n  <uses-permission\n',
    "layout.xml": b'<?xml version="1.0"?>\n<LinearLayout/>\n',
    "noname.xml": b'<manifest xmlns:android="http://schemas.android.com/apk/res/android">\n'
    b"  <uses-permission />\n</manifest>\n",
    "badsdk.xml": b'<manifest xmlns:android="http://schemas.android.com/apk/res/android">\n'
    b'  <uses-permission android:name="android.permission.CAMERA" android:maxSdkVersion="x"/>\n'
    b"</manifest>\n",
    "laughs.xml": b'<?xml version="1.0"?>\n<!DOCTYPE manifest [\n<!ENTITY a "aaaaaaaaaa">\n'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n]>\n<manifest>&b;</manifest>\n',
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_android_manifest_is_bad_input(tmp_path, name):
    path = tmp_path / name
    if BAD[name] is not None:
        path.write_bytes(BAD[name])
    result = run(ZHENYI, "--android", path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output.startswith(str(path))


PLISTS = {
    "garbage.plist": b"\x00\x01\x02 not a plist",
    "array.plist": plistlib.dumps(["NSCameraUsageDescription"]),
    "entity.plist": b'<?xml version="1.0"?>\n<!DOCTYPE plist [<!ENTITY x "y">]>\n'
    b"<plist><dict><key>a</key><string>&x;</string></dict></plist>\n",
}


@pytest.mark.parametrize("name", sorted(PLISTS))
def test_a_bad_property_list_is_bad_input(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(PLISTS[name])
    for option in ("--ios", "--privacy-manifest"):
        result = run(ZHENYI, option, path)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and result.output.startswith(str(path))


def test_a_privacy_manifest_of_the_wrong_shape_is_bad_input(tmp_path):
    path = tmp_path / "PrivacyInfo.xcprivacy"
    path.write_bytes(
        plistlib.dumps({"NSPrivacyTracking": True, "NSPrivacyCollectedDataTypes": [{"x": 1}]})
    )
    result = run(ZHENYI, "--privacy-manifest", path)
    assert result.exit_code == 2
    assert re.match(
        rf"^{re.escape(str(path))}:\d+: NSPrivacyCollectedDataTypes\[0\] has no", result.output
    )
    path.write_bytes(plistlib.dumps({"NSPrivacyTracking": "yes"}))
    result = run(ZHENYI, "--privacy-manifest", path)
    assert result.exit_code == 2 and "NSPrivacyTracking must be a bool" in result.output


def test_no_app_file_or_an_invalid_manifest_is_bad_input(tmp_path, fieldnotes_text):
    assert run(ZHENYI).exit_code == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text(fieldnotes_text.replace("user.media.photo]", "user.media.fotos]", 1))
    result = run(bad, "--ios", PLANTED / "Info.plist")
    assert result.exit_code == 2 and "unknown category 'user.media.fotos'" in result.output
