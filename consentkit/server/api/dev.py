"""Development helpers: the outbox of the development sender. 404 outside development."""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields
from sqlalchemy import select

from .. import db
from ..models import OutboxMessage
from ..problems import Problem
from ..services import phones
from .edge import Blueprint, Text

blp = Blueprint("dev", __name__, description="Development only: the message outbox")


class OutboxQuery(Schema):
    phone = Text(required=True, max_length=32)


class MessageSchema(Schema):
    phone = fields.String()
    kind = fields.String()
    body = fields.String()
    created_at = fields.DateTime()


@blp.route("/dev/outbox")
@blp.arguments(OutboxQuery, location="query")
@blp.response(200, MessageSchema(many=True))
def outbox(query: dict):
    """Messages sent to a phone, newest first (CONSENTKIT_ENV=development only)."""
    if current_app.config["ENV"] not in ("development", "test"):
        raise Problem(404, "not_found", "The requested URL was not found on the server.")
    phone = phones.normalise(query["phone"])
    return list(
        db.session().scalars(
            select(OutboxMessage)
            .where(OutboxMessage.phone == phone)
            .order_by(OutboxMessage.id.desc())
            .limit(20)
        )
    )
