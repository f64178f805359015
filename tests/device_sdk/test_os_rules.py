"""The OS tables themselves: the releases they describe, how a device's version finds its
release, and that every rule says what it does and where that is documented. What each
release does is in the behaviour tables (test_behaviour.py)."""

import pytest
import yaml

from consentkit.device_sdk import rules_for, supported_releases
from consentkit.device_sdk.os_rules import (
    FIELDS,
    UnknownOsRelease,
    _table,
    os_rules_table,
    resolve_release,
)
from consentkit.device_sdk.testing import ScriptedPhone


def test_tables_cover_the_promised_releases():
    assert supported_releases("android") == [str(v) for v in range(6, 16)]
    assert supported_releases("ios") == ["14", "14.5", "15", "16", "17", "18"]


@pytest.mark.parametrize(
    ("os_name", "version", "release"),
    [
        ("ios", "14.0", "14"),
        ("ios", "14.4.2", "14"),
        ("ios", "14.5", "14.5"),
        ("ios", "14.8.1", "14.5"),
        ("ios", 17, "17"),
        ("ios", "17.2", "17"),
        ("android", 10, "10"),
        ("android", "14", "14"),
    ],
)
def test_a_device_version_follows_the_latest_release_not_after_it(os_name, version, release):
    assert resolve_release(os_name, version) == release
    assert rules_for(os_name, version).version == release


@pytest.mark.parametrize(
    ("os_name", "version", "message"),
    [
        ("android", 5, "android 5"),
        ("android", 16, "android 16"),
        ("ios", "13.7", "ios 13.7"),
        ("ios", "seventeen", "not an OS version"),
        ("windows", 11, "windows"),
    ],
)
def test_unknown_releases_are_clear_errors(os_name, version, message):
    with pytest.raises(UnknownOsRelease, match=message):
        rules_for(os_name, version)


@pytest.mark.parametrize("os_name", ["android", "ios"])
def test_every_rule_has_a_source_releases_and_a_sentence(os_name):
    releases = supported_releases(os_name)
    for rule in os_rules_table(os_name):
        assert rule.source.startswith("https://"), rule.id
        assert rule.since in releases, rule.id
        assert rule.until is None or rule.until in releases, rule.id
        assert rule.says and not rule.says.endswith("."), rule.id  # a clause of a list
        assert rule.set or rule.add, f"{rule.id} changes nothing"
        assert any(rule.applies_to(r) for r in releases), rule.id


@pytest.mark.parametrize("os_name", ["android", "ios"])
def test_the_defaults_name_every_field_and_nothing_else(os_name):
    assert set(_table()[os_name]["defaults"]) == set(FIELDS)


def test_a_rule_with_an_unknown_field_is_refused(monkeypatch):
    bad = yaml.safe_load(yaml.safe_dump(_table()))
    bad["android"]["rules"][0]["set"]["denials_to_blok"] = 2
    monkeypatch.setattr("consentkit.device_sdk.os_rules._table", lambda: bad)
    os_rules_table.cache_clear()
    try:
        with pytest.raises(ValueError, match="denials_to_blok"):
            os_rules_table("android")
    finally:
        os_rules_table.cache_clear()


def test_restricted_and_a_wrong_button():
    phone = ScriptedPhone("ios", 17, restricted=["camera"], answers=["maybe"])
    assert phone.request_permissions(["camera"]) == {"camera": "restricted"}
    with pytest.raises(ValueError, match="not a button"):
        phone.request_permissions(["contacts"])


def test_settings_offer_granted_limited_or_denied():
    phone = ScriptedPhone("android", 14)
    with pytest.raises(ValueError, match="Settings offers"):
        phone.change_setting("camera", "blocked")
    phone.change_setting("camera", "limited")  # no partial choice for the camera: granted
    assert phone.check_permission("camera") == "granted"
