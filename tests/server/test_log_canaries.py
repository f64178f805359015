"""No personal data in any log: canaries planted in every kind of request to a real
gunicorn (the shipped config: JSON lines, access log included) appear in no line of any
sink — the access log, the error log, and whatever the processes write to stdout/stderr.
"""

from __future__ import annotations

import json
import logging
import socket
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from consentkit.server import logs

from .live import PG_URL, live_server

PHONE = "+8613912340001"
LAT, LON = "23.123457", "113.654321"
IMEI = "490154203237518"
ANDROID_ID = "9a7bd56d682e549c"
IDFA = "6D92078A-8246-4BA4-AE5B-76104861E7DC"
EMAIL = "canary.person@example.com"


def canary_forms() -> dict[str, list[str]]:
    """Each canary as it could appear in a line: raw, spelled otherwise, URL-encoded."""
    national = PHONE.removeprefix("+86")
    return {
        "phone": [national, quote(PHONE), f"{national[:3]} {national[3:7]} {national[7:]}"],
        "coordinates": [LAT, LON],
        "imei": [IMEI],
        "device id": [ANDROID_ID, IDFA, IDFA.lower()],
        "e-mail": [EMAIL, quote(EMAIL), "canary.person%40example.com"],
    }


def _raw(port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        s.recv(1000)


def plant(base: str) -> int:
    """Every way a canary can reach the server; returns how many requests were sent."""
    sent = 0
    with httpx.Client(base_url=base, timeout=30) as http:

        def go(method: str, url: str, **kwargs) -> httpx.Response:
            nonlocal sent
            sent += 1
            return http.request(method, url, **kwargs)

        national = PHONE.removeprefix("+86")
        for spelled in (PHONE, f"0086 {national}", national):
            go("POST", "/auth/code", json={"phone": spelled})
        code = go("GET", "/dev/outbox", params={"phone": PHONE}).json()[0]["body"]
        code = code.split("code is ")[1][:6]
        go("POST", "/auth/register", json={"phone": PHONE, "code": "000000", "password": "x" * 9})
        tokens = go(
            "POST",
            "/auth/register",
            json={"phone": PHONE, "code": code, "password": "correct horse 1"},
        ).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        for _ in range(8):  # wrong passwords, then 429s
            go("POST", "/auth/login", json={"phone": PHONE, "password": "wrong horse 1"})
        go("POST", f"/auth/login?phone={quote(PHONE)}", json={"phone": PHONE, "password": "a"})
        version = go("GET", "/apps/fieldnotes/policy").json()["version"]
        everything = {
            "account": True,
            "security": True,
            "customer_positioning": True,
            "customer_import": True,
            "ads_measurement": True,
        }
        install = uuid.uuid4().hex
        go(
            "POST",
            "/consents",
            json={"app_id": "fieldnotes", "policy_version": version, "purposes": everything},
            headers=auth,
        )
        go("GET", f"/consents?app_id=fieldnotes&install_id={install}", headers=auth)
        go(
            "POST",
            "/devices",
            headers=auth,
            json={
                "app_id": "fieldnotes",
                "install_id": install,
                "platform": "android",
                "os_version": "14",
                "app_version": "1.0",
                "identifiers": [
                    {
                        "category": "user.device.device_id.android_id",
                        "purpose": "security",
                        "value": ANDROID_ID,
                    },
                    {
                        "category": "user.device.device_id.imei",
                        "purpose": "security",
                        "value": IMEI,
                    },
                    {
                        "category": "user.device.device_id.idfa",
                        "purpose": "ads_measurement",
                        "value": IDFA,
                    },
                ],
            },
        )
        go("POST", "/orgs", json={"name": f"Org of {EMAIL}"}, headers=auth)
        now = datetime.now(UTC).isoformat()
        customer = go(
            "POST",
            "/customers",
            headers=auth,
            json={
                "app_id": "fieldnotes",
                "name": f"Shop {EMAIL}",
                "phone": PHONE,
                "location": {"lat": float(LAT), "lon": float(LON), "collected_at": now},
            },
        ).json()
        go("POST", "/customers/nearby", json={"lat": float(LAT), "lon": float(LON)}, headers=auth)
        go(
            "POST",
            f"/customers/{customer['id']}/navigation",
            json={"lat": float(LAT), "lon": float(LON)},
            headers=auth,
        )
        # positions and personal values in URLs: refused, but they pass the access log
        go("GET", f"/customers?lat={LAT}&lon={LON}", headers=auth)
        go("GET", f"/customers/nearby?lat={LAT}&lon={LON}&radius_km=5", headers=auth)
        go("GET", f"/customers/{customer['id']}?lat={LAT}&lon={LON}", headers=auth)
        go("GET", f"/customers?email={quote(EMAIL)}&imei={IMEI}", headers=auth)
        go("GET", f"/customers/{EMAIL}", headers=auth)
        go("GET", f"/nowhere/{PHONE}/{IMEI}/{ANDROID_ID}", headers=auth)
        go(
            "POST",
            "/customers/import",
            headers=auth,
            json={"app_id": "fieldnotes", "contacts": [{"name": EMAIL, "phone": PHONE}]},
        )
        go(
            "POST",
            "/collect",
            headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
            json={
                "app_id": "fieldnotes",
                "events": [
                    {
                        "category": "user.location.precise",
                        "purpose": "customer_positioning",
                        "feature": "add_customer",
                        "collected_at": now,
                        "payload": {"lat": float(LAT), "lon": float(LON)},
                    },
                    {
                        "category": "user.contact.phone_number",
                        "purpose": "account",
                        "feature": "nowhere",
                        "collected_at": now,
                        "payload": {"value": PHONE},
                    },
                ],
            },
        )
        go("POST", "/orgs/invitations", json={"phone": PHONE}, headers=auth)
        go(
            "POST",
            "/customers",
            content=f'{{"name": "{EMAIL}", "phone": "{PHONE}"',
            headers={**auth, "Content-Type": "application/json"},
        )
        go(
            "GET",
            "/me/data?app_id=fieldnotes",
            headers={
                **auth,
                "Referer": f"https://app.example/?phone={PHONE}&email={EMAIL}",
                "User-Agent": f"Canary/1.0 ({IMEI}; {EMAIL})",
            },
        )
        go("DELETE", f"/orgs/me?phone={quote(PHONE)}", headers=auth)  # a 405
    port = int(base.split(":")[2].split("/")[0])
    # requests gunicorn itself refuses, with the canaries in the request line and headers
    _raw(port, f"GET /api/v1/x?phone={PHONE}&lat={LAT} HTTP/1.1 junk\r\n\r\n".encode())
    _raw(port, f"GET /api/v1/x HTTP/1.1\r\nX Bad: {EMAIL} {IMEI}\r\n\r\n".encode())
    _raw(port, f"GET /api/v1/{ANDROID_ID}?e={EMAIL} HTTP/9.9\r\n\r\n".encode())
    return sent + 3


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request) -> str:
    if request.param == "postgres" and not PG_URL:
        pytest.skip("PostgreSQL run needs CONSENTKIT_TEST_POSTGRES_URL")
    return request.param


