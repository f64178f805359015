"""Orders: transaction records, kept under the legal hold (anonymized, never deleted early)."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from .. import db
from ..models import Customer, Order
from ..services import business
from .common import AUTH, current_user
from .edge import Blueprint, Identifier, Int, Money, Text, column_max

blp = Blueprint("orders", __name__, description="Orders of the organization")

STATUSES = ["open", "confirmed", "shipped", "done", "cancelled"]
PRICE_MAX = Decimal(10**9)


class ItemIn(Schema):
    sku = Text(required=True, min_length=1, max_length=64)
    name = Text(required=True, min_length=1, max_length=200)
    quantity = Int(required=True, minimum=1, maximum=100_000)
    price = Money(required=True, maximum=PRICE_MAX)


class OrderIn(Schema):
    app_id = Identifier(required=True)
    customer_id = Text(required=True, max_length=32)
    items = fields.List(
        fields.Nested(ItemIn), required=True, validate=validate.Length(min=1, max=500)
    )
    notes = Text(load_default=None, max_length=2000)

    @validates_schema
    def _total_fits(self, data: dict, **_: object) -> None:
        total = sum((i["price"] * i["quantity"] for i in data.get("items", [])), Decimal(0))
        if total > column_max(Order.amount):
            raise ValidationError(
                f"The order total must not exceed {column_max(Order.amount):,}.", "items"
            )


class OrderPatch(Schema):
    status = Text(required=True, max_length=16, validate=validate.OneOf(STATUSES))


class OrderOut(Schema):
    id = fields.String()
    customer_id = fields.String(allow_none=True)
    items = fields.List(fields.Dict())
    amount = fields.Decimal(as_string=True)
    status = fields.String()
    notes = fields.String(allow_none=True)
    created_at = fields.DateTime()


@blp.route("/orders", methods=["POST"])
@blp.arguments(OrderIn)
@blp.response(201, OrderOut)
@blp.doc(security=AUTH)
def create(body: dict):
    """Place an order for a customer; the amount is computed here, not trusted."""
    user = current_user()
    s = db.session()
    member = business.membership(s, user)
    business.owned(s, Customer, body["customer_id"], member.org_id)
    event = business.consent_for(s, user, body["app_id"], "user.transaction.order", "place_order")
    items = [{**i, "price": str(i["price"])} for i in body["items"]]
    amount = sum((Decimal(i["price"]) * i["quantity"] for i in items), Decimal(0))
    order = Order(
        org_id=member.org_id,
        customer_id=body["customer_id"],
        created_by=user.id,
        items=items,
        amount=amount,
        notes=body["notes"],
        consent_event_id=event.id,
    )
    s.add(order)
    s.commit()
    return order


@blp.route("/orders")
@blp.response(200, OrderOut(many=True))
@blp.doc(security=AUTH)
def list_orders():
    """The organization's orders, newest first."""
    s = db.session()
    member = business.membership(s, current_user())
    return list(
        s.scalars(
            select(Order)
            .where(Order.org_id == member.org_id)
            .order_by(Order.created_at.desc())
            .limit(1000)
        )
    )


@blp.route("/orders/<order_id>")
@blp.response(200, OrderOut)
@blp.doc(security=AUTH)
def read(order_id: str):
    """One order of your organization."""
    s = db.session()
    member = business.membership(s, current_user())
    return business.owned(s, Order, order_id, member.org_id)


@blp.route("/orders/<order_id>", methods=["PATCH"])
@blp.arguments(OrderPatch)
@blp.response(200, OrderOut)
@blp.doc(security=AUTH)
def set_status(body: dict, order_id: str):
    """Move an order along (open, confirmed, shipped, done, cancelled)."""
    s = db.session()
    member = business.membership(s, current_user())
    order = business.owned(s, Order, order_id, member.org_id)
    order.status = body["status"]
    s.commit()
    return order
