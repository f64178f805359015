"""``consentkit audit diff OLD NEW``: what a release manager asks of a new build."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from consentkit.cli import main
from consentkit.examples import examples_dir
from consentkit.simulator.exit_codes import ExitCode

APPS = Path(__file__).parent / "apps"
SMOKE = str(examples_dir() / "scenarios" / "smoke.yaml")
ZHENYI = str(examples_dir() / "manifests" / "zhenyi-erp.yaml")


def simulate(out: Path, apps: str, *extra: str) -> Path:
    args = ["simulate", "--apps", apps, "--scenario", SMOKE, "--devices", "3", "--seed", "5"]
    result = CliRunner().invoke(main, [*args, "--os", "android", "-q", "--out", str(out), *extra])
    assert result.exit_code in (0, 1), result.output
    return out


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """Zhenyi ERP 3.2, and 3.3 which reads the IMEI at launch: same users, same phones."""
    root = tmp_path_factory.mktemp("releases")
    old = simulate(root / "3.2", str(APPS / "release_3_2.py"))
    new = simulate(root / "3.3", str(APPS / "release_3_3.py"))
    return old, new


def diff(*args: str):
    return CliRunner().invoke(main, ["audit", "diff", *args])


def test_a_finding_that_appeared_in_the_new_release(releases):
    old, new = releases
    result = diff(str(old / "report.json"), str(new / "report.json"))
    assert result.exit_code == ExitCode.FINDINGS, result.output
    assert "findings: 1 appeared, 0 disappeared" in result.output
    assert "+ CON-PRE [critical] zhenyi-erp: api.read (identifier.read" in result.output
    assert "3 of 3 devices (was 0 of 3)" in result.output
    # same users on the same phones: nothing else moved
    assert "permission funnel: 0 changes" in result.output
    assert "consent rates: 0 changes" in result.output


def test_traces_and_reports_diff_alike(releases):
    old, new = releases
    from_traces = diff(
        str(old / "trace.jsonl"), str(new / "trace.jsonl"), "--manifest", ZHENYI, "--format", "json"
    )
    mixed = diff(
        str(old / "report.json"), str(new / "trace.jsonl"), "--manifest", ZHENYI, "--format", "json"
    )
    a, b = json.loads(from_traces.output), json.loads(mixed.output)
    assert a["findings"] == b["findings"]
    [appeared] = a["findings"]["appeared"]
    assert appeared["rule"] == "CON-PRE" and appeared["new_devices"] == 3
    assert from_traces.exit_code == mixed.exit_code == ExitCode.FINDINGS


def test_a_finding_that_disappeared_is_no_failure(releases):
    old, new = releases
    result = diff(str(new / "report.json"), str(old / "report.json"))
    assert result.exit_code == ExitCode.CLEAN, result.output
    assert "findings: 0 appeared, 1 disappeared" in result.output
    assert "- CON-PRE" in result.output


def test_funnel_and_consent_rates_per_permission_and_os(tmp_path):
    apps = str(APPS / "release_3_2.py")
    trusting = simulate(tmp_path / "a", apps, "--personas", "accept-all")
    careful = simulate(tmp_path / "b", apps, "--personas", "deny-optional")
    result = diff(str(trusting / "report.json"), str(careful / "report.json"), "--format", "json")
    body = json.loads(result.output)
    rates = {(r["app"], r["purpose"]): r for r in body["consent_rates"]}
    positioning = rates[("zhenyi-erp", "customer_positioning")]
    assert positioning["old"]["rate"] == 1.0 and positioning["new"]["rate"] == 0.0
    assert ("zhenyi-erp", "(the policy)") not in rates  # both agreed to the policy
    assert body["funnel"], "refusing every optional purpose changes what is asked"
    for row in body["funnel"]:
        assert row["os"].startswith("android ")
        old, new = row["old"], row["new"]
        assert old is None or new is None or old != new
    text = diff(str(trusting / "report.json"), str(careful / "report.json")).output
    assert "zhenyi-erp · customer_positioning: 100% (3/3) → 0% (0/3) (−100 pts)" in text


def test_bad_input_is_named_never_a_traceback(releases, tmp_path):
    old, _ = releases
    result = diff(str(old / "trace.jsonl"), str(old / "trace.jsonl"))
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "needs the apps' manifests (--manifest)" in result.output
    result = diff(str(tmp_path / "missing.json"), str(old / "report.json"))
    assert result.exit_code == ExitCode.BAD_INPUT and "cannot read" in result.output
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    result = diff(str(other), str(old / "report.json"))
    assert (
        result.exit_code == ExitCode.BAD_INPUT and "not a consentkit report.json" in result.output
    )
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"seq": 1}\n')
    result = diff(str(broken), str(old / "trace.jsonl"), "--manifest", ZHENYI)
    assert result.exit_code == ExitCode.BAD_INPUT and "broken.jsonl: line 1" in result.output
    assert "Traceback" not in result.output
