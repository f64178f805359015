"""Organizations: a user belongs to one; business data belongs to the organization."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from .. import db
from ..models import Membership, Organization, User
from ..problems import Problem
from ..services import business, phones
from .common import AUTH, current_user
from .edge import Blueprint, Text

blp = Blueprint("orgs", __name__, description="Organizations and their members")


class OrgRequest(Schema):
    name = Text(required=True, min_length=1, max_length=200)


class MemberRequest(Schema):
    phone = Text(required=True, max_length=32)
    role = Text(load_default="member", max_length=8, validate=validate.OneOf(["member", "admin"]))


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
