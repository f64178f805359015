"""``POST /collect``: personal data in, each event checked against the policy and consent."""

from __future__ import annotations

import re

from flask import current_app, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate, validates

from .. import db
from ..limits import limited
from ..problems import Problem
from ..services import collection, idempotency, ledger, policies
from .common import AUTH, current_user
from .edge import Blueprint, CategoryKey, Identifier, JsonValue

IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,128}")

blp = Blueprint("collect", __name__, description="Consent-checked collection of personal data")


class EventIn(Schema):
    category = CategoryKey(required=True)
    purpose = Identifier(required=True)
    feature = Identifier(required=True)
    collected_at = fields.AwareDateTime(required=True)
    payload = JsonValue(load_default=None)


class CollectRequest(Schema):
    app_id = Identifier(required=True)
    events = fields.List(fields.Nested(EventIn), required=True, validate=validate.Length(min=1))

    @validates("events")
    def _not_too_many(self, value: list, **_: object) -> None:
        limit = current_app.config["COLLECT_MAX_EVENTS"]
        if len(value) > limit:
            raise ValidationError(f"At most {limit} events per batch.")


class CollectAnswer(Schema):
    accepted = fields.Integer()
    rejected = fields.Integer()
    results = fields.List(fields.Dict())


def _idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise Problem(
            400,
            "idempotency_key_required",
            "Send an Idempotency-Key header (1-128 visible ASCII characters, a UUID for "
            "example) so retries add nothing.",
        )
    return key


@blp.route("/collect", methods=["POST"])
@limited("COLLECT_LIMIT_PER_USER")
@blp.arguments(CollectRequest)
@blp.response(200, CollectAnswer)
@blp.doc(
    security=AUTH,
    parameters=[
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": True,
            "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY.pattern, "maxLength": 128},
        }
    ],
)
def collect_events(body: dict):
    """Check and store a batch; each event gets its own result. A retry with the same
    Idempotency-Key returns the first answer and adds nothing."""
    key = _idempotency_key()
    user = current_user()
    s = db.session()
    manifest = policies.current(s, body["app_id"])
    # The subject's lock first: a withdrawal cannot commit between this check and the
    # insert, and a twin of this batch waits here and then finds its answer.
    state = ledger.locked_state(s, manifest, ledger.Subject(user=user))
    request_hash = idempotency.digest(request.get_json())
    answer = collection.collect(s, manifest, state, user, body["events"])
    if not idempotency.remember(s, user.id, key, request_hash, answer):
        s.rollback()  # a retry: what this request stored goes, the first answer stands
        return idempotency.replay(s, user.id, key, request_hash)
    s.commit()
    # Already plain JSON: answered as it is rather than dumped again field by field (a
    # batch has 500 results); CollectAnswer documents the shape.
    return jsonify(answer)
