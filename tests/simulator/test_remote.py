"""``consentkit simulate --server URL``: the same devices against a running server."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from consentkit.cli import main
from consentkit.examples import examples_dir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_simulate_against_a_running_server(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "CONSENTKIT_ENV": "development",
        "CONSENTKIT_INSTANCE_PATH": str(tmp_path),
        "CONSENTKIT_RATELIMIT_ENABLED": "false",
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "consentkit"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
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
    finally:
        server.terminate()
        log = server.communicate(timeout=10)[0]
    assert "Traceback" not in log
