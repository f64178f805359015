"""What every business endpoint needs: the caller's organization, and the consent behind a
personal-data field."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import ConsentEvent, Membership, User
from ..problems import Problem
from . import ledger, policies
from .keyed_hash import keyed_hash


def invitee_key(e164: str) -> str:
    """Whom an invitation is for: a keyed hash of the number, so that the number of
    someone who never joins is not stored."""
    return keyed_hash(e164, context="invitation")


def membership(db: Session, user: User) -> Membership:
    found = db.get(Membership, user.id)  # one organization per account
    if found is None:
        raise Problem(
            409,
            "no_organization",
            "Create an organization (POST /api/v1/orgs) or be added to one first.",
        )
    return found


def owned(db: Session, model, object_id: str, org_id: str):
    """An object of the caller's organization — or 404, never 403, so nothing leaks."""
    row = db.get(model, object_id)
    if row is None or row.org_id != org_id:
        raise Problem(404, "not_found", f"No such {model.__name__.lower()}.")
    return row


def consent_for(db: Session, user: User, app_id: str, category: str, feature: str) -> ConsentEvent:
    """The live consent that allows this category in this feature, or a clear refusal.

    The subject stays locked until the caller commits what it stores under that consent,
    so a withdrawal cannot slip in between."""
    manifest = policies.current(db, app_id)
    if feature not in manifest.features:
        raise Problem(422, "undeclared_feature", f"{app_id} has no feature {feature}")
    purposes = [
        p
        for p in manifest.features[feature].purposes
        if manifest.category_allowed(category, p, feature)
    ]
    if not purposes:
        raise Problem(422, "undeclared_category", f"{category} is not declared for {feature}")
    state = ledger.locked_state(db, manifest, ledger.Subject(user=user))
    verdicts = [state.live(p) for p in purposes]
    for verdict in verdicts:
        if verdict.ok:
            return verdict.event
    raise Problem(
        403,
        verdicts[0].code or "consent_required",
        f"{category} needs a live consent for {' or '.join(purposes)}",
    )
