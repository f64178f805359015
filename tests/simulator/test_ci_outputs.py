"""--junit and --sarif: read back by independent readers, evidence in every failure.

SARIF is loaded into sarif-pydantic's object model of SARIF 2.1.0 (required properties,
types and enumerations checked); JUnit XML is read by junitparser, the reader many CI
tools' plugins build on, and its counts checked against its cases.
"""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from junitparser import Error, Failure, JUnitXml
from sarif_pydantic import Sarif

from consentkit.cli import main
from consentkit.examples import examples_dir
from consentkit.simulator.exit_codes import ExitCode
from consentkit.simulator.report import build, to_junit
from consentkit.simulator.rules import catalogue
from consentkit.simulator.run import DeviceResult

ZHENYI = str(examples_dir() / "manifests" / "zhenyi-erp.yaml")


def validate_sarif(log: dict) -> None:
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-schema-2.1.0.json")
    parsed = Sarif.model_validate(log)
    for run in parsed.runs:
        rules = {rule.id for rule in run.tool.driver.rules or []}
        for result in run.results or []:
            assert result.rule_id in rules and result.message.text


def validate_junit(path: Path) -> None:
    report = JUnitXml.fromfile(str(path))
    for suite in report:
        cases = list(suite)
        assert suite.tests == len(cases) and suite.name
        outcomes = [type(r) for case in cases for r in case.result]
        assert suite.failures == outcomes.count(Failure)
        assert suite.errors == outcomes.count(Error)


@pytest.fixture
def run(qa_run):
    result, out, report = qa_run
    assert result.exit_code == ExitCode.DEVICE_ERRORS, result.output
    return out, report


def suites(path: Path) -> dict[str, ET.Element]:
    return {s.get("name"): s for s in ET.parse(path).getroot()}


def test_junit_is_valid_with_a_case_per_app_and_rule(run):
    out, _ = run
    validate_junit(out / "junit.xml")
    found = suites(out / "junit.xml")
    assert set(found) == {"crasher", "double-breaker", "well-behaved"}
    for suite in found.values():
        names = [c.get("name") for c in suite.iter("testcase")]
        assert [n.split(":")[0] for n in names[:-1]] == [r.id for r in catalogue()]
        assert names[-1] == "every device finishes its scenario"
        assert suite.get("tests") == str(len(names))
    well = found["well-behaved"]
    assert well.get("failures") == "0" and well.get("errors") == "0"
    assert not list(well.iter("failure"))


def test_junit_failures_carry_the_evidence_and_errors_the_traceback(run):
    out, _ = run
    crasher = suites(out / "junit.xml")["crasher"]
    cases = {c.get("name").split(":")[0]: c for c in crasher.iter("testcase")}
    failure = cases["CALLS-NOLOG"].find("failure")
    assert failure is not None and failure.get("type") == "CALLS-NOLOG"
    assert "the call history was read" in failure.get("message")
    # each finding: its device and event, then the events it rests on
    assert "crasher-00000 seq" in failure.text and "api.read calls.log_read" in failure.text
    error = cases["every device finishes its scenario"].find("error")
    assert error.get("type") == "PlatformPermissionError"
    assert "read_whole_address_book" in error.text and "Traceback" in error.text
    assert crasher.get("errors") == "1"


def test_junit_counts_caught_as_caught_and_lists_extra_rules(run):
    out, _ = run
    breaker = suites(out / "junit.xml")["double-breaker"]
    assert breaker.get("failures") == "0"
    assert "PERM-JIT" in breaker.find("system-out").text
    assert "extra" in breaker.find("system-out").text


def test_sarif_is_valid_with_one_result_per_finding(run):
    out, report = run
    log = json.loads((out / "x.sarif").read_text())
    validate_sarif(log)
    [sarif_run] = log["runs"]
    results = sarif_run["results"]
    assert len(results) == len(report["findings"]) > 0
    rules = [r["id"] for r in sarif_run["tool"]["driver"]["rules"]]
    assert rules == [r.id for r in catalogue()]
    assert {r["ruleId"] for r in results} == {f["rule"] for f in report["findings"]}
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in results)
    assert sarif_run["invocations"][0]["executionSuccessful"] is False  # devices errored


def test_sarif_points_at_the_manifest_and_the_evidence_lines(run):
    out, _ = run
    log = json.loads((out / "x.sarif").read_text())
    trace = (out / "trace.jsonl").read_text().splitlines()
    manifest = Path(ZHENYI).read_text().splitlines()
    for result in log["runs"][0]["results"]:
        where = result["locations"][0]["physicalLocation"]
        assert where["artifactLocation"]["uri"].endswith("examples/manifests/zhenyi-erp.yaml")
        assert 1 <= where["region"]["startLine"] <= len(manifest)
        for related, seq in zip(
            result["relatedLocations"], result["properties"]["evidence"], strict=True
        ):
            event = json.loads(trace[related["physicalLocation"]["region"]["startLine"] - 1])
            assert event["seq"] == seq and event["device"] == result["properties"]["device"]
    contacts = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "CONTACTS-MIN")
    line = contacts["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert "user.contacts" in manifest[line - 1]  # the data category the read was about


def test_audit_writes_the_same_outputs_for_a_trace(run, tmp_path):
    out, report = run
    args = ["audit", str(out / "trace.jsonl"), "--manifest", ZHENYI]
    args += ["--junit", str(tmp_path / "j.xml"), "--sarif", str(tmp_path / "s.sarif")]
    result = CliRunner().invoke(main, args)
    # the trace records the crashes (sim.error): the recording is incomplete
    assert result.exit_code == ExitCode.DEVICE_ERRORS, result.output
    validate_junit(tmp_path / "j.xml")
    log = json.loads((tmp_path / "s.sarif").read_text())
    validate_sarif(log)
    assert len(log["runs"][0]["results"]) == len(report["findings"])


def test_junit_fails_an_app_built_to_break_a_rule_that_was_not_caught():
    device = DeviceResult("nagger-00000", "zhenyi-erp", "nagger", "accept-all", "ios", "17")
    device.expects = "PERM-REASK"
    meta = {"generated": "2026-03-02T01:00:00+00:00", "seed": 1, "server": "embedded"}
    report = build([device], [], {}, meta)
    [suite] = ET.fromstring(to_junit(report))
    failed = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name").split(":")[0] for c in failed] == ["PERM-REASK"]
    assert "did not catch" in failed[0].find("failure").get("message")
