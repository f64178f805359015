"""Organizations: a user belongs to one, by creating it or by accepting an invitation.

Membership is by consent. An admin invites a phone number; nobody joins until the
account with that number accepts, and anyone can decline, leave, or be removed by an
admin. Inviting answers the same whether or not the number has an account (the account
is not even looked up), so an invitation tells the inviter nothing about who is
registered. Every change is in the audit log.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from .. import db
from ..db import utcnow
from ..models import Invitation, Membership, Organization, RightsRequest, User
from ..problems import Problem
from ..services import audit_log, business, phones, policies, rights, serial
from .common import AUTH, current_user
from .edge import Blueprint, Text

blp = Blueprint("orgs", __name__, description="Organizations, invitations and members")

ROLES = ["member", "admin"]


class OrgRequest(Schema):
    name = Text(required=True, min_length=1, max_length=200)


class InviteRequest(Schema):
    phone = Text(required=True, max_length=32)
    role = Text(load_default="member", max_length=8, validate=validate.OneOf(ROLES))


class RoleRequest(Schema):
    role = Text(required=True, max_length=8, validate=validate.OneOf(ROLES))


class AnswerRequest(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["delete", "refuse"]))
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class ForwardedSchema(Schema):
    id = fields.String()
    kind = fields.String()
    app_id = fields.String()
    category = fields.String()
    status = fields.String()
    due_at = fields.DateTime()
    days_left = fields.Float()


class OrgSchema(Schema):
    id = fields.String()
    name = fields.String()
    role = fields.String()
    members = fields.Integer()


class InvitationSchema(Schema):
    id = fields.String()
    organization = fields.String(metadata={"description": "the organization's name"})
    role = fields.String()
    phone_hint = fields.String(metadata={"description": "the invited number's last digits"})
    status = fields.String()
    expires_at = fields.DateTime()


class MemberSchema(Schema):
    user_id = fields.String()
    role = fields.String()
    phone_hint = fields.String()


def _count(s, org_id: str) -> int:
    return s.scalar(select(func.count()).where(Membership.org_id == org_id)) or 0


def _view(s, org: Organization, role: str) -> dict:
    return {"id": org.id, "name": org.name, "role": role, "members": _count(s, org.id)}


def _invitation_view(s, row: Invitation) -> dict:
    return {
        "id": row.id,
        "organization": s.get(Organization, row.org_id).name,
        "role": row.role,
        "phone_hint": row.phone_hint,
        "status": "expired" if _expired(row) else row.status,
        "expires_at": row.expires_at,
    }


def _expired(row: Invitation) -> bool:
    return row.status == "pending" and row.expires_at <= utcnow()


def _admin(s, *, changes: bool = True) -> tuple[User, Membership]:
    """The caller and their membership, if they are an admin of their organization.

    For a change, the organization's memberships are locked from here to the commit (two
    admins demoting each other at once must not leave it without one)."""
    user = current_user()
    member = business.membership(s, user)
    if changes and member.role == "admin":
        serial.lock_subject(s, f"org:{member.org_id}")
        s.refresh(member)  # as it is now that we hold the lock
    if member.role != "admin":
        raise Problem(403, "admin_required", "Only an organization admin can do this.")
    return user, member


def _keeps_an_admin(s, org_id: str, losing: str) -> None:
    """An organization with other members keeps at least one admin."""
    admins = s.scalar(
        select(func.count()).where(
            Membership.org_id == org_id, Membership.role == "admin", Membership.user_id != losing
        )
    )
    others = s.scalar(
        select(func.count()).where(Membership.org_id == org_id, Membership.user_id != losing)
    )
    if others and not admins:
        raise Problem(
            409,
            "last_admin",
            "The organization would have members but no admin: make another member an "
            "admin first (PATCH /api/v1/orgs/members/{user_id}).",
        )


@blp.route("/orgs", methods=["POST"])
@blp.arguments(OrgRequest)
@blp.response(201, OrgSchema)
@blp.doc(security=AUTH)
def create_org(body: dict):
    """Create an organization; its creator is its admin."""
    user = current_user()
    s = db.session()
    if s.get(Membership, user.id) is not None:
        raise Problem(409, "already_member", "You already belong to an organization.")
    org = Organization(name=body["name"])
    s.add(org)
    s.flush()
    s.add(Membership(user_id=user.id, org_id=org.id, role="admin"))
    audit_log.append(s, f"user:{user.id}", "org.created", f"org:{org.id}")
    s.commit()
    return _view(s, org, "admin")


@blp.route("/orgs/me")
@blp.response(200, OrgSchema)
@blp.doc(security=AUTH)
def my_org():
    """Your organization and your role in it."""
    s = db.session()
    member = business.membership(s, current_user())
    return _view(s, s.get(Organization, member.org_id), member.role)


@blp.route("/orgs/me/membership", methods=["DELETE"])
@blp.response(204)
@blp.doc(security=AUTH)
def leave():
    """Leave your organization. The last admin of an organization with other members
    makes someone else admin first. What you entered stays with the organization."""
    user = current_user()
    s = db.session()
    member = business.membership(s, user)
    serial.lock_subject(s, f"org:{member.org_id}")
    _keeps_an_admin(s, member.org_id, user.id)
    s.delete(member)
    audit_log.append(s, f"user:{user.id}", "org.member_left", f"org:{member.org_id}")
    s.commit()


@blp.route("/orgs/invitations", methods=["POST"])
@blp.arguments(InviteRequest)
@blp.response(202, InvitationSchema)
@blp.doc(security=AUTH)
def invite(body: dict):
    """Invite a phone number to your organization (admins). The answer is the same
    whether or not the number has an account; its owner sees the invitation in
    GET /api/v1/me/invitations and accepts or declines it."""
    s = db.session()
    user, member = _admin(s)
    number = phones.normalise(body["phone"])
    target = business.invitee_key(number)
    now = utcnow()
    open_one = s.scalar(
        select(Invitation).where(
            Invitation.org_id == member.org_id,
            Invitation.phone_hash == target,
            Invitation.status == "pending",
        )
    )
    if open_one is not None and not _expired(open_one):
        return _invitation_view(s, open_one)  # inviting twice changes nothing
    if open_one is not None:
        open_one.status, open_one.answered_at = "expired", now
        s.flush()
    row = Invitation(
        org_id=member.org_id,
        phone_hash=target,
        phone_hint=number[-4:],
        role=body["role"],
        invited_by=user.id,
        created_at=now,
        expires_at=now + timedelta(days=current_app.config["INVITATION_TTL_DAYS"]),
    )
    s.add(row)
    s.flush()
    audit_log.append(
        s,
        f"user:{user.id}",
        "org.invited",
        f"org:{member.org_id}",
        invitation=row.id,
        role=row.role,
    )
    s.commit()
    return _invitation_view(s, row)


@blp.route("/orgs/invitations")
@blp.response(200, InvitationSchema(many=True))
@blp.doc(security=AUTH)
def org_invitations():
    """Your organization's open invitations (admins)."""
    s = db.session()
    _, member = _admin(s, changes=False)
    rows = s.scalars(
        select(Invitation)
        .where(Invitation.org_id == member.org_id, Invitation.status == "pending")
        .order_by(Invitation.created_at)
        .limit(500)
    )
    return [_invitation_view(s, r) for r in rows]


