"""``consentkit jobs``: exports, account purges and retention, on demand or on a schedule."""

from __future__ import annotations

import json

import click


@click.group()
def jobs() -> None:
    """Background jobs of the server."""


@jobs.command("run")
@click.option("--dry-run", is_flag=True, help="Report what would be done; change nothing.")
def run_jobs(dry_run: bool) -> None:
    """Run pending exports and purges, and apply retention (idempotent; cron it)."""
    from ..server import create_app, db
    from ..server.migrate import upgrade
    from ..server.services import jobs as service

    app = create_app()
    upgrade(app.config["DATABASE_URL"])
    with app.app_context():
        report = service.run_pending(db.session(), dry_run=dry_run)
    click.echo(json.dumps({"dry_run": dry_run, **report}, indent=1))
