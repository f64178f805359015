"""``consentkit users``: give staff their roles, one app at a time."""

from __future__ import annotations

import click

ROLES = ("auditor", "dpo", "admin")


@click.group()
def users() -> None:
    """Accounts and staff roles."""


def _account_and_app(s, phone: str, app_id: str):
    from sqlalchemy import select

    from ..server.models import PolicyVersionRow, User
    from ..server.problems import Problem
    from ..server.services import phones

    try:
        number = phones.normalise(phone)
    except Problem as exc:
        raise click.BadParameter(exc.detail, param_hint="PHONE") from None
    user = s.scalar(select(User).where(User.phone == number, User.status == "active"))
    if user is None:
        raise click.ClickException(f"no active account with phone {number}")
    if (
        s.scalar(select(PolicyVersionRow.id).where(PolicyVersionRow.app_id == app_id).limit(1))
        is None
    ):
        raise click.ClickException(f"no app {app_id!r} is published on this server")
    return number, user


@users.command("grant")
@click.argument("phone")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--app", "app_id", required=True, help="The app the role is on (its manifest id).")
def grant(phone: str, role: str, app_id: str) -> None:
    """Give the account with PHONE a ROLE on one app: auditor (reads, each audited and
    shown to the person), dpo (rights requests too), admin (breach notices too)."""
    from ..server import create_app, db
    from ..server.models import StaffGrant
    from ..server.services import audit_log

    app = create_app()
    with app.app_context():
        s = db.session()
        number, user = _account_and_app(s, phone, app_id)
        row = s.get(StaffGrant, (user.id, app_id))
        if row is None:
            s.add(StaffGrant(user_id=user.id, app_id=app_id, role=role))
        else:
            row.role = role
        audit_log.append(s, "cli", "role.granted", f"user:{user.id}", role=role, app=app_id)
        s.commit()
    click.echo(f"{number} is now {role} on {app_id}")


@users.command("revoke")
@click.argument("phone")
@click.option("--app", "app_id", required=True, help="The app the role is on.")
def revoke(phone: str, app_id: str) -> None:
    """Take away the staff role the account with PHONE holds on one app."""
    from ..server import create_app, db
    from ..server.models import StaffGrant
    from ..server.services import audit_log

    app = create_app()
    with app.app_context():
        s = db.session()
        number, user = _account_and_app(s, phone, app_id)
        row = s.get(StaffGrant, (user.id, app_id))
        if row is None:
            raise click.ClickException(f"{number} holds no role on {app_id}")
        s.delete(row)
        audit_log.append(s, "cli", "role.revoked", f"user:{user.id}", role=row.role, app=app_id)
        s.commit()
    click.echo(f"{number} holds no role on {app_id} any more")
