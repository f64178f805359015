"""``consentkit users``: give staff their roles."""

from __future__ import annotations

import click

ROLES = ("user", "auditor", "dpo", "admin")


@click.group()
def users() -> None:
    """Accounts and staff roles."""


@users.command("grant")
@click.argument("phone")
@click.argument("role", type=click.Choice(ROLES))
def grant(phone: str, role: str) -> None:
    """Give the account with PHONE a ROLE (auditor reads, dpo handles requests, admin all)."""
    from sqlalchemy import select

    from ..server import create_app, db
    from ..server.models import User
    from ..server.problems import Problem
    from ..server.services import audit_log, phones

    app = create_app()
    with app.app_context():
        try:
            number = phones.normalise(phone)
        except Problem as exc:
            raise click.BadParameter(exc.detail, param_hint="PHONE") from None
        s = db.session()
        user = s.scalar(select(User).where(User.phone == number))
        if user is None:
            raise click.ClickException(f"no account with phone {number}")
        user.role = role
        audit_log.append(s, "cli", "role.granted", f"user:{user.id}", role=role)
        s.commit()
    click.echo(f"{number} is now {role}")
