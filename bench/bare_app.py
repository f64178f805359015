"""The floor that ``POST /collect`` is measured against, served by gunicorn from bench/collect.py.

The same stack — Flask, flask-smorest parsing the body with the same marshmallow request
schema, SQLAlchemy's engine, gunicorn, the same database — doing the least a collect
endpoint can do: find the caller by a token lookup, insert the rows (one statement,
``executemany`` for a batch), commit. No session, no policy, no consent, no payload check,
no idempotency, no per-event answer: what is left when every check of the ledger is taken
away.
"""

from __future__ import annotations

import json
import os

from flask import Flask, request
from flask_smorest import Api, Blueprint
from sqlalchemy import text

from consentkit.server.api.collect import CollectRequest
from consentkit.server.db import make_engine

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS bare_tokens (token VARCHAR(1024) PRIMARY KEY, user_id VARCHAR(32))",
    "CREATE TABLE IF NOT EXISTS bare_items (id {serial} PRIMARY KEY, user_id VARCHAR(32),"
    " category VARCHAR(96), purpose VARCHAR(64), feature VARCHAR(64),"
    " collected_at VARCHAR(40), payload TEXT)",
]
_INSERT = text(
    "INSERT INTO bare_items (user_id, category, purpose, feature, collected_at, payload)"
    " VALUES (:user_id, :category, :purpose, :feature, :collected_at, :payload)"
)
_TOKEN = text("SELECT user_id FROM bare_tokens WHERE token = :token")


def create_schema(engine) -> None:
    serial = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
    with engine.begin() as conn:
        for statement in SCHEMA:
            conn.execute(text(statement.format(serial=serial)))


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(
        API_TITLE="bare", API_VERSION="1", OPENAPI_VERSION="3.0.3", COLLECT_MAX_EVENTS=500
    )
    engine = make_engine(os.environ["BARE_DATABASE_URL"])
    blp = Blueprint("bare", __name__)

    @blp.route("/bare/collect", methods=["POST"])
    @blp.arguments(CollectRequest)
    def collect(body: dict):
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with engine.begin() as conn:
            user = conn.execute(_TOKEN, {"token": token}).scalar()
            if user is None:
                return {"code": "auth_required"}, 401
            rows = [
                {
                    "user_id": user,
                    "category": event["category"],
                    "purpose": event["purpose"],
                    "feature": event["feature"],
                    "collected_at": event["collected_at"].isoformat(),
                    "payload": json.dumps(event.get("payload")),
                }
                for event in body["events"]
            ]
            conn.execute(_INSERT, rows)
        return {"accepted": len(rows)}

    Api(app).register_blueprint(blp)
    return app


app = create_app() if "BARE_DATABASE_URL" in os.environ else None
