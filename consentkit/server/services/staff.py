"""Staff roles, app by app: who may read or act on other people's data, and where.

A role is granted on one app (``consentkit users grant PHONE ROLE --app APP``) and
reaches only that app's users, requests, incidents and consent records; everything else
is denied, as if it did not exist (404). Higher roles include the lower ones' work:

| work | roles |
|---|---|
| read a user's data, consent records, incidents (every read audited) | auditor, dpo, admin |
| rights requests and their deadlines | dpo, admin |
| breach notices | admin |
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import StaffGrant, User
from ..problems import Problem

ROLES = ("auditor", "dpo", "admin")
# The work a role names, and the roles that may do it.
MAY = {"auditor": {"auditor", "dpo", "admin"}, "dpo": {"dpo", "admin"}, "admin": {"admin"}}


def role_on(db: Session, user: User, app_id: str | None) -> str | None:
    """The caller's role on ``app_id``, or None."""
    if app_id is None:
        return None
    grant = db.get(StaffGrant, (user.id, app_id))
    return grant.role if grant else None


def require(db: Session, user: User, work: str, app_id: str | None) -> str:
    """The caller's role on ``app_id`` if it may do ``work`` there; else a 404, so that
    nothing shows whether the thing exists."""
    role = role_on(db, user, app_id)
    if role not in MAY[work]:
        raise Problem(404, "not_found", "The requested URL was not found on the server.")
    return role


def apps_for(db: Session, user: User, work: str) -> list[str]:
    """The apps on which the caller may do ``work``."""
    return list(
        db.scalars(
            select(StaffGrant.app_id)
            .where(StaffGrant.user_id == user.id, StaffGrant.role.in_(MAY[work]))
            .order_by(StaffGrant.app_id)
        )
    )
