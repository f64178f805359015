"""Flask extensions, created here once and bound to each app by ``init_app``."""

from __future__ import annotations

from flask import Flask, g
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.routing import BaseConverter, IntegerConverter

from . import db, openapi
from .problems import ProblemApi, problem_response
from .services import senders, tokens


class RowId(IntegerConverter):
    """A row id in a URL: a positive 32-bit integer (PostgreSQL INTEGER). Anything else is
    no route — a 404 — never an overflow inside the database driver."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)


class Segment(BaseConverter):
    """Any other path part (an opaque id, an app id, a version): printable, at most 64
    characters. Anything else — a NUL, a control character, a megabyte — is no route."""

    regex = r"[^/\x00-\x1f\x7f]{1,64}"


jwt = JWTManager()
api = ProblemApi()
api.register_converter(
    RowId, lambda converter: {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
)
api.register_converter(Segment, lambda converter: {"type": "string", "maxLength": 64})
limiter = Limiter(key_func=get_remote_address)


def init_app(app: Flask) -> None:
    from datetime import timedelta

    app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(
        seconds=int(app.config["JWT_ACCESS_TOKEN_EXPIRES"])
    )
    app.config["JWT_REFRESH_TOKEN_EXPIRES"] = timedelta(
        seconds=int(app.config["JWT_REFRESH_TOKEN_EXPIRES"])
    )
    # No X-RateLimit-* headers: flask-limiter would also put its window's Retry-After on
    # every answer of a limited route, over the back-off's own; a 429 gets Retry-After
    # from ``problems``.
    app.config["RATELIMIT_HEADERS_ENABLED"] = False
    jwt.init_app(app)
    api.init_app(app)
    openapi.init_app(app, api)
    app.extensions["consentkit.api"] = api
    # flask-limiter keeps the first app's key prefix for good; each app counts under its
    # own (a process serves one app, but tests and the simulator build many).
    limiter._key_prefix = app.config.get("RATELIMIT_KEY_PREFIX") or ""
    limiter.init_app(app)
    app.extensions["consentkit.sender"] = senders.from_config(app.config)


@jwt.token_in_blocklist_loader
def _revoked(_header: dict, payload: dict) -> bool:
    """Runs first: the session's user, kept for the user lookup that follows."""
    g.consentkit_session_user = tokens.session_user(db.session(), payload)
    return g.consentkit_session_user is None


@jwt.user_lookup_loader
def _user(_header: dict, _payload: dict):
    return g.pop("consentkit_session_user", None)


@jwt.expired_token_loader
def _expired(_header: dict, _payload: dict):
    return problem_response(401, "token_expired", "The access token has expired; refresh it.")


@jwt.invalid_token_loader
def _invalid(reason: str):
    return problem_response(401, "token_invalid", "The token is not valid.")


@jwt.unauthorized_loader
def _missing(reason: str):
    return problem_response(401, "auth_required", "This needs a Bearer access token.")


@jwt.revoked_token_loader
def _revoked_answer(_header: dict, _payload: dict):
    return problem_response(401, "token_revoked", "This session has ended; log in again.")


@jwt.user_lookup_error_loader
def _no_user(_header: dict, _payload: dict):
    return problem_response(401, "token_revoked", "This account is no longer active.")


@jwt.token_verification_failed_loader
def _verification_failed(_header: dict, _payload: dict):
    return problem_response(401, "token_invalid", "The token is not valid.")
