"""``consentkit serve`` and ``consentkit db upgrade``."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..examples import manifest_paths
from ..policy import ManifestInvalid


def _manifests(folder: str | None) -> list[Path]:
    if folder:
        return sorted(Path(folder).glob("*.yaml"))
    return manifest_paths()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--bind",
    default=None,
    metavar="ADDRESS",
    help="gunicorn's bind address (HOST:PORT or unix:PATH); overrides --host and --port.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes. More than one needs a shared rate-limit store (Redis).",
)
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads per worker.",
)
@click.option(
    "--dev",
    is_flag=True,
    help="Flask's development server with the reloader (restarts on code changes).",
)
@click.option(
    "--manifests",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="Folder of manifests to publish (default: the five examples).",
)
@click.option(
    "--jobs-every",
    default=60,
    show_default=True,
    type=click.IntRange(0, 86400),
    help="Seconds between job rounds (exports, purges, retention) of the one jobs runner; "
    "0: off (run `consentkit jobs run` from cron instead).",
)
def serve(
    host: str,
    port: int,
    bind: str | None,
    workers: int,
    threads: int,
    dev: bool,
    manifests: str | None,
    jobs_every: int,
) -> None:
    """Migrate the database, publish the manifests and serve the API with gunicorn.

    The database is the embedded SQLite file unless CONSENTKIT_DATABASE_URL says otherwise.
    """
    from ..server import create_app
    from ..server.bootstrap import PublishRefused, prepare
    from ..server.services.senders import SenderConfigError
    from ..server.serving import worker_count_problem

    try:
        app = create_app()
    except SenderConfigError as exc:
        raise click.ClickException(f"a setting cannot work: {exc}") from None
    if not dev:
        problem = worker_count_problem(app.config, workers)
        if problem:
            raise click.UsageError(problem)
    try:
        published = prepare(app, _manifests(manifests))
    except ManifestInvalid as exc:
        raise click.ClickException(f"a manifest is invalid:\n{exc}") from None
    except PublishRefused as exc:
        raise click.ClickException(f"cannot publish:\n{exc}") from None
    finally:
        # The workers open their own connections; none is inherited across fork.
        app.extensions["consentkit.engine"].dispose()
    address = bind or f"{host}:{port}"
    click.echo(f"database: {app.config['DATABASE_URL']}")
    for line in published:
        click.echo(f"policy: {line}")
    if not address.startswith("unix:"):
        click.echo(f"API docs: http://{address}/api/docs")
    if dev:
        _serve_dev(app, address, jobs_every)
        return
    from ..server.serving import GunicornServer

    options = {
        "bind": address,
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "proc_name": "consentkit",
    }
    GunicornServer(options, jobs_every=jobs_every).run()


def _serve_dev(app, address: str, jobs_every: int) -> None:
    """Flask's server, restarted by its reloader when a source file changes."""
    if address.startswith("unix:"):
        raise click.UsageError("--dev listens on HOST:PORT, not on a unix socket.")
    host, _, port = address.rpartition(":")
    from ..server import logs

    logs.configure()  # werkzeug's request lines too: JSON, no query strings
    # The reloader runs the app in a child process: the jobs thread belongs there.
    if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        _start_job_thread(app, jobs_every)
    app.run(host=host or "127.0.0.1", port=int(port), threaded=True, use_reloader=True)


def _start_job_thread(app, seconds: int) -> None:
    """The development server runs its jobs in-process, in a thread."""
    import threading

    from ..server import db as server_db
    from ..server.services.jobs import run_pending

    if seconds <= 0:
        return

    def loop() -> None:
        while True:
            with app.app_context():
                try:
                    run_pending(server_db.session())
                except Exception as exc:  # a failed round is retried on the next one
                    app.logger.error("jobs round failed: %s", type(exc).__name__)
            threading.Event().wait(seconds)

    threading.Thread(target=loop, name="consentkit-jobs", daemon=True).start()


@click.group()
def db() -> None:
    """Database schema commands."""


@db.command()
def upgrade() -> None:
    """Apply every Alembic migration to CONSENTKIT_DATABASE_URL (or the embedded SQLite)."""
    from ..server import create_app
    from ..server.migrate import upgrade as run_upgrade

    app = create_app()
    run_upgrade(app.config["DATABASE_URL"])
    click.echo(f"database at head: {app.config['DATABASE_URL']}")