def test_no_canary_reaches_any_log_sink_of_a_real_gunicorn(backend, tmp_path):
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    with live_server(
        backend,
        tmp_path,
        workers=1,
        threads=4,
        settings={"CONSENTKIT_RATELIMIT_ENABLED": "true"},
        gunicorn_args=(
            "-c",
            "python:consentkit.server.gunicorn_conf",
            "--access-logfile",
            str(access),
            "--error-logfile",
            str(errors),
            "--log-level",
            "debug",
        ),
        cli_setup=False,
    ) as live:
        sent = plant(live.base)
    sinks = {"access log": access, "error log": errors, "stdout/stderr": live.log_path}
    lines = {name: path.read_text("utf-8").splitlines() for name, path in sinks.items()}
    # the sinks are really written to, as structured lines
    requests = [json.loads(line) for line in lines["access log"]]
    assert len(requests) >= sent - 3, (len(requests), sent)
    assert {r["http"]["status"] for r in requests} >= {200, 201, 401, 404, 405, 422, 429}
    assert any(r["http"]["path"].startswith("/api/v1/customers") for r in requests)
    assert all(json.loads(line)["level"] for line in lines["error log"])
    assert any("Invalid request" in json.loads(line)["message"] for line in lines["error log"])
    leaks = [
        f"{sink}: {kind} in {line[:300]}"
        for sink, text in lines.items()
        for line in text
        for kind, forms in canary_forms().items()
        if any(form in line for form in forms)
    ]
    assert leaks == []


def test_redaction_of_free_text_and_personal_fields(caplog):
    text = (
        f"GET /api/v1/customers?lat={LAT}&lon={LON} from ip=203.0.113.77 for {EMAIL}, "
        f"phone 0086 139 1234 0001, imei {IMEI}, device {ANDROID_ID} {IDFA}, at {LAT},{LON}"
    )
    clean = logs.redact(text)
    for forms in canary_forms().values():
        assert not any(form in clean for form in forms), clean
    assert "/api/v1/customers?[redacted]" in clean and "ip=203.0.113.0" in clean
    # ids of our own (32 hex) and ordinary numbers stay readable
    own = uuid.uuid4().hex
    assert (
        logs.redact(f"/api/v1/customers/{own} 200 in 12 ms")
        == f"/api/v1/customers/{own} 200 in 12 ms"
    )

    record = logging.LogRecord("consentkit.x", logging.INFO, __file__, 1, "user %s", (PHONE,), None)
    record.phone, record.install_id, record.count = PHONE, "abc", 3
    logs.Redact().filter(record)
    line = json.loads(logs.JsonFormatter().format(record))
    assert PHONE not in json.dumps(line) and line["phone"] == "[redacted]" and line["count"] == 3


def test_a_gunicorn_without_our_config_still_redacts(tmp_path):
    """The README's plain command with gunicorn's own text access log: ``wsgi.py`` puts
    the redaction on whatever handlers gunicorn made."""
    access = tmp_path / "access.log"
    with live_server(
        "sqlite",
        tmp_path,
        workers=1,
        gunicorn_args=("--access-logfile", str(access)),
        cli_setup=False,
    ) as live:
        httpx.get(f"{live.base}/customers/nearby?lat={LAT}&lon={LON}&email={EMAIL}")
        httpx.get(f"{live.base}/apps/fieldnotes/policy")
    text = access.read_text("utf-8") + Path(live.log_path).read_text("utf-8")
    assert "GET /api/v1/customers/nearby HTTP/1.1" in text  # the request line, no query
    assert LAT not in text and EMAIL not in text and quote(EMAIL) not in text
