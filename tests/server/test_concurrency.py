"""The ledger's promises under real parallel load: gunicorn workers, many connections.

Each test releases its threads together with a barrier against a real multi-worker
server (on SQLite and on PostgreSQL) and repeats enough rounds to fail on code that
serializes nothing. What is promised:

- once a withdrawal has answered, nothing collected under the withdrawn consent remains
  (the manifest says ``delete``) and nothing checked after it is accepted;
- a subject's receipt chain never forks; the audit log never forks, and ``consentkit
  audit verify`` is clean after a storm;
- exactly one of many concurrent refreshes of one refresh token succeeds;
- a request raced by its twin gets a 409 problem, never a 500.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest

from .conftest import EVERY_PURPOSE, new_phone
from .live import PG_URL, live_server


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live(request, tmp_path_factory):
    if request.param == "postgres" and not PG_URL:
        pytest.skip("PostgreSQL run needs CONSENTKIT_TEST_POSTGRES_URL")
    with live_server(request.param, tmp_path_factory.mktemp(request.param)) as server:
        yield server
    log = server.log_path.read_text()
    assert "Traceback" not in log, log[-3000:]


def run_together(n: int, work) -> list:
    """Call ``work(i)`` in ``n`` threads released at the same moment."""
    barrier = threading.Barrier(n)

    def go(i: int):
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(go, range(n)))


def code(http: httpx.Client, phone: str) -> str:
    assert http.post("/auth/code", json={"phone": phone}).status_code == 202
    box = http.get("/dev/outbox", params={"phone": phone}).json()
    return box[0]["body"].split("code is ")[1][:6]


def register(http: httpx.Client, purposes: dict | None = None) -> dict:
    phone = new_phone()
    r = http.post(
        "/auth/register",
        json={"phone": phone, "code": code(http, phone), "password": "correct horse 1"},
    )
    assert r.status_code == 201, r.text
    tokens = r.json()
    tokens["phone"] = phone
    tokens["auth"] = {"Authorization": f"Bearer {tokens['access_token']}"}
    version = http.get("/apps/fieldnotes/policy").json()["version"]
    r = http.post(
        "/consents",
        json={
            "app_id": "fieldnotes",
            "policy_version": version,
            "purposes": purposes or EVERY_PURPOSE,
        },
        headers=tokens["auth"],
    )
    assert r.status_code == 201, r.text
    tokens["version"] = version
    return tokens


def location_event() -> dict:
    return {
        "app_id": "fieldnotes",
        "events": [
            {
                "category": "user.location.coarse",
                "purpose": "customer_positioning",
                "feature": "add_customer",
                "collected_at": datetime.now(UTC).isoformat(),
                "payload": {"lat": 23.13, "lon": 113.26},
            }
        ],
    }


def test_nothing_collected_under_a_withdrawn_consent_survives_the_withdrawal(live):
    rounds, writers = 6, 8
    survivors, accepted_after = [], []
    with live.client() as http:
        for _ in range(rounds):
            user = register(http)
            answered = threading.Event()
            flowing = threading.Event()  # collects are being accepted
            results: list[tuple[bool, str]] = []  # (sent after the withdrawal answered, status)

            def stream(
                i: int, user=user, answered=answered, flowing=flowing, results=results
            ) -> None:
                with live.client() as mine:
                    while True:
                        sent_after = answered.is_set()
                        r = mine.post(
                            "/collect",
                            json=location_event(),
                            headers={**user["auth"], "Idempotency-Key": uuid.uuid4().hex},
                        )
                        assert r.status_code == 200, r.text
                        status = r.json()["results"][0]["status"]
                        results.append((sent_after, status))
                        if status == "accepted" and len(results) >= writers:
                            flowing.set()
                        if sent_after:
                            return

            def withdraw(i: int, user=user, answered=answered, flowing=flowing) -> None:
                if i < writers:
                    return stream(i)
                try:
                    assert flowing.wait(60), "the collectors never got going"
                    r = http.post(
                        "/consents/withdraw",
                        json={"app_id": "fieldnotes", "purposes": ["customer_positioning"]},
                        headers=user["auth"],
                    )
                    assert r.status_code == 200, r.text
                finally:
                    answered.set()  # the collectors send one more each, then stop

            run_together(writers + 1, withdraw)
            survivors.append(
                live.sql(
                    "SELECT count(*) FROM collected_items WHERE user_id = :u"
                    " AND purpose = 'customer_positioning'",
                    u=user["user"]["id"],
                )[0][0]
            )
            accepted_after.append(sum(after and s == "accepted" for after, s in results))
    assert survivors == [0] * rounds, f"rows kept after the withdrawal answered: {survivors}"
    assert accepted_after == [0] * rounds


def test_concurrent_consent_changes_keep_one_receipt_chain(live):
    with live.client() as http:
        for _ in range(3):
            user = register(http)

            def change(i: int, user=user) -> int:
                with live.client() as mine:
                    r = mine.post(
                        "/consents",
                        json={
                            "app_id": "fieldnotes",
                            "policy_version": user["version"],
                            "purposes": {"customer_import": bool(i % 2), "product_photos": True},
                        },
                        headers=user["auth"],
                    )
                    return r.status_code

            assert run_together(12, change) == [201] * 12
            r = http.get(
                "/consents/receipts", params={"app_id": "fieldnotes"}, headers=user["auth"]
            )
            receipts = r.json()["receipts"]
            assert len(receipts) == 13
            predecessors = Counter(rc["extensions"]["previousReceiptID"] for rc in receipts)
            assert max(predecessors.values()) == 1, predecessors.most_common(2)
            assert r.json()["chain_valid"] is True


def test_concurrent_appends_by_different_users_leave_a_clean_audit_log(live):
    with live.client() as http:
        users = [register(http) for _ in range(10)]

    def storm(i: int) -> list[int]:
        user = users[i % len(users)]
        statuses = []
        with live.client() as mine:
            for k in range(3):
                if (i + k) % 2:
                    r = mine.get("/me/data", params={"app_id": "fieldnotes"}, headers=user["auth"])
                else:
                    r = mine.post(
                        "/consents",
                        json={
                            "app_id": "fieldnotes",
                            "policy_version": user["version"],
                            "purposes": {"customer_import": bool(k % 2)},
                        },
                        headers=user["auth"],
                    )
                statuses.append(r.status_code)
        return statuses

    assert {s for batch in run_together(20, storm) for s in batch} <= {200, 201}
    verify = live.consentkit("audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    forks = live.sql(
        "SELECT prev_hash, count(*) FROM audit_log GROUP BY prev_hash HAVING count(*) > 1"
    )
    assert forks == []


def test_exactly_one_concurrent_refresh_succeeds(live):
    with live.client() as http:
        for _ in range(4):
            user = register(http)
            token = {"Authorization": f"Bearer {user['refresh_token']}"}

            def refresh(i: int, token=token) -> int:
                with live.client() as mine:
                    return mine.post("/auth/refresh", headers=token).status_code

            statuses = Counter(run_together(8, refresh))
            assert statuses[200] == 1, statuses
            assert set(statuses) == {200, 401}, statuses


def test_twin_requests_get_a_conflict_never_a_server_error(live):
    with live.client() as http:
        creator = register(http)

        def create_org(i: int) -> int:
            with live.client() as mine:
                return mine.post(
                    "/orgs", json={"name": "Twins"}, headers=creator["auth"]
                ).status_code

        assert sorted(run_together(8, create_org)) == [201] + [409] * 7

        for _ in range(4):
            phone = new_phone()
            sent = code(http, phone)

            def sign_up(i: int, phone=phone, sent=sent) -> int:
                with live.client() as mine:
                    body = {"phone": phone, "code": sent, "password": "correct horse 1"}
                    return mine.post("/auth/register", json=body).status_code

            statuses = Counter(run_together(3, sign_up))
            assert statuses[201] == 1 and statuses[500] == 0, statuses

        admins = [register(http) for _ in range(2)]
        for admin in admins:
            assert (
                http.post("/orgs", json={"name": "Org"}, headers=admin["auth"]).status_code == 201
            )
        for _ in range(3):
            wanted = register(http)
            invitations = [
                http.post(
                    "/orgs/invitations", json={"phone": wanted["phone"]}, headers=admin["auth"]
                ).json()["id"]
                for admin in admins
            ]

            def accept(i: int, wanted=wanted, invitations=invitations) -> int:
                with live.client() as mine:
                    return mine.post(
                        f"/me/invitations/{invitations[i]}/accept", headers=wanted["auth"]
                    ).status_code

            assert sorted(run_together(2, accept)) == [200, 409]
