"""``consentkit simulate --server URL``: the same devices against a running server."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner

from consentkit.cli import main
from consentkit.examples import examples_dir
from consentkit.simulator.exit_codes import ExitCode


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def consentkit_serve(folder: Path, **settings: str):
    """``CONSENTKIT_ENV=development consentkit serve`` on a free port: its URL. The log
    goes to a file (a pipe nobody reads would fill and stall the server) and is checked
    for tracebacks when it stops."""
    port = _free_port()
    env = {
        **os.environ,
        "CONSENTKIT_ENV": "development",
        "CONSENTKIT_INSTANCE_PATH": str(folder),
        **settings,
    }
    folder.mkdir(parents=True, exist_ok=True)
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "consentkit"), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
    assert "Traceback" not in (folder / "server.log").read_text()


def test_smoke_on_50_devices_against_consentkit_serve_has_no_errors(tmp_path):
    """As a QA team runs it: a development server as it starts, the smoke scenario, five
    apps with ten phones each. The phones' clocks follow the server's real time, so no
    upload is dated before the consent it relies on (``403 consent_required``)."""
    smoke = str(examples_dir() / "scenarios" / "smoke.yaml")
    with consentkit_serve(tmp_path / "server") as url:
        result = CliRunner().invoke(
            main,
            [
                *("simulate", "--server", url, "--scenario", smoke),
                *("--devices", "10", "--out", str(tmp_path / "run")),
            ],
        )
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["summary"]["devices"] == 50
    assert report["summary"]["errored_devices"] == 0, result.stderr
    assert result.exit_code == ExitCode.CLEAN, result.output
    assert "device errors" not in result.output
    events = [json.loads(x) for x in (tmp_path / "run" / "trace.jsonl").read_text().splitlines()]
    times = [datetime.fromisoformat(e["t"]) for e in events if e["device"] == "incs-00000"]
    assert times == sorted(times) and times[-1] > times[0]  # real time passes on the phone


def test_an_unreachable_or_unsuitable_server_is_bad_input(tmp_path):
    runner = CliRunner()
    args = ["simulate", "--scenario", str(examples_dir() / "scenarios" / "smoke.yaml")]
    args += ["--devices", "1", "--out", str(tmp_path / "out")]
    result = runner.invoke(main, [*args, "--server", f"http://127.0.0.1:{_free_port()}"])
    assert result.exit_code == ExitCode.BAD_INPUT and "cannot reach" in result.output


def test_simulate_against_a_running_server(tmp_path):
    with consentkit_serve(tmp_path / "server", CONSENTKIT_RATELIMIT_ENABLED="false") as url:
        port = int(url.rsplit(":", 1)[1])
        runner = CliRunner()
        smoke = str(examples_dir() / "scenarios" / "smoke.yaml")
        args = [
            "simulate",
            "--server",
            f"http://127.0.0.1:{port}",
            "--scenario",
            smoke,
            "--devices",
            "2",
            "--app",
            "zhenyi-erp",
            "--workers",
            "1",
        ]
        first = runner.invoke(main, [*args, "--out", str(tmp_path / "a")])
        assert first.exit_code == 0, first.output
        again = runner.invoke(main, [*args, "--out", str(tmp_path / "b")])  # same seed, same server
        assert again.exit_code == 0, again.output
        report = json.loads((tmp_path / "b" / "report.json").read_text())
        assert report["summary"]["errors"] == 0 and report["summary"]["devices"] == 2
        reference = runner.invoke(
            main,
            [
                "simulate",
                "--server",
                f"http://127.0.0.1:{port}",
                "--devices",
                "1",
                "--app",
                "incs",
                "--workers",
                "1",
                "--out",
                str(tmp_path / "c"),
            ],
        )
        assert reference.exit_code == 3  # devices errored: time travel needs the embedded server
        errors = json.loads((tmp_path / "c" / "report.json").read_text())["errors"][0]["errors"]
        assert any("time travel needs the embedded server" in e for e in errors)
        assert "time travel needs the embedded server" in reference.stderr  # always printed
