"""Organizations: a user belongs to one; business data belongs to the organization."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from .. import db
from ..models import Membership, Organization, RightsRequest, User
from ..problems import Problem
from ..services import audit_log, business, phones, policies, rights, serial
from .common import AUTH, current_user
from .edge import Blueprint, Text

blp = Blueprint("orgs", __name__, description="Organizations and their members")


class OrgRequest(Schema):
    name = Text(required=True, min_length=1, max_length=200)


class MemberRequest(Schema):
    phone = Text(required=True, max_length=32)
    role = Text(load_default="member", max_length=8, validate=validate.OneOf(["member", "admin"]))


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


def _view(s, org: Organization, role: str) -> dict:
    count = len(list(s.scalars(select(Membership.user_id).where(Membership.org_id == org.id))))
    return {"id": org.id, "name": org.name, "role": role, "members": count}


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


@blp.route("/orgs/members", methods=["POST"])
@blp.arguments(MemberRequest)
@blp.response(201, OrgSchema)
@blp.doc(security=AUTH)
def add_member(body: dict):
    """An admin adds an existing account to the organization."""
    s = db.session()
    member = business.membership(s, current_user())
    if member.role != "admin":
        raise Problem(403, "admin_required", "Only an organization admin can add members.")
    other = s.scalar(
        select(User).where(User.phone == phones.normalise(body["phone"]), User.status == "active")
    )
    if other is None:
        raise Problem(404, "not_found", "No active account with this phone.")
    if s.get(Membership, other.id) is not None:
        raise Problem(409, "already_member", "That account already belongs to an organization.")
    s.add(Membership(user_id=other.id, org_id=member.org_id, role=body["role"]))
    s.commit()
    return _view(s, s.get(Organization, member.org_id), member.role)


def _admin(s) -> Membership:
    member = business.membership(s, current_user())
    if member.role != "admin":
        raise Problem(403, "admin_required", "Only an organization admin answers its requests.")
    return member


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
    member = _admin(s)
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
    member = _admin(s)
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