@blp.route("/orgs/invitations/<invitation_id>", methods=["DELETE"])
@blp.response(204)
@blp.doc(security=AUTH)
def revoke_invitation(invitation_id: str):
    """Withdraw an invitation nobody has answered yet (admins)."""
    s = db.session()
    user, member = _admin(s)
    row = s.get(Invitation, invitation_id)
    if row is None or row.org_id != member.org_id or row.status != "pending":
        raise Problem(404, "not_found", "No open invitation with this id.")
    row.status, row.answered_at = "revoked", utcnow()
    audit_log.append(
        s, f"user:{user.id}", "org.invitation_revoked", f"org:{member.org_id}", invitation=row.id
    )
    s.commit()


def _mine(s, user: User, invitation_id: str) -> Invitation:
    row = s.get(Invitation, invitation_id)
    if (
        row is None
        or not user.phone
        or row.phone_hash != business.invitee_key(user.phone)
        or row.status != "pending"
        or _expired(row)
    ):
        raise Problem(404, "not_found", "No open invitation of yours with this id.")
    return row


@blp.route("/me/invitations")
@blp.response(200, InvitationSchema(many=True))
@blp.doc(security=AUTH)
def my_invitations():
    """Invitations to your phone number that you have not answered."""
    user = current_user()
    s = db.session()
    if not user.phone:
        return []
    rows = s.scalars(
        select(Invitation)
        .where(
            Invitation.phone_hash == business.invitee_key(user.phone),
            Invitation.status == "pending",
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.created_at)
        .limit(100)
    )
    return [_invitation_view(s, r) for r in rows]


@blp.route("/me/invitations/<invitation_id>/accept", methods=["POST"])
@blp.response(200, OrgSchema)
@blp.doc(security=AUTH)
def accept(invitation_id: str):
    """Join the organization that invited you (leave your current one first)."""
    user = current_user()
    s = db.session()
    row = _mine(s, user, invitation_id)
    serial.lock_subject(s, f"org:{row.org_id}")
    if s.get(Membership, user.id) is not None:
        raise Problem(
            409,
            "already_member",
            "You already belong to an organization; leave it first "
            "(DELETE /api/v1/orgs/me/membership).",
        )
    s.add(Membership(user_id=user.id, org_id=row.org_id, role=row.role))
    row.status, row.answered_at = "accepted", utcnow()
    audit_log.append(
        s,
        f"user:{user.id}",
        "org.invitation_accepted",
        f"org:{row.org_id}",
        invitation=row.id,
        role=row.role,
    )
    s.commit()
    return _view(s, s.get(Organization, row.org_id), row.role)


