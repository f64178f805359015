"""Resolving a scanned QR code — only inside the organization that owns the object."""

from __future__ import annotations

from marshmallow import Schema, fields

from .. import db
from ..models import Customer, Product
from ..problems import Problem
from ..services import business, qr
from .common import AUTH, current_user
from .edge import Blueprint, Text

blp = Blueprint("qr", __name__, description="QR codes of products and customers")


class ResolveIn(Schema):
    token = Text(required=True, min_length=10, max_length=200)


class ResolveOut(Schema):
    kind = fields.String()
    id = fields.String()
    name = fields.String()


@blp.route("/qr/resolve", methods=["POST"])
@blp.arguments(ResolveIn)
@blp.response(200, ResolveOut)
@blp.doc(security=AUTH)
def resolve(body: dict):
    """What a scanned code stands for; 404 for a forged code or another organization's."""
    s = db.session()
    member = business.membership(s, current_user())
    found = qr.resolve(s, body["token"])
    if found is None or found.org_id != member.org_id:
        raise Problem(404, "not_found", "This code is not one of your organization's.")
    model = {"product": Product, "customer": Customer}[found.kind]
    obj = business.owned(s, model, found.object_id, member.org_id)
    return {"kind": found.kind, "id": obj.id, "name": obj.name}
