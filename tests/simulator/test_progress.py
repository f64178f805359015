"""Progress: devices counted as they finish, with rate and ETA; plain lines off a terminal."""

import io
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from consentkit.cli import main
from consentkit.examples import examples_dir
from consentkit.simulator.progress import FleetProgress
from consentkit.simulator.run import Job, run_fleet

QA_APPS = str(Path(__file__).parent / "apps" / "qa_apps.py")
SMOKE = str(examples_dir() / "scenarios" / "smoke.yaml")


def test_devices_are_reported_as_they_finish_not_in_submission_order():
    finished = []
    results = run_fleet(
        [Job(QA_APPS, "slow-first", SMOKE, 4)],
        workers=2,
        on_device=lambda r: finished.append(r.device),
    )
    assert sorted(finished) == [r.device for r in results]  # each device once
    # the first device sleeps at launch: the other worker's device finishes (and is
    # counted) before it, where results consumed in order would have waited for it
    assert finished[0] != "slow-first-00000"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_off_a_terminal_with_rate_and_eta():
    out = io.StringIO()
    clock = Clock()
    console = Console(file=out, force_terminal=False, width=200)
    with FleetProgress("simulate", 10, console=console, interval=10, clock=clock) as progress:
        for n in range(4):
            clock.now += 4
            progress.done(errored=n == 1)
    lines = out.getvalue().splitlines()
    assert lines[0] == "simulate: 0/10 devices (0%), elapsed 0:00:00"
    # one line when 10 s had passed (after the third device), one at the end
    assert lines[1] == (
        "simulate: 3/10 devices (30%), 1 errored, 0.2 devices/s, ETA 0:00:28, elapsed 0:00:12"
    )
    assert (
        lines[2]
        == "simulate: 4/10 devices (40%), 1 errored, 0.2 devices/s, ETA 0:00:24, elapsed 0:00:16"
    )
    assert len(lines) == 3


def test_a_bar_with_rate_and_eta_on_a_terminal():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=160)
    with FleetProgress("simulate", 3, console=console) as progress:
        progress.done()
        progress._bar.refresh()
        shown = out.getvalue()
    assert "1/3" in shown and "devices/s" in shown and "ETA" in shown


def test_help_and_summary_say_devices_are_per_app(tmp_path):
    runner = CliRunner()
    assert "PER APP" in runner.invoke(main, ["simulate", "--help"]).output
    result = runner.invoke(
        main,
        [
            *("simulate", "--app", "zhenyi-erp", "--app", "incs", "--scenario", SMOKE),
            *("--devices", "2", "--workers", "1", "--out", str(tmp_path)),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("4 devices (2 apps × 2 devices)")
    # not a terminal: plain progress lines on stderr, the first and the last at least
    assert "simulate: 0/4 devices (0%)" in result.stderr
    assert "simulate: 4/4 devices (100%)" in result.stderr
