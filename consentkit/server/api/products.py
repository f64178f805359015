"""Products with their photos and QR codes."""

from __future__ import annotations

from marshmallow import Schema, fields
from sqlalchemy import select

from .. import db
from ..limits import limited
from ..models import CollectedItem, Product
from ..openapi import file_response
from ..problems import Problem
from ..services import business
from .common import AUTH, current_user
from .customers import qr_response
from .edge import Blueprint, Money, RowId, Text
from .orders import PRICE_MAX

blp = Blueprint("products", __name__, description="Products of the organization")


class ProductIn(Schema):
    name = Text(required=True, min_length=1, max_length=200)
    price = Money(required=True, maximum=PRICE_MAX)
    image_id = RowId(load_default=None)


class ProductOut(Schema):
    id = fields.String()
    name = fields.String()
    price = fields.Decimal(as_string=True)
    image_id = fields.Integer(allow_none=True)
    image = fields.String(allow_none=True)


def _view(p: Product) -> dict:
    return {
        "id": p.id,
        "name": p.name,
        "price": p.price,
        "image_id": p.image_item_id,
        "image": f"/api/v1/media/{p.image_item_id}" if p.image_item_id else None,
    }


@blp.route("/products", methods=["POST"])
@blp.arguments(ProductIn)
@blp.response(201, ProductOut)
@blp.doc(security=AUTH)
def create(body: dict):
    """Publish a product; its photo is an image you uploaded (POST /api/v1/media)."""
    user = current_user()
    s = db.session()
    member = business.membership(s, user)
    if body["image_id"] is not None:
        image = s.scalar(
            select(CollectedItem).where(
                CollectedItem.id == body["image_id"],
                CollectedItem.user_id == user.id,
                CollectedItem.category == "user.media.photo",
            )
        )
        if image is None:
            raise Problem(
                422,
                "validation_error",
                "Not a photo you uploaded.",
                errors={"image_id": ["Unknown photo."]},
            )
    product = Product(
        org_id=member.org_id,
        created_by=user.id,
        name=body["name"],
        price=body["price"],
        image_item_id=body["image_id"],
    )
    s.add(product)
    s.commit()
    return _view(product)


@blp.route("/products/<product_id>")
@blp.response(200, ProductOut)
@blp.doc(security=AUTH)
def read(product_id: str):
    """One product of your organization."""
    s = db.session()
    member = business.membership(s, current_user())
    return _view(business.owned(s, Product, product_id, member.org_id))


@blp.route("/products/<product_id>/qr.<fmt>")
@limited("HEAVY_LIMIT_PER_USER")
@blp.doc(security=AUTH, responses=file_response("PNG or SVG", "image/png", "image/svg+xml"))
def product_qr(product_id: str, fmt: str):
    """The product's QR code: a signed, random token — no id, no personal data."""
    s = db.session()
    member = business.membership(s, current_user())
    business.owned(s, Product, product_id, member.org_id)
    return qr_response(s, member.org_id, "product", product_id, fmt)
