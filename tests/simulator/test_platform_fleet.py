"""A fleet of one phone per behaviour change — Android 8, 10 (with and without Google Play
services), 11, 14 and iOS 14.0, 14.5, 17, 18 — runs Parcel Run, and the report's
permission funnel shows what each release did: the group grants, the background upgrade
path, the Precise switch, the temporary selection and the no-Play-services profile."""

import json
import random

import pytest
from click.testing import CliRunner

from consentkit.cli import main
from consentkit.examples import examples_dir
from consentkit.simulator.phone import OsProfile, pick_os

TOUR = examples_dir() / "platforms"


@pytest.fixture(scope="module")
def tour_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("tour")
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            "--apps",
            str(TOUR / "tour.py"),
            "--scenario",
            str(TOUR / "releases.yaml"),
            "--os",
            "releases",
            "--devices",
            "9",
            "--workers",
            "1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    return report, (out / "report.html").read_text()


def _row(report, permission, os_label):
    rows = [r for r in report["funnel"] if r["permission"] == permission and r["os"] == os_label]
    assert rows, f"no funnel row for {permission} on {os_label}"
    return rows[0]


def test_the_fleet_runs_every_release_cleanly(tour_report):
    report, _ = tour_report
    assert report["summary"]["passed"] and report["summary"]["findings"] == 0
    assert report["apps"][0]["os"] == {
        label: 1
        for label in (
            "android 8",
            "android 10",
            "android 10 (no Play services)",
            "android 11",
            "android 14",
            "ios 14.0",
            "ios 14.5",
            "ios 17",
            "ios 18",
        )
    }


def test_group_grants_on_android_8(tour_report):
    report, _ = tour_report
    call_log = _row(report, "phone.call_log", "android 8")
    assert call_log["dialogs"] == 0 and call_log["silent"] == call_log["granted"] >= 1
    assert _row(report, "phone.call_log", "android 11")["dialogs"] >= 1  # its own dialog


def test_the_background_upgrade_path_per_release(tour_report):
    report, _ = tour_report
    in_dialog = _row(report, "location.background", "android 10")
    assert in_dialog["always_offered"] >= 1 and in_dialog["settings"] == 0
    upgraded = _row(report, "location.background", "android 10 (no Play services)")
    assert upgraded["upgrade"] >= 1 and upgraded["granted"] >= 1
    for release in ("android 11", "android 14"):
        settings = _row(report, "location.background", release)
        assert settings["settings"] == settings["granted"] >= 1 and settings["upgrade"] == 0
    for release in ("ios 14.0", "ios 14.5", "ios 17", "ios 18"):
        ios = _row(report, "location.background", release)
        assert ios["provisional"] >= 1 and ios["upgrade"] >= 1


def test_the_precise_switch_on_every_ios_location_prompt(tour_report):
    report, _ = tour_report
    for release in ("ios 14.0", "ios 14.5", "ios 17", "ios 18"):
        row = _row(report, "location.background", release)
        assert row["precise_switch"] >= 1
        assert _row(report, "location.precise", release)["limited"] >= 1  # switched off


def test_android_14_selection_is_temporary(tour_report):
    report, _ = tour_report
    photos = _row(report, "photos", "android 14")
    assert photos["temporary"] == photos["limited"] >= 1
    assert all(_row(report, "photos", r)["temporary"] == 0 for r in ("ios 17", "android 11"))


def test_auto_reset_spares_the_phone_without_play_services(tour_report):
    report, html = tour_report
    resets = {
        label: sum(r["reset"] for r in report["funnel"] if r["os"] == label)
        for label in ("android 8", "android 10", "android 10 (no Play services)", "android 11")
    }
    assert resets["android 10 (no Play services)"] == 0
    assert resets["android 8"] > 0 and resets["android 10"] > 0 and resets["android 11"] > 0
    for column in ("Silent", "Settings", "Upgrade", "Precise switch", "Temporary", "Reset"):
        assert f"<th>{column}</th>" in html
    assert "android 10 (no Play services)" in html


def test_fleet_specs_cycle_draw_or_name_a_profile():
    rng = random.Random(1)
    listed = [pick_os("releases", rng, i).label for i in range(10)]
    assert listed[0] == "android 8" and listed[9] == "android 8"  # the list wraps around
    assert pick_os("android-10,ios-14.5", rng, 3) == OsProfile("ios", "14.5", "ios 14.5")
    assert pick_os("honor-play-4t", rng).label == "android 10 (no Play services)"
    assert pick_os("mix", random.Random(5)) == pick_os("mix", random.Random(5))
    for bad, message in (("android-16", "android 16"), ("blackberry", "unknown OS mix")):
        with pytest.raises(ValueError, match=message):
            pick_os(bad, rng)


def test_simulate_refuses_an_unknown_release(tmp_path):
    result = CliRunner().invoke(
        main, ["simulate", "--os", "ios-13", "--devices", "1", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2 and "ios 13" in result.output
