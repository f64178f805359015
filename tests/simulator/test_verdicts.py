"""Verdicts: an app built to break a rule is caught when that rule fires, whatever else does."""

from collections import Counter

from consentkit.simulator.exit_codes import ExitCode
from consentkit.simulator.report.build import verdict


def test_caught_is_caught_and_extra_rules_are_extra():
    assert verdict(Counter({"CONTACTS-MIN": 1, "PERM-JIT": 2}), "CONTACTS-MIN") == "caught"
    assert verdict(Counter({"PERM-JIT": 2}), "CONTACTS-MIN") == "missed"
    assert verdict(Counter(), "CONTACTS-MIN") == "missed"
    assert verdict(Counter(), None) == "pass"
    assert verdict(Counter({"PERM-JIT": 1}), None) == "fail"


def test_a_run_lists_the_extra_rules_of_a_caught_app(qa_run):
    result, _, report = qa_run
    breaker = next(a for a in report["apps"] if a["name"] == "double-breaker")
    assert breaker["verdict"] == "caught"
    assert set(breaker["findings"]) == {"CONTACTS-MIN", "PERM-JIT"}
    assert set(breaker["extra"]) == {"PERM-JIT"}
    line = next(x for x in result.stdout.splitlines() if "double-breaker" in x)
    assert line.split()[0] == "caught"
    assert "(expected; extra: PERM-JIT x" in line
    # the run exits 3 because another app crashed, not 1: caught is not a finding
    assert result.exit_code == ExitCode.DEVICE_ERRORS
    assert not [a for a in report["apps"] if a["verdict"] == "missed"]
