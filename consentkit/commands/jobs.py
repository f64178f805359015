"""``consentkit jobs``: exports, account purges and retention, on demand or on a schedule."""

from __future__ import annotations

import json
import signal
import threading

import click


@click.group()
def jobs() -> None:
    """Background jobs of the server."""


@jobs.command("run")
@click.option("--dry-run", is_flag=True, help="Report what would be done; change nothing.")
@click.option(
    "--every",
    type=click.IntRange(1, 86400),
    default=None,
    metavar="SECONDS",
    help="Keep running: a round every SECONDS until stopped (SIGTERM or Ctrl-C).",
)
def run_jobs(dry_run: bool, every: int | None) -> None:
    """Run pending exports and purges, and apply retention (idempotent; cron it).

    Run exactly one runner per database: from cron, as a service with --every, or the
    one that `consentkit serve` starts beside its workers."""
    from ..server import create_app, db, logs
    from ..server.migrate import upgrade
    from ..server.services import jobs as service

    logs.configure()  # JSON lines, nothing personal (the report itself goes to stdout)
    app = create_app()
    upgrade(app.config["DATABASE_URL"])
    if every is None:
        with app.app_context():
            report = service.run_pending(db.session(), dry_run=dry_run)
        click.echo(json.dumps({"dry_run": dry_run, **report}, indent=1))
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.is_set():
            with app.app_context():
                try:
                    report = service.run_pending(db.session(), dry_run=dry_run)
                except Exception as exc:  # retried on the next round; the data stays pending
                    app.logger.error("jobs round failed: %s", type(exc).__name__)
                else:
                    if report["exports"] or report["purges"] or any(report["retention"].values()):
                        click.echo(json.dumps({"dry_run": dry_run, **report}))
            stop.wait(every)
    except KeyboardInterrupt:
        pass
