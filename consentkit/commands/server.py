"""``consentkit serve`` and ``consentkit db upgrade``."""

from __future__ import annotations

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
    help="Seconds between in-process job rounds (exports, purges, retention); 0: off.",
)
def serve(host: str, port: int, manifests: str | None, jobs_every: int) -> None:
    """Serve the API (embedded SQLite unless CONSENTKIT_DATABASE_URL says otherwise)."""
    from ..server import create_app
    from ..server.bootstrap import PublishRefused, prepare

    app = create_app()
    try:
        published = prepare(app, _manifests(manifests))
    except ManifestInvalid as exc:
        raise click.ClickException(f"a manifest is invalid:\n{exc}") from None
    except PublishRefused as exc:
        raise click.ClickException(f"cannot publish:\n{exc}") from None
    click.echo(f"database: {app.config['DATABASE_URL']}")
    for line in published:
        click.echo(f"policy: {line}")
    click.echo(f"API docs: http://{host}:{port}/api/docs")
    _start_job_thread(app, jobs_every)
    app.run(host=host, port=port, threaded=True, use_reloader=False)


def _start_job_thread(app, seconds: int) -> None:
    """The embedded server runs its jobs in-process; several workers use `jobs run` instead."""
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
