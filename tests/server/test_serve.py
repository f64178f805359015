"""``consentkit serve`` as an operator runs it: gunicorn workers, one jobs runner, --dev."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from consentkit.cli import main

from .live import PG_URL, _drop_schema, _postgres_schema_url, free_port
from .test_deployment import REDIS_URL, readme_block

CONSENTKIT = Path(sys.executable).parent / "consentkit"
DEV_SERVER_WARNING = "This is a development server"


@contextmanager
def serving(args: list[str], env: dict[str, str], log: Path) -> Iterator[str]:
    """``consentkit serve ARGS`` until it answers; its API base; stopped (SIGTERM) after."""
    port = free_port()
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(CONSENTKIT), "serve", "--port", str(port), *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the reloader's child goes down with it
        )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/apps/zhenyi-erp/policy", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "serve did not answer in 60 s\n" + log.read_text()
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_several_workers_with_the_memory_store_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("CONSENTKIT_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("CONSENTKIT_RATELIMIT_STORAGE_URI", raising=False)
    result = CliRunner().invoke(main, ["serve", "--workers", "2"])
    assert result.exit_code == 2
    assert "CONSENTKIT_RATELIMIT_STORAGE_URI" in result.output
    assert "2× the limits" in result.output
    assert not (tmp_path / "consentkit.sqlite").exists()  # refused before touching anything


@pytest.mark.skipif(not PG_URL, reason="needs CONSENTKIT_TEST_POSTGRES_URL (.ci/run sets it)")
@pytest.mark.skipif(not REDIS_URL, reason="needs CONSENTKIT_TEST_REDIS_URL (.ci/run sets it)")
@pytest.mark.skipif(shutil.which("curl") is None, reason="the walkthrough needs curl")
def test_two_workers_on_postgres_and_redis_serve_the_walkthrough_and_run_jobs(tmp_path):
    schema = f"serve_{os.getpid()}"
    env = {
        **os.environ,
        "CONSENTKIT_DATABASE_URL": _postgres_schema_url(schema),
        "CONSENTKIT_RATELIMIT_STORAGE_URI": REDIS_URL,
        "CONSENTKIT_RATELIMIT_KEY_PREFIX": f"serve-{os.getpid()}",
        "CONSENTKIT_ENV": "development",
        "CONSENTKIT_INSTANCE_PATH": str(tmp_path / "instance"),
        "CONSENTKIT_JOBS_INLINE": "false",  # exports wait for the jobs runner
    }
    log = tmp_path / "serve.log"
    try:
        with serving(["--workers", "2", "--jobs-every", "1"], env, log) as base:
            walk = subprocess.run(
                ["bash", "-c", readme_block("walkthrough")],
                env={**env, "B": base},
                capture_output=True,
                text=True,
                timeout=60,
            )
            lines = walk.stdout.strip().splitlines()
            assert walk.returncode == 0, walk.stderr
            assert "accepted" in lines and any("'deleted': 1" in line for line in lines)
            assert lines[-2:] == ["consent_required", "malformed_json"]

            # The one jobs runner beside the workers builds an export without being asked.
            login = httpx.post(
                f"{base}/auth/login",
                json={"phone": "+8613800138000", "password": "correct horse 1"},
            )
            auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
            export = httpx.post(f"{base}/me/exports", json={"app_id": "zhenyi-erp"}, headers=auth)
            assert export.status_code == 202, export.text
            assert export.json()["status"] == "pending"
            url = f"{base}/me/exports/{export.json()['id']}"
            for _ in range(100):
                if httpx.get(url, headers=auth).json()["status"] == "done":
                    break
                time.sleep(0.2)
            assert httpx.get(url, headers=auth).json()["status"] == "done"
    finally:
        _drop_schema(schema)
    text = log.read_text()
    assert text.count("Booting worker") == 2
    assert text.count("jobs runner started") == 1
    assert DEV_SERVER_WARNING not in text and "Traceback" not in text


def test_dev_mode_runs_flasks_reloader(tmp_path):
    env = {
        **os.environ,
        "CONSENTKIT_ENV": "development",
        "CONSENTKIT_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    log = tmp_path / "serve.log"
    with serving(["--dev", "--jobs-every", "0"], env, log) as base:
        assert httpx.get(f"{base}/apps/zhenyi-erp/policy").json()["app_id"] == "zhenyi-erp"
    text = log.read_text()
    assert "Restarting with" in text  # the reloader's child serves
    assert "Booting worker" not in text
