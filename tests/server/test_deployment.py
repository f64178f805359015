"""The README's multi-worker deployment, run as written on a fresh PostgreSQL schema with
Redis, then the README's curl walkthrough against it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .live import PG_URL, _drop_schema, _postgres_schema_url, free_port

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("CONSENTKIT_TEST_REDIS_URL")


def readme_block(marker: str) -> str:
    readme = (ROOT / "README.md").read_text("utf-8")
    return re.search(rf"<!-- {marker} -->\n```bash\n(.*?)```", readme, re.S).group(1)


@pytest.mark.skipif(not PG_URL, reason="needs CONSENTKIT_TEST_POSTGRES_URL (.ci/run sets it)")
@pytest.mark.skipif(not REDIS_URL, reason="needs CONSENTKIT_TEST_REDIS_URL (.ci/run sets it)")
@pytest.mark.skipif(shutil.which("curl") is None, reason="the walkthrough needs curl")
def test_readme_deployment_serves_the_walkthrough(tmp_path):
    # The block's relative paths, from a folder that looks like the checkout.
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    schema = f"deploy_{os.getpid()}"
    port = free_port()
    env = {
        **os.environ,
        "CONSENTKIT_DATABASE_URL": _postgres_schema_url(schema),
        "CONSENTKIT_RATELIMIT_STORAGE_URI": REDIS_URL,
        "CONSENTKIT_RATELIMIT_KEY_PREFIX": f"deploy-{os.getpid()}",
        "CONSENTKIT_ENV": "development",
        "CONSENTKIT_INSTANCE_PATH": str(tmp_path / "instance"),
        "PORT": str(port),
    }
    script = readme_block("deployment") + 'echo "$!" > gunicorn.pid\n'
    try:
        log = tmp_path / "deployment.log"
        with log.open("w") as out:  # a file, not a pipe: gunicorn keeps running with it
            run = subprocess.run(
                ["bash", "-e", "-c", script],
                cwd=tmp_path,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=120,
            )
        assert run.returncode == 0, log.read_text()
        assert "policy: zhenyi-erp" in log.read_text()
        base = f"http://127.0.0.1:{port}/api/v1"
        for _ in range(100):
            try:
                httpx.get(f"{base}/apps/zhenyi-erp/policy", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
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
        again = subprocess.run(
            [
                str(tmp_path / ".venv/bin/consentkit"),
                "policy",
                "publish",
                "examples/manifests/incs.yaml",
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        assert again.returncode == 0 and "unchanged" in again.stdout
    finally:
        pid_file = tmp_path / "gunicorn.pid"
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
            time.sleep(1)
        _drop_schema(schema)
    assert "Traceback" not in log.read_text()
