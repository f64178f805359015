"""A fleet on Locust — a master and two worker processes — against gunicorn workers: the
devices of ``consentkit simulate --server``, audited the same way, with the same findings.

(Against the same kind of server: the embedded one also lets the audit read the server's
own log lines, which a running server does not hand to its clients.)"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from consentkit.examples import examples_dir
from tests.server.live import PG_URL, free_port, live_server

BIN = Path(sys.executable).parent
LOCUSTFILE = examples_dir() / "locustfile.py"
APPS = str(examples_dir() / "apps" / "misbehaving.py")
SCENARIO = str(examples_dir() / "scenarios" / "misbehaving.yaml")  # no time travel


def findings(report: Path) -> list[tuple[str, str]]:
    return sorted((f["device"], f["rule"]) for f in json.loads(report.read_text())["findings"])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    backend = "postgres" if PG_URL else "sqlite"
    with live_server(backend, tmp_path_factory.mktemp("locust-server")) as live:
        yield live


def test_a_fleet_over_two_locust_workers_gives_the_in_process_findings(server, tmp_path):
    fleet = ["--ck-apps", APPS, "--ck-scenario", SCENARIO, "--ck-devices", "2", "--ck-seed", "7"]
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    master = subprocess.Popen(
        [
            str(BIN / "locust"),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--master",
            "--master-bind-port",
            str(port),
            "--expect-workers",
            "2",
            "-u",
            "6",
            "-r",
            "6",
            "--host",
            server.base.removesuffix("/api/v1"),
            "--csv",
            str(tmp_path / "stats"),
            "--only-summary",
            *fleet,
            "--ck-out",
            str(tmp_path / "locust"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    workers = [
        subprocess.Popen(
            [str(BIN / "locust"), "-f", str(LOCUSTFILE), "--worker", "--master-port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        output = master.communicate(timeout=300)[0]
    finally:
        for worker in [master, *workers]:
            if worker.poll() is None:
                worker.kill()
    in_process = subprocess.run(
        [
            str(BIN / "consentkit"),
            "simulate",
            "--apps",
            APPS,
            "--scenario",
            SCENARIO,
            "--devices",
            "2",
            "--seed",
            "7",
            "--quiet",
            "--server",
            server.base.removesuffix("/api/v1"),
            "--out",
            str(tmp_path / "in-process"),
        ],
        capture_output=True,
        text=True,
    )
    assert (tmp_path / "locust" / "report.json").exists(), output[-3000:]
    assert master.returncode == in_process.returncode, output[-3000:]
    over_locust = findings(tmp_path / "locust" / "report.json")
    assert over_locust and over_locust == findings(tmp_path / "in-process" / "report.json")
    report = json.loads((tmp_path / "locust" / "report.json").read_text())
    assert (
        report["summary"]["devices"]
        == json.loads((tmp_path / "in-process" / "report.json").read_text())["summary"]["devices"]
    )
    with (tmp_path / "stats_stats.csv").open() as fh:
        routes = {row["Name"]: int(row["Request Count"]) for row in csv.DictReader(fh)}
    assert routes.get("/api/v1/auth/register", 0) >= report["summary"]["devices"] // 2
    assert "Traceback" not in output
