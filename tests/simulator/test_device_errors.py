"""An app's exception is its device's error, never the run's; exit codes say which is which."""

import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from consentkit.cli import main
from consentkit.examples import examples_dir
from consentkit.simulator import run as run_module
from consentkit.simulator.exit_codes import ExitCode, for_summary
from consentkit.simulator.personas import persona
from consentkit.simulator.run import Job, run_fleet
from consentkit.simulator.steps import years_before

APPS = Path(__file__).parent / "apps"
QA_APPS = str(APPS / "qa_apps.py")
SMOKE = str(examples_dir() / "scenarios" / "smoke.yaml")


@pytest.fixture(scope="module")
def crashed(tmp_path_factory):
    out = tmp_path_factory.mktemp("crash")
    args = ["simulate", "--apps", QA_APPS, "--app", "crasher", "--app", "well-behaved"]
    args += ["--scenario", SMOKE, "--devices", "2", "--workers", "2", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    return result, out


def test_a_crashing_app_does_not_end_the_run(crashed):
    result, out = crashed
    assert result.exit_code == ExitCode.DEVICE_ERRORS, result.output
    report = json.loads((out / "report.json").read_text())
    assert (out / "report.html").exists() and (out / "trace.jsonl").exists()
    assert report["summary"]["devices"] == 4 and report["summary"]["errored_devices"] == 2
    apps = {a["name"]: a for a in report["apps"]}
    assert apps["crasher"]["errored_devices"] == 2
    assert (
        apps["well-behaved"]["errored_devices"] == 0 and apps["well-behaved"]["verdict"] == "pass"
    )


def test_the_error_is_in_the_report_with_its_traceback(crashed):
    result, out = crashed
    report = json.loads((out / "report.json").read_text())
    detail = report["errors"][0]["details"][0]
    assert detail["exception"] == "PlatformPermissionError"
    assert detail["step"] == "use_all"
    assert "qa_apps.py" in detail["where"] and "read_whole_address_book" in detail["where"]
    assert "Traceback (most recent call last)" in detail["traceback"]
    assert "ctx.phone.address_book()" in detail["traceback"]
    html = (out / "report.html").read_text()
    assert "Device errors" in html and "read_whole_address_book" in html
    # printed on the console too, with where it was raised
    assert "PlatformPermissionError: contacts is" in result.stderr
    assert "qa_apps.py" in result.stderr and "in read_whole_address_book" in result.stderr


def test_the_trace_records_the_crash_and_the_device_goes_on(crashed):
    out = crashed[1]
    events = [json.loads(line) for line in (out / "trace.jsonl").read_text().splitlines()]
    device = [e for e in events if e["device"] == "crasher-00000"]
    types = [e["type"] for e in device]
    error = next(e for e in device if e["type"] == "sim.error")
    assert error["exception"] == "PlatformPermissionError"
    assert "read_whole_address_book" in error["traceback"]
    crash = types.index("sim.error") + 1
    assert device[crash]["type"] == "app.exit" and device[crash]["reason"] == "crash"
    # the scenario's next step (restart) is a cold start of the crashed app, then flush
    assert "app.launch" in types[crash:]
    assert types.count("app.launch") == 2


def test_an_apps_file_that_cannot_load_is_bad_input(tmp_path):
    broken = tmp_path / "broken_apps.py"
    broken.write_text("from consentkit.simulator.app import App\n\nAPPS = [App('x', nowhere)]\n")
    result = CliRunner().invoke(
        main, ["simulate", "--apps", str(broken), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == ExitCode.BAD_INPUT
    assert f"{broken}:3: NameError" in result.output
    assert "Traceback" not in result.output
    empty = tmp_path / "empty_apps.py"
    empty.write_text("X = 1\n")
    result = CliRunner().invoke(main, ["simulate", "--apps", str(empty), "--out", str(tmp_path)])
    assert result.exit_code == ExitCode.BAD_INPUT and "defines no APP or APPS" in result.output


def test_a_worker_process_that_dies_leaves_a_finished_run(tmp_path):
    apps = tmp_path / "exiting.py"
    apps.write_text(
        "import os\nfrom pathlib import Path\nfrom consentkit.simulator.app import App\n"
        f"M = Path({str(examples_dir() / 'manifests' / 'zhenyi-erp.yaml')!r})\n"
        "def die(ctx):\n    os._exit(9)\n"
        "APPS = [App('dies', M, on_launch=die)]\n"
    )
    results = run_fleet([Job(str(apps), "dies", SMOKE, 2)], workers=2)
    assert len(results) == 2
    assert all(r.errors and r.errors[0].step == "worker" for r in results)


@pytest.mark.parametrize(
    ("summary", "code"),
    [
        ({"passed": True, "errored_devices": 0}, ExitCode.CLEAN),
        ({"passed": False, "errored_devices": 0}, ExitCode.FINDINGS),
        ({"passed": False, "errored_devices": 2}, ExitCode.DEVICE_ERRORS),
    ],
)
def test_exit_codes_are_distinct_and_errors_win(summary, code):
    assert for_summary(summary) == code
    assert [c.value for c in ExitCode] == [0, 1, 2, 3]


def test_a_birth_date_on_29_february():
    assert years_before(date(2028, 2, 29), 13) == date(2015, 2, 28)
    assert years_before(date(2028, 2, 29), 12) == date(2016, 2, 29)
    assert years_before(date(2026, 3, 2), 13) == date(2013, 3, 2)


def test_a_minor_registers_on_29_february(tmp_path, monkeypatch):
    thirteen = dataclasses.replace(persona("minor-with-guardian"), minor_age=13)
    monkeypatch.setattr(run_module, "pick_persona", lambda name, rng: thirteen)
    leap_day = tmp_path / "leap-day.yaml"
    # the run starts on 2026-03-02; 729 days later is 29 February 2028
    leap_day.write_text("name: leap-day\napp: any\nsteps: [{advance: P729D}, launch, register]\n")
    seeds = str(examples_dir() / "apps" / "seed_apps.py")
    [device] = run_fleet([Job(seeds, "zhenyi-erp", str(leap_day), 1)], workers=1)
    assert device.errors == []
    registered = next(e for e in device.events if e["type"] == "account.registered")
    assert registered["t"].startswith("2028-02-29") and registered["minor"] is True
