"""docs/deployment.md, run as written: its environment file, release steps, server, nginx
site and cron line, on PostgreSQL + Redis, with a fake SMS gateway; then a user signs up
through nginx outside development."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from consentkit.server.config import defaults

from .fakes import sms_gateway
from .live import PG_URL, _drop_schema, _postgres_schema_url, free_port
from .test_deployment import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deployment.md"
VENV = Path(sys.executable).parent.parent
NGINX = shutil.which("nginx")
# Settings that are not app config keys: the instance folder, flask-limiter's own.
OTHER_SETTINGS = {"INSTANCE_PATH", "RATELIMIT_KEY_PREFIX"}


def block(marker: str) -> str:
    text = GUIDE.read_text("utf-8")
    return re.search(rf"<!-- deploy:{marker} -->\n```\w+\n(.*?)```", text, re.S).group(1)


def test_every_setting_the_guide_names_exists():
    known = set(defaults("/tmp")) | OTHER_SETTINGS
    in_file = re.findall(r"^CONSENTKIT_(\w+)=", block("environment"), re.M)
    in_table = re.findall(r"^\| `([A-Z_]+)` \|", GUIDE.read_text("utf-8"), re.M)
    in_text = re.findall(r"`(SMS_GATEWAY_\w+|SMTP_\w+|SENDER\w*)`", GUIDE.read_text("utf-8"))
    assert len(in_file) >= 8 and len(in_table) >= 8
    assert set(in_file + in_table + in_text) <= known, set(in_file + in_table + in_text) - known


def _localise(script: str, tmp: Path) -> str:
    """The guide's paths, moved into the test's folder and this checkout's venv."""
    return (
        script.replace("/etc/consentkit/", f"{tmp}/etc/")
        .replace("/opt/consentkit/.venv", str(VENV))
        .replace("/var/log/consentkit/", f"{tmp}/log/")
    )


