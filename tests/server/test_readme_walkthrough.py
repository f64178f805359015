"""The README's curl walkthrough, run as written against a real ``consentkit serve``."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("curl") is None, reason="the walkthrough needs curl")
def test_readme_walkthrough_runs_as_written_and_again(tmp_path):
    readme = (ROOT / "README.md").read_text("utf-8")
    script = re.search(r"<!-- walkthrough -->\n```bash\n(.*?)```", readme, re.S).group(1)
    port = _free_port()
    env = {**os.environ, "CONSENTKIT_ENV": "development", "CONSENTKIT_INSTANCE_PATH": str(tmp_path)}
    consentkit = Path(sys.executable).parent / "consentkit"
    server = subprocess.Popen(
        [str(consentkit), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        for attempt in ("first run", "second run: the phone has its account already"):
            run = subprocess.run(
                ["bash", "-c", script],
                env={**env, "B": base},
                capture_output=True,
                text=True,
                timeout=60,
            )
            lines = run.stdout.strip().splitlines()
            assert run.returncode == 0, (attempt, run.stderr)
            assert "Traceback" not in run.stderr and "KeyError" not in run.stderr, attempt
            assert any(line.startswith("receipt ") for line in lines), (attempt, run.stdout)
            assert "accepted" in lines, attempt
            assert any("'deleted': 1" in line for line in lines), attempt
            assert lines[-2:] == ["consent_required", "malformed_json"], attempt
    finally:
        server.terminate()
        log = server.communicate(timeout=10)[0]
    assert "Traceback" not in log
