"""``POST /collect`` beside a bare endpoint on the same stack: throughput ratios and latency.

    python bench/collect.py                       # SQLite, then PostgreSQL
    python bench/collect.py --backend sqlite --seconds 20

Both servers run under gunicorn with the same settings (2 workers, 8 threads each) on the
same database: consentkit with every check of the ledger (token and session, policy,
consent under the subject's lock, payload, idempotency), and bench/bare_app.py, which only
parses the JSON, finds the caller by a token lookup and inserts the rows. wrk drives both
with the same bodies and headers (32 connections, a user per request round-robin among 200).

Printed, measured in the same run:
- single-event requests/s of each, and the ratio (goal >= 0.7);
- events/s of 500-event batches against the bare endpoint's executemany (goal >= 0.5);
- PostgreSQL: p50 and p99 of single-event collects from 200 simulated devices, each
  sending one event a second (goal p99 <= 50 ms).

Needs wrk (Debian: apt-get install wrk) and, for PostgreSQL, a server at
CONSENTKIT_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bare_app import create_schema

from consentkit.examples import manifest_paths

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent
APP = "zhenyi-erp"
EVENT = {
    "category": "user.location.coarse",
    "purpose": "customer_positioning",
    "feature": "add_customer",
}
GUNICORN = ["--workers", "2", "--threads", "8", "--worker-class", "gthread"]

WRK_SCRIPT = """
local tokens = {%(tokens)s}
local body = [==[%(body)s]==]
local n = 0
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("id", threads)
end
init = function(args)
  me = wrk.thread:get("id")
end
request = function()
  n = n + 1
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. tokens[(n %% #tokens) + 1]
  headers["Idempotency-Key"] = "%(run)s-" .. me .. "-" .. n
  return wrk.format("POST", "%(path)s", headers, body)
end
%(delay)s
local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 300 and statuses[status] == 1 then
    io.write("FIRST " .. status .. " " .. body:sub(1, 300) .. "\\n")
  end
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%.3f %%.3f %%d %%d\\n", summary.requests,
    summary.duration, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(app: str, env: dict[str, str], log: Path):
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), *GUNICORN, "--bind", f"127.0.0.1:{port}", app],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=HERE,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def database(backend: str, folder: Path) -> tuple[str, callable]:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'bench.sqlite'}", lambda: None
    url = os.environ.get(
        "CONSENTKIT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    schema = f"bench_collect_{os.getpid()}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"

    def drop() -> None:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()

    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}", drop


def users(base: str, count: int) -> list[str]:
    """Registered users who agreed to every purpose: their access tokens."""
    tokens = []
    with httpx.Client(base_url=base + "/api/v1", timeout=60) as http:
        policy = http.get(f"/apps/{APP}/policy").json()
        purposes = dict.fromkeys(policy["manifest"]["purposes"], True)
        for i in range(count):
            phone = f"+86139{os.getpid() % 1000:03d}{i:05d}"
            http.post("/auth/code", json={"phone": phone}).raise_for_status()
            box = http.get("/dev/outbox", params={"phone": phone}).json()
            code = box[0]["body"].split("code is ")[1][:6]
            r = http.post(
                "/auth/register", json={"phone": phone, "code": code, "password": "bench pass 1"}
            )
            r.raise_for_status()
            token = r.json()["access_token"]
            r = http.post(
                "/consents",
                json={"app_id": APP, "policy_version": policy["version"], "purposes": purposes},
                headers={"Authorization": f"Bearer {token}"},
            )
            r.raise_for_status()
            tokens.append(token)
    return tokens


def body(events: int) -> str:
    at = datetime.now(UTC).replace(microsecond=0).isoformat()
    one = {**EVENT, "collected_at": at, "payload": {"lat": 23.13, "lon": 113.26}}
    return json.dumps({"app_id": APP, "events": [one] * events})


def wrk(
    base: str,
    path: str,
    tokens: list[str],
    payload: str,
    *,
    seconds: int,
    connections: int,
    delay_ms: int = 0,
) -> dict:
    script = WRK_SCRIPT % {
        "tokens": ", ".join(f'"{t}"' for t in tokens),
        "body": payload,
        "path": path,
        "run": uuid.uuid4().hex,
        "delay": f"delay = function() return {delay_ms} end" if delay_ms else "",
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    done = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            fh.name,
            base + path,
        ],
        capture_output=True,
        text=True,
    )
    out = done.stdout
    if "RESULT" not in out:
        sys.exit(f"wrk failed: {done.stdout}{done.stderr}")
    os.unlink(fh.name)
    for line in out.splitlines():
        if line.startswith("FIRST"):
            print("   ", path, line[:300], file=sys.stderr)
    requests, micros, p50, p99, bad, broken = map(
        float, re.search(r"RESULT (.*)", out).group(1).split()
    )
    return {
        "rps": requests / (micros / 1e6),
        "p50": p50,
        "p99": p99,
        "errors": int(bad + broken),
    }


