"""Access and refresh tokens: rotation in families, reuse detection, instant revocation.

Every login starts a family. Refreshing swaps the family's one valid refresh token for a
new one; presenting an already-swapped token means it was stolen or replayed, so the
whole family dies. Each request checks its family and its user, so logout and account
cancellation take effect at once, on every worker.
"""

from __future__ import annotations

from typing import Any

from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ..db import utcnow
from ..models import TokenFamily, User
from ..problems import Problem


def _pair(user: User, family: TokenFamily) -> tuple[dict[str, Any], str]:
    """A new access and refresh token of ``family``, and the refresh token's jti."""
    claims = {"fam": family.id}
    access = create_access_token(identity=user.id, additional_claims=claims)
    refresh = create_refresh_token(identity=user.id, additional_claims=claims)
    pair = {"access_token": access, "refresh_token": refresh, "token_type": "Bearer"}
    return pair, decode_token(refresh)["jti"]


def issue(db: Session, user: User) -> dict[str, Any]:
    """A new family and its first pair of tokens."""
    family = TokenFamily(user_id=user.id, current_jti="")
    db.add(family)
    db.flush()
    pair, family.current_jti = _pair(user, family)
    return pair


def rotate(db: Session, claims: dict[str, Any]) -> dict[str, Any]:
    """Swap a refresh token for a new pair; a replayed one revokes its family.

    The swap is one compare-and-set on the family's current token, so of many concurrent
    refreshes with the same token exactly one succeeds; the others are replays."""
    family = db.get(TokenFamily, claims.get("fam"))
    user = db.get(User, claims["sub"])
    if family is None or user is None or family.revoked_at is not None:
        raise Problem(401, "token_revoked", "This session has ended; log in again.")
    pair, jti = _pair(user, family)
    swapped = db.execute(
        update(TokenFamily)
        .where(
            TokenFamily.id == family.id,
            TokenFamily.current_jti == claims["jti"],
            TokenFamily.revoked_at.is_(None),
        )
        .values(current_jti=jti)
    ).rowcount
    if swapped != 1:
        db.execute(
            update(TokenFamily)
            .where(TokenFamily.id == family.id, TokenFamily.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_reason="refresh_reuse")
        )
        db.commit()
        raise Problem(
            401,
            "refresh_token_reused",
            "This refresh token was already used; the session is ended for safety.",
        )
    db.commit()
    return pair


def revoke_family(db: Session, family_id: str, reason: str) -> None:
    family = db.get(TokenFamily, family_id)
    if family is not None and family.revoked_at is None:
        family.revoked_at = utcnow()
        family.revoked_reason = reason


def revoke_all(db: Session, user: User, reason: str) -> None:
    """Every session of the account ends now (cancellation, a compromised account)."""
    for family in db.scalars(
        select(TokenFamily).where(TokenFamily.user_id == user.id, TokenFamily.revoked_at.is_(None))
    ):
        family.revoked_at = utcnow()
        family.revoked_reason = reason


# Built once, run on every protected request: building a statement costs more than
# running it. The same holds for the other module-level statements of the services.
_SESSION_USER = (
    select(User)
    .join(TokenFamily, TokenFamily.user_id == User.id)
    .where(
        TokenFamily.id == bindparam("family"),
        TokenFamily.revoked_at.is_(None),
        User.id == bindparam("user"),
        User.status == "active",
    )
)


def session_user(db: Session, claims: dict[str, Any]) -> User | None:
    """The token's user while its session (token family) is live and the account active;
    None once either has ended. One query, on every protected request."""
    return db.scalar(_SESSION_USER, {"family": claims.get("fam"), "user": claims.get("sub")})
