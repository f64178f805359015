"""``consentkit audit``: findings for people, JSON for tools, exit codes for CI."""

import json

from click.testing import CliRunner

from consentkit.cli import main
from tests.conftest import FIELDNOTES

GOOD = [
    {
        "seq": 1,
        "t": "2026-03-02T09:00:00+08:00",
        "device": "d1",
        "app": "fieldnotes",
        "type": "app.launch",
        "cold": True,
    },
    {
        "seq": 2,
        "t": "2026-03-02T09:00:05+08:00",
        "device": "d1",
        "app": "fieldnotes",
        "type": "policy.agreed",
        "version": "2024.03.01",
        "granted": ["account", "security"],
        "refused": [],
    },
]
BAD = {
    "seq": 3,
    "t": "2026-03-02T09:00:06+08:00",
    "device": "d1",
    "app": "fieldnotes",
    "type": "permission.dialog",
    "permission": "camera",
}


def _run(tmp_path, events=None, text=None, *args):
    path = tmp_path / "trace.jsonl"
    path.write_text(text if text is not None else "\n".join(json.dumps(e) for e in events) + "\n")
    return CliRunner().invoke(main, ["audit", str(path), "--manifest", str(FIELDNOTES), *args])


def test_clean_trace_exits_zero(tmp_path):
    result = _run(tmp_path, GOOD)
    assert result.exit_code == 0, result.output
    assert "no findings" in result.output


def test_findings_exit_one_and_name_rule_device_event(tmp_path):
    result = _run(tmp_path, [*GOOD, BAD])
    assert result.exit_code == 1
    assert "PERM-JIT [high] fieldnotes/d1 seq 3" in result.output


def test_json_format_is_one_object(tmp_path):
    result = _run(tmp_path, [*GOOD, BAD], None, "--format", "json")
    body = json.loads(result.output)
    assert body["devices"] == 1 and body["events"] == 3
    assert body["findings"][0]["rule"] == "PERM-JIT"
    assert {"rule", "severity", "device", "seq", "message", "evidence"} <= set(body["findings"][0])


def test_bad_json_is_an_input_error_naming_the_line(tmp_path):
    text = json.dumps(GOOD[0]) + "\n{not json\n"
    result = _run(tmp_path, text=text)
    assert result.exit_code == 2
    assert "line 2: not valid JSON" in result.output
    assert "Traceback" not in result.output


def test_seq_must_increase(tmp_path):
    result = _run(tmp_path, [GOOD[1], GOOD[0]])
    assert result.exit_code == 2
    assert "line 2: seq 1 does not increase" in result.output


def test_missing_field_and_naive_time(tmp_path):
    no_type = {k: v for k, v in GOOD[0].items() if k != "type"}
    assert "'type' must be a str" in _run(tmp_path, [no_type]).output
    naive = {**GOOD[0], "t": "2026-03-02T09:00:00"}
    assert "needs a UTC offset" in _run(tmp_path, [naive]).output


def test_missing_trace_or_manifest(tmp_path):
    result = CliRunner().invoke(
        main, ["audit", str(tmp_path / "none.jsonl"), "--manifest", str(FIELDNOTES)]
    )
    assert result.exit_code == 2 and "cannot read" in result.output
    result = _run(tmp_path, GOOD)
    bad = CliRunner().invoke(
        main, ["audit", str(tmp_path / "trace.jsonl"), "--manifest", str(tmp_path / "nope.yaml")]
    )
    assert bad.exit_code == 2