@blp.route("/me/invitations/<invitation_id>/decline", methods=["POST"])
@blp.response(204)
@blp.doc(security=AUTH)
def decline(invitation_id: str):
    """Decline an invitation."""
    user = current_user()
    s = db.session()
    row = _mine(s, user, invitation_id)
    row.status, row.answered_at = "declined", utcnow()
    audit_log.append(
        s, f"user:{user.id}", "org.invitation_declined", f"org:{row.org_id}", invitation=row.id
    )
    s.commit()


@blp.route("/orgs/members")
@blp.response(200, MemberSchema(many=True))
@blp.doc(security=AUTH)
def members():
    """Who belongs to your organization, with their roles."""
    s = db.session()
    member = business.membership(s, current_user())
    rows = s.execute(
        select(Membership.user_id, Membership.role, User.phone)
        .join(User, User.id == Membership.user_id)
        .where(Membership.org_id == member.org_id)
        .order_by(Membership.user_id)
    )
    return [
        {"user_id": r.user_id, "role": r.role, "phone_hint": (r.phone or "")[-4:]} for r in rows
    ]


def _other_member(s, member: Membership, user_id: str) -> Membership:
    other = s.get(Membership, user_id)
    if other is None or other.org_id != member.org_id:
        raise Problem(404, "not_found", "No such member of your organization.")
    return other


@blp.route("/orgs/members/<user_id>", methods=["PATCH"])
@blp.arguments(RoleRequest)
@blp.response(200, MemberSchema)
@blp.doc(security=AUTH)
def change_role(body: dict, user_id: str):
    """Make a member an admin, or an admin a member (admins)."""
    s = db.session()
    user, member = _admin(s)
    other = _other_member(s, member, user_id)
    if body["role"] != "admin":
        _keeps_an_admin(s, member.org_id, other.user_id)
    before, other.role = other.role, body["role"]
    audit_log.append(
        s,
        f"user:{user.id}",
        "org.role_changed",
        f"org:{member.org_id}",
        member=other.user_id,
        before=before,
        role=other.role,
    )
    s.commit()
    phone = s.get(User, other.user_id).phone or ""
    return {"user_id": other.user_id, "role": other.role, "phone_hint": phone[-4:]}


@blp.route("/orgs/members/<user_id>", methods=["DELETE"])
@blp.response(204)
@blp.doc(security=AUTH)
def remove_member(user_id: str):
    """Remove a member from your organization (admins). What they entered stays."""
    s = db.session()
    user, member = _admin(s)
    other = _other_member(s, member, user_id)
    _keeps_an_admin(s, member.org_id, other.user_id)
    s.delete(other)
    audit_log.append(
        s, f"user:{user.id}", "org.member_removed", f"org:{member.org_id}", member=user_id
    )
    s.commit()


def _forwarded_view(row: RightsRequest) -> dict:
    return {
        "id": row.id,
        "kind": row.kind,
        "app_id": row.app_id,
        "category": (row.result or {}).get("category"),
        "status": row.status,
        "due_at": row.due_at,
        "days_left": rights.days_left(row),
    }


def _forwarded(s, org_id: str) -> list[RightsRequest]:
    """Requests forwarded to this organization (few: a scan of the forwarded ones)."""
    rows = s.scalars(select(RightsRequest).where(RightsRequest.status == "forwarded"))
    return [r for r in rows if (r.result or {}).get("forwarded_to") == org_id]


@blp.route("/orgs/requests")
@blp.response(200, ForwardedSchema(many=True))
@blp.doc(security=AUTH)
def forwarded_requests():
    """Rights requests of members about data the organization controls (a processor-role
    category of the policy), waiting for an admin's answer, oldest first."""
    s = db.session()
    _, member = _admin(s, changes=False)
    return [
        _forwarded_view(r) for r in sorted(_forwarded(s, member.org_id), key=lambda r: r.due_at)
    ]


@blp.route("/orgs/requests/<request_id>/answer", methods=["POST"])
@blp.arguments(AnswerRequest)
@blp.response(200, ForwardedSchema)
@blp.doc(security=AUTH)
def answer_request(body: dict, request_id: str):
    """An admin answers a forwarded deletion: delete the member's data of that category
    (a legal hold anonymizes instead) or refuse, with a reason the member can read."""
    s = db.session()
    _, member = _admin(s, changes=False)
    row = s.get(RightsRequest, request_id)
    if row is None or row not in _forwarded(s, member.org_id):
        raise Problem(404, "not_found", "No such request forwarded to your organization.")
    category = row.result["category"]
    serial.lock_subject(s, f"user:{row.user_id}")  # as a member's own deletion does
    if body["decision"] == "delete":
        counts = rights.delete_category(s, row.user_id, policies.current(s, row.app_id), category)
        rights.complete(s, row, {**row.result, **counts, "decision": "delete"})
    else:
        rights.complete(s, row, {**row.result, "decision": "refuse", "reason": body["reason"]})
    audit_log.append(
        s,
        f"user:{member.user_id}",
        f"rights.{row.kind}.answered",
        f"request:{row.id}",
        organization=member.org_id,
        decision=body["decision"],
    )
    s.commit()
    return _forwarded_view(row)
