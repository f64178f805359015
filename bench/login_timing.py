"""How long a wrong-password login takes for a phone with an account and for one without.

    python bench/login_timing.py [ROUNDS]        # default: 30 of each

The in-process server with the production Argon2 parameters (time cost 2, 19 MiB) and
rate limits off. If the two medians differ, the time of the answer tells whether an
account exists (issue 15 measured 38.6 ms against 6.0 ms). To measure another checkout's
code, put it first on the path: ``PYTHONPATH=/path/to/checkout``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import consentkit
from consentkit.server import create_app, db
from consentkit.server.models import Base

PHONES = ("+8613912345670", "+8613912345671")


def main(rounds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="consentkit-login-bench-"))
    app = create_app(
        {
            "ENV": "development",
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}",
            "RATELIMIT_ENABLED": False,
            "ARGON2_TIME_COST": 2,
            "ARGON2_MEMORY_COST": 19 * 1024,
        }
    )
    Base.metadata.create_all(app.extensions["consentkit.engine"])
    client = app.test_client()
    known, unknown = PHONES
    client.post("/api/v1/auth/code", json={"phone": known})
    with app.app_context():
        from sqlalchemy import select

        from consentkit.server.models import OutboxMessage

        body = db.session().scalar(select(OutboxMessage.body).where(OutboxMessage.phone == known))
    code = body.split("code is ")[1][:6]
    r = client.post(
        "/api/v1/auth/register", json={"phone": known, "code": code, "password": "bench horse 1"}
    )
    assert r.status_code == 201, r.json

    def login(phone: str) -> float:
        began = time.perf_counter()
        r = client.post("/api/v1/auth/login", json={"phone": phone, "password": "wrong horse 1"})
        took = time.perf_counter() - began
        assert r.status_code == 401, r.json
        return took * 1000

    login(known), login(unknown)
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    for _ in range(rounds):
        times["known"].append(login(known))
        times["unknown"].append(login(unknown))
    print(f"code: {Path(consentkit.__file__).parent}")
    for name, values in times.items():
        print(f"{name:8s} phone: median {statistics.median(values):6.1f} ms over {rounds}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
