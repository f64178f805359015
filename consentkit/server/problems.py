"""Errors as RFC 9457 problem details, with a stable machine-readable ``code``.

Views raise ``Problem(status, code, detail)``; validation failures, HTTP errors, JWT
failures and anything unexpected all leave the server as ``application/problem+json``.
A client branches on ``code``, never on the wording.
"""

from __future__ import annotations

import http
import logging
import time
from typing import Any

from flask import Flask, Response, json
from flask_smorest import Api
from marshmallow import INCLUDE, Schema, fields
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

TYPE_BASE = "https://consentkit.dev/problems/"

# HTTP errors that carry no code of ours get one from their status.
STATUS_CODES = {
    400: "bad_request",
    401: "auth_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
}


class Problem(Exception):
    """An error the API answers on purpose."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str | None = None,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title
        self.errors = errors
        self.headers = headers
        self.extra = extra


PROBLEM_JSON = "application/problem+json"


class ProblemSchema(Schema):
    """The error body every endpoint can answer (RFC 9457); extension members may follow."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True, metadata={"description": "A URI naming the problem."})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    code = fields.String(
        required=True,
        metadata={"description": "Stable and machine-readable: branch on it, not on the text."},
    )
    errors = fields.Dict(
        metadata={"description": "validation_error: the messages of each field, by field path."}
    )


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title or code.replace("_", " ").capitalize(),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten_errors(messages: Any) -> dict[str, Any]:
    """webargs nests errors by location (``json``, ``query``); clients want field paths."""
    if isinstance(messages, dict) and set(messages) <= {
        "json",
        "query",
        "form",
        "files",
        "headers",
    }:
        merged: dict[str, Any] = {}
        for part in messages.values():
            if isinstance(part, dict):
                merged.update(part)
            else:
                merged["_body"] = part
        return merged
    return messages if isinstance(messages, dict) else {"_body": messages}


class ProblemApi(Api):
    """flask-smorest's Api, answering every HTTP error as a problem detail — and saying so
    in the OpenAPI document."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        """The error responses flask-smorest documents (``default``, 422, …), as problems.

        (flask-smorest gives its error responses the success content type.)"""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_JSON: {"schema": self.ERROR_SCHEMA}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            self.DEFAULT_ERROR_RESPONSE_NAME,
            {
                "description": "Any other error, as a problem detail.",
                "content": {PROBLEM_JSON: {"schema": self.ERROR_SCHEMA}},
            },
            lazy=True,
        )

    def handle_http_exception(self, error: HTTPException) -> Response:
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        messages = data.get("messages") or data.get("errors")
        if status == 400 and "Invalid JSON body." in str(messages):
            return problem_response(400, "malformed_json", "The body is not valid JSON.")
        if status == 422 or (status == 400 and messages):
            return problem_response(
                422,
                "validation_error",
                "The request does not match the schema; see errors.",
                errors=_flatten_errors(messages),
            )
        code = STATUS_CODES.get(status, "http_error")
        detail = data.get("message") or error.description or code
        headers = _kept_headers(error, data)
        if status == 429 and "Retry-After" not in headers:
            wait = _limit_reset_in()
            headers["Retry-After"] = str(wait)
            detail = f"Too many requests ({detail}); try again in {wait} seconds."
        return problem_response(status, code, str(detail), headers=headers)


def _limit_reset_in() -> int:
    """Seconds until the rate limit this request broke lets the next one through."""
    from .extensions import limiter

    limit = limiter.current_limit
    return max(1, int(limit.reset_at - time.time())) if limit else 60


def _kept_headers(error: HTTPException, data: dict[str, Any]) -> dict[str, str]:
    """The headers the error itself carries (a 405's ``Allow``, a 429's ``Retry-After``),
    without the ones that describe its HTML body."""
    kept = {
        name: value
        for name, value in error.get_headers()
        if name.lower() not in ("content-type", "content-length")
    }
    kept.update(data.get("headers") or {})
    return kept


def init_app(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(exc: Problem) -> Response:
        return problem_response(
            exc.status,
            exc.code,
            exc.detail,
            title=exc.title,
            errors=exc.errors,
            headers=exc.headers,
            **exc.extra,
        )

    @app.errorhandler(IntegrityError)
    def _conflict(exc: IntegrityError) -> Response:
        """A concurrent twin of this request committed first (see ``conflicts``)."""
        from . import conflicts, db

        db.session().rollback()
        code, detail = conflicts.describe(exc)
        return problem_response(409, code, detail)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            return app.extensions["consentkit.api"].handle_http_exception(exc)
        # Logged without request data: a stack trace may hold personal data.
        log.error("unexpected %s in request", type(exc).__name__)
        return problem_response(500, "internal_error", "Something went wrong on our side.")