def run(backend: str, seconds: int, connections: int, devices: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"bench-collect-{backend}-"))
    url, drop = database(backend, folder)
    env = {
        **os.environ,
        "CONSENTKIT_ENV": "development",
        "CONSENTKIT_DATABASE_URL": url,
        "CONSENTKIT_INSTANCE_PATH": str(folder / "instance"),
        "CONSENTKIT_RATELIMIT_ENABLED": "false",
        "CONSENTKIT_ARGON2_TIME_COST": "1",
        "CONSENTKIT_ARGON2_MEMORY_COST": "256",
        "BARE_DATABASE_URL": url,
    }
    for step in (["db", "upgrade"], ["policy", "publish", *map(str, manifest_paths())]):
        subprocess.run([str(BIN / "consentkit"), *step], env=env, check=True, capture_output=True)
    engine = create_engine(url)
    create_schema(engine)
    figures: dict = {}
    try:
        with (
            gunicorn("consentkit.server.wsgi:app", env, folder / "consentkit.log") as ck,
            gunicorn("bare_app:app", env, folder / "bare.log") as bare,
        ):
            tokens = users(ck, 200)
            with engine.begin() as conn:
                conn.execute(
                    text("INSERT INTO bare_tokens (token, user_id) VALUES (:t, :u)"),
                    [{"t": t, "u": f"user-{i}"} for i, t in enumerate(tokens)],
                )
            single, batch = body(1), body(500)
            targets = {"ck": (ck, "/api/v1/collect"), "bare": (bare, "/bare/collect")}
            for base, path in targets.values():  # warm up
                wrk(base, path, tokens, single, seconds=2, connections=connections)
            # Interleaved, three times each: a neighbour's load falls on both alike.
            runs: dict[str, list[dict]] = {}
            for _ in range(3):
                for name, (base, path) in targets.items():
                    for kind, payload, conns in (
                        ("single", single, connections),
                        ("batch", batch, 8),
                    ):
                        runs.setdefault(f"{name}_{kind}", []).append(
                            wrk(base, path, tokens, payload, seconds=seconds, connections=conns)
                        )
            for key, results in runs.items():
                figures[key] = sorted(results, key=lambda r: r["rps"])[1]  # the median
                figures[key]["errors"] = sum(r["errors"] for r in results)
            if backend == "postgres":
                figures["ck_devices"] = wrk(
                    ck,
                    "/api/v1/collect",
                    tokens,
                    single,
                    seconds=seconds,
                    connections=devices,
                    delay_ms=1000,
                )
    finally:
        engine.dispose()
        drop()
        shutil.rmtree(folder, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--devices", type=int, default=200)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/collect.py needs wrk: apt-get install wrk")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(f"{os.cpu_count()} CPUs; gunicorn {' '.join(GUNICORN)};", end="")
    print(f" wrk -c{args.connections} -d{args.seconds}s, median of 3 interleaved runs")
    for backend in backends:
        f = run(backend, args.seconds, args.connections, args.devices)
        single = f["ck_single"]["rps"] / f["bare_single"]["rps"]
        batch = f["ck_batch"]["rps"] / f["bare_batch"]["rps"]
        ck_s, bare_s = f["ck_single"]["rps"], f["bare_single"]["rps"]
        ck_b, bare_b = f["ck_batch"]["rps"] * 500, f["bare_batch"]["rps"] * 500
        print(f"\n{backend}:")
        print(f"  single event     /collect {ck_s:8.0f} req/s     bare {bare_s:8.0f} req/s", end="")
        print(f"     ratio {single:.2f} (goal >= 0.70)")
        print(
            f"  500-event batch  /collect {ck_b:8.0f} events/s  bare {bare_b:8.0f} events/s", end=""
        )
        print(f"  ratio {batch:.2f} (goal >= 0.50)")
        errors = sum(v["errors"] for v in f.values())
        if "ck_devices" in f:
            d = f["ck_devices"]
            print(f"  {args.devices} devices, one event/s each: {d['rps']:.0f} req/s,", end="")
            print(f" p50 {d['p50']:.1f} ms, p99 {d['p99']:.1f} ms (goal p99 <= 50 ms)")
        print(f"  non-2xx or broken requests: {errors}")


if __name__ == "__main__":
    main()
