"""The simulator end to end: the demo's verdicts, determinism, and the report."""

import json
from collections import Counter

import pytest
from click.testing import CliRunner

from consentkit.cli import main
from consentkit.examples import examples_dir
from consentkit.simulator.rules import catalogue
from consentkit.simulator.run import Job, apps_in, run_fleet

ROOT = examples_dir()
SEEDS = str(ROOT / "apps" / "seed_apps.py")
MISBEHAVING = str(ROOT / "apps" / "misbehaving.py")
TRICKY = str(ROOT / "apps" / "tricky.py")
REFERENCE = str(ROOT / "scenarios" / "reference.yaml")


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(main, ["demo", "--devices", "3", "--out", str(out)])
    return result, out


def test_demo_passes_and_writes_the_report(demo_report):
    result, out = demo_report
    assert result.exit_code == 0, result.output
    assert f"report: {(out / 'report.html').resolve()}" in result.output
    report = json.loads((out / "report.json").read_text())
    assert report["summary"]["passed"] is True and report["summary"]["errors"] == 0


def test_seed_and_tricky_apps_pass_every_rule(demo_report):
    report = json.loads((demo_report[1] / "report.json").read_text())
    good = {a["name"]: a for a in report["apps"] if a["expects"] is None}
    assert set(good) == set(apps_in(SEEDS)) | set(apps_in(TRICKY))
    for app in good.values():
        assert app["findings"] == {}, app


def test_each_misbehaving_app_is_caught_by_its_rule_and_no_other(demo_report):
    report = json.loads((demo_report[1] / "report.json").read_text())
    caught = {a["name"]: a for a in report["apps"] if a["expects"]}
    assert set(caught) == set(apps_in(MISBEHAVING))
    for app in caught.values():
        assert set(app["findings"]) == {app["expects"]}, app
    by_rule = Counter(app["expects"] for app in caught.values())
    assert {r.id for r in catalogue()} <= set(by_rule)
    assert min(by_rule.values()) >= 2, by_rule


def test_trace_is_the_contract_format_and_audits_the_same(demo_report):
    out = demo_report[1]
    manifests = [str(p) for p in sorted((ROOT / "manifests").glob("*.yaml"))]
    args = ["audit", str(out / "trace.jsonl"), "--format", "json"]
    for m in manifests:
        args += ["--manifest", m]
    result = CliRunner().invoke(main, args)
    body = json.loads(result.output)
    report = json.loads((out / "report.json").read_text())
    assert len(body["findings"]) == report["summary"]["findings"]
    assert body["devices"] == report["summary"]["devices"]


def test_report_has_funnel_consent_rates_and_timeline(demo_report):
    report = json.loads((demo_report[1] / "report.json").read_text())
    assert any(r["permission"] == "camera" and r["asked"] for r in report["funnel"])
    assert any(r["purpose"] == "customer_positioning" for r in report["consent_rates"])
    assert report["timeline"]["events"] and report["timeline"]["device"]
    html = (demo_report[1] / "report.html").read_text()
    assert "Permission funnel" in html and 'class="bar"' in html
    assert "http" not in html.split("<body>")[0]


def test_a_device_replays_exactly_from_its_seed():
    jobs = [Job(SEEDS, "zhenyi-erp", REFERENCE, 3, "mix", "mix")]
    first = run_fleet(jobs, seed=11, workers=1)
    again = run_fleet(jobs, seed=11, workers=1)
    other = run_fleet(jobs, seed=12, workers=1)

    opaque = {"user", "request", "bytes"}  # ids the server assigns, and a ZIP that holds them

    def same(e):
        # access-log lines name ids the server assigns (and random install ids) in URLs
        drop = opaque | ({"text"} if e.get("log") == "access" else set())
        return {k: v for k, v in e.items() if k not in drop}

    def comparable(results):
        return [[same(e) for e in r.events] for r in results]

    assert comparable(first) == comparable(again)
    assert all(not r.errors for r in first)
    assert comparable(first) != comparable(other)


def test_simulate_command_bad_input(tmp_path):
    runner = CliRunner()
    r = runner.invoke(main, ["simulate", "--personas", "nobody", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "unknown persona" in r.output
    r = runner.invoke(main, ["simulate", "--os", "symbian-3", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "unknown OS mix" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\napp: y\nsteps:\n  - teleport\n")
    r = runner.invoke(main, ["simulate", "--scenario", str(bad), "--out", str(tmp_path)])
    assert r.exit_code == 2 and "unknown step 'teleport'" in r.output
