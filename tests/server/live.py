"""A real deployment for tests: gunicorn with several worker processes on SQLite or PostgreSQL.

Races between requests only show with real parallelism — separate processes, separate
database connections — so the concurrency tests run against this, not the test client.
The server is set up the way the README's deployment section says: ``consentkit db
upgrade``, ``consentkit policy publish``, then gunicorn.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import create_engine, text

from consentkit.examples import manifest_paths
from tests.conftest import FIELDNOTES

BIN = Path(sys.executable).parent
PG_URL = os.environ.get("CONSENTKIT_TEST_POSTGRES_URL")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Live:
    """A running server: its API base, its database, its log and its processes."""

    base: str
    database_url: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the master's children."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(c) for c in children]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=60)

    def consentkit(self, *args: str) -> subprocess.CompletedProcess:
        """Run a ``consentkit`` command against this server's database."""
        return subprocess.run(
            [str(BIN / "consentkit"), *args], env=self.env, capture_output=True, text=True
        )

    def sql(self, statement: str, **params) -> list:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(statement), params))
        finally:
            engine.dispose()


def _postgres_schema_url(schema: str) -> str:
    """The test database, with its own schema so the per-test TRUNCATEs never meet it."""
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"


def _drop_schema(schema: str) -> None:
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def _setup_here(url: str, instance: Path, manifests: list[str]) -> None:
    from consentkit.server.bootstrap import publish_all
    from consentkit.server.migrate import upgrade

    from .conftest import make_app

    instance.mkdir(parents=True, exist_ok=True)
    upgrade(url)
    app = make_app(url, instance, ENV="development")
    publish_all(app, [Path(m) for m in manifests])
    app.extensions["consentkit.engine"].dispose()


@contextmanager
def live_server(
    backend: str,
    tmp: Path,
    *,
    workers: int = 3,
    threads: int = 4,
    settings: dict[str, str] | None = None,
    gunicorn_args: tuple[str, ...] = (),
    cli_setup: bool = True,
) -> Iterator[Live]:
    """Migrate, publish the example manifests, start gunicorn; stop it afterwards.

    ``settings`` adds environment variables (rate limits are off unless they turn them
    on); ``gunicorn_args`` go to gunicorn before the app
    (``-c python:consentkit.server.gunicorn_conf``). Without ``cli_setup`` the schema and
    the manifests are set up from this process (the same functions, two fewer
    interpreters to start) — for tests that are not about the deployment steps."""
    schema = f"live_{uuid.uuid4().hex[:8]}"
    if backend == "postgres":
        url = _postgres_schema_url(schema)
    else:
        url = f"sqlite:///{tmp / 'live.sqlite'}"
    port = free_port()
    env = {
        **os.environ,
        "CONSENTKIT_ENV": "development",
        "CONSENTKIT_DATABASE_URL": url,
        "CONSENTKIT_INSTANCE_PATH": str(tmp / "instance"),
        "CONSENTKIT_RATELIMIT_ENABLED": "false",
        "CONSENTKIT_ARGON2_TIME_COST": "1",
        "CONSENTKIT_ARGON2_MEMORY_COST": "256",
        **(settings or {}),
    }
    manifests = [str(FIELDNOTES), *map(str, manifest_paths())]
    if cli_setup:
        for step in (["db", "upgrade"], ["policy", "publish", *manifests]):
            done = subprocess.run(
                [str(BIN / "consentkit"), *step], env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, done.stderr + done.stdout
    else:
        _setup_here(url, tmp / "instance", manifests)
    log_path = tmp / "gunicorn.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            *gunicorn_args,
            "consentkit.server.wsgi:app",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/apps/fieldnotes/policy", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "gunicorn did not answer in 30 s"
            time.sleep(0.1)
        yield Live(base, url, env, log_path, server)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        if backend == "postgres":
            _drop_schema(schema)