@pytest.mark.skipif(not PG_URL, reason="needs CONSENTKIT_TEST_POSTGRES_URL (.ci/run sets it)")
@pytest.mark.skipif(not REDIS_URL, reason="needs CONSENTKIT_TEST_REDIS_URL (.ci/run sets it)")
@pytest.mark.skipif(NGINX is None, reason="needs nginx (apt-get install nginx; .ci/run does)")
def test_the_deployment_guide_runs_as_written(tmp_path):
    schema = f"guide_{uuid.uuid4().hex[:8]}"
    api_port, proxy_port = free_port(), free_port()
    for folder in ("etc/manifests", "log", "nginx"):
        (tmp_path / folder).mkdir(parents=True)
    for manifest in (ROOT / "examples" / "manifests").glob("*.yaml"):
        shutil.copy(manifest, tmp_path / "etc" / "manifests")
    processes: list[subprocess.Popen] = []
    with sms_gateway() as gateway:
        # 1. the environment file, with this machine's services in place of the examples
        ours = {
            "DATABASE_URL": _postgres_schema_url(schema),
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SMS_GATEWAY_URL": gateway.url,
        }
        lines = []
        for line in block("environment").splitlines():
            name = re.match(r"CONSENTKIT_(\w+)=", line)
            if name and name.group(1) in ours:
                line = f"CONSENTKIT_{name.group(1)}={ours[name.group(1)]}"
            lines.append(line)
        lines += [
            f"CONSENTKIT_RATELIMIT_KEY_PREFIX=guide-{schema}",
            'CONSENTKIT_OTP_LIMIT_PER_CLIENT="4 per hour"',
            "CONSENTKIT_ARGON2_TIME_COST=1",
            "CONSENTKIT_ARGON2_MEMORY_COST=256",
        ]
        (tmp_path / "etc" / "consentkit.env").write_text("\n".join(lines) + "\n")
        env = {
            k: v for k, v in os.environ.items() if not k.startswith("CONSENTKIT_") or "TEST" in k
        }
        env["PATH"] = f"{VENV / 'bin'}:{env['PATH']}"
        try:
            # 3. release: migrate and publish
            release = subprocess.run(
                ["bash", "-e", "-c", _localise(block("release"), tmp_path)],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert release.returncode == 0, release.stderr + release.stdout
            assert "policy: zhenyi-erp" in release.stdout

            # 4. the server: two workers here, on a free port
            start = _localise(block("start"), tmp_path)
            start = start.replace("--workers 4", "--workers 2").replace(
                "127.0.0.1:8000", f"127.0.0.1:{api_port}"
            )
            script = "set -a; . {}/etc/consentkit.env; set +a\nexec {}".format(
                tmp_path, start.strip().removesuffix("&")
            )
            log = (tmp_path / "serve.log").open("w")
            processes.append(
                subprocess.Popen(
                    ["bash", "-c", script],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

            # 5. nginx with the guide's site, on free ports and in the test's folder
            site = (
                block("nginx")
                .replace("listen 80;", f"listen 127.0.0.1:{proxy_port};")
                .replace("127.0.0.1:8000", f"127.0.0.1:{api_port}")
                .replace("/var/log/nginx/", f"{tmp_path}/nginx/")
            )
            temp = tmp_path / "nginx"
            conf = temp / "nginx.conf"
            conf.write_text(
                f"user root;\nworker_processes 1;\npid {temp}/nginx.pid;\n"
                f"error_log {temp}/error.log;\nevents {{}}\nhttp {{\n"
                + "".join(
                    f"  {kind}_temp_path {temp}/{kind};\n"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
                )
                + site
                + "\n}\n"
            )
            processes.append(
                subprocess.Popen(
                    [NGINX, "-p", str(temp), "-c", str(conf), "-g", "daemon off;"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            base = f"http://127.0.0.1:{proxy_port}/api/v1"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/apps/zhenyi-erp/policy", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.3)

            # Sign-up through nginx, outside development: the code goes to the gateway.
            with httpx.Client(base_url=base, timeout=30) as client:
                phone = "+8613800138123"
                assert client.post("/auth/code", json={"phone": phone}).status_code == 202
                (sent,) = gateway.requests
                assert sent["headers"]["Authorization"] == "Bearer <gateway token>"
                assert sent["json"]["to"] == phone
                tokens = client.post(
                    "/auth/register",
                    json={"phone": phone, "code": gateway.code(), "password": "correct horse 1"},
                )
                assert tokens.status_code == 201, tokens.text
                auth = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
                version = client.get("/apps/zhenyi-erp/policy").json()["version"]
                consent = client.post(
                    "/consents",
                    headers=auth,
                    json={
                        "app_id": "zhenyi-erp",
                        "policy_version": version,
                        "purposes": {"account": True, "security": True},
                    },
                )
                assert consent.status_code == 201, consent.text
                assert client.get("/dev/outbox?phone=%2B8613800138123").status_code == 404
                docs = httpx.get(f"http://127.0.0.1:{proxy_port}/api/docs/assets/swagger-ui.css")
                assert docs.status_code == 200  # the docs' files, through nginx

                # nginx replaces X-Forwarded-For: a client cannot invent addresses to
                # escape the per-client limit (4 per hour here; one code already sent).
                spoofed = [
                    client.post(
                        "/auth/code",
                        json={"phone": f"+861380013{8200 + i}"},
                        headers={"X-Forwarded-For": f"203.0.113.{i}"},
                    ).status_code
                    for i in range(4)
                ]
                assert spoofed == [202, 202, 202, 429]

            # 6. the cron line, run once
            cron = _localise(block("cron"), tmp_path).split("* * * * * ", 1)[1]
            ran = subprocess.run(["bash", "-c", cron], env=env, timeout=120)
            assert ran.returncode == 0
            assert '"purges"' in (tmp_path / "log" / "jobs.log").read_text()
        finally:
            for process in reversed(processes):
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
            _drop_schema(schema)

    # 7. logs: the access log has the paths and no query strings (no phone in it)
    access = (tmp_path / "nginx" / "consentkit.log").read_text()
    assert "POST /api/v1/auth/register" in access and "GET /api/v1/dev/outbox" in access
    assert "phone=" not in access and "8613800138123" not in access
    served = (tmp_path / "serve.log").read_text()
    assert served.count("Booting worker") == 2 and served.count("jobs runner started") == 1
    assert "Traceback" not in served and "development server" not in served
