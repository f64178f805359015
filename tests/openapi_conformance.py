"""Every response the test suite gets from the API is checked against the OpenAPI document.

A Flask signal sees each response of every in-process app — the test client, the SDK's
WSGI transport, schemathesis — so no test can forget to ask. Status, content type and
body must be what the document says the operation answers; a success must be documented
by its own status (the ``default`` response is for errors); a path or method the document
does not know must still answer a problem detail. openapi-core does the validating.
Mismatches are collected and fail the test that caused them (``tests/conftest.py``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, Response, request, request_finished
from openapi_core import Config, OpenAPI
from openapi_core.contrib.flask import FlaskOpenAPIRequest
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse

API_PREFIX = "/api/v1/"
PROBLEM_JSON = "application/problem+json"

mismatches: list[str] = []
_document: dict[str, OpenAPI] = {}


def _openapi(app: Flask) -> OpenAPI:
    """The document, built once: every app of a run serves the same one."""
    if "spec" not in _document:
        spec = app.extensions["consentkit.api"].spec.to_dict()
        # openapi-core reads JSON bodies by media type; a problem detail is JSON too.
        config = Config(extra_media_type_deserializers={PROBLEM_JSON: json.loads})
        _document["spec"] = OpenAPI.from_dict(spec, config=config)
    return _document["spec"]


class _Request(FlaskOpenAPIRequest):
    """The request as openapi-core needs it to find the operation: the route with our
    converters (``<row_id:item_id>``) as ``{item_id}``, and never the body (a response is
    judged alone; reading an oversized body would raise)."""

    path_regex = re.compile(r"<(?:[^<>:]+:)?([^<>:]+)>")

    @property
    def body(self) -> bytes | None:
        return None


def _problems(response: Response) -> str | None:
    if response.mimetype != PROBLEM_JSON:
        return f"an error answered as {response.mimetype!r}, not {PROBLEM_JSON}"
    body = response.get_json(silent=True)
    missing = {"type", "title", "status", "detail", "code"} - set(body or {})
    return f"a problem detail without {sorted(missing)}" if missing else None


def check(app: Flask, response: Response) -> str | None:
    """What is wrong with ``response`` to the current request, or None."""
    if not request.path.startswith(API_PREFIX) or request.method in ("HEAD", "OPTIONS"):
        return None
    if request.url_rule is None:  # no such path or method: still a problem detail
        return _problems(response) if response.status_code >= 400 else "undocumented path"
    openapi = _openapi(app)
    wrapped = _Request(request)
    operation = _operation(openapi, wrapped)
    if operation is None:
        return f"{request.method} {wrapped.path_pattern} is not in the document"
    status = str(response.status_code)
    documented = operation["responses"].get(status) or operation["responses"].get("default")
    if response.status_code < 400 and status not in operation["responses"]:
        return f"success {status} is not documented (only {sorted(operation['responses'])})"
    # (204 and 304 never carry a body: werkzeug drops whatever the view returned.)
    has_body = response.status_code not in (204, 304) and (
        response.direct_passthrough or bool(response.get_data())
    )
    if has_body and documented and "$ref" not in documented and "content" not in documented:
        return f"{status} answers {response.mimetype!r}, but the document says no content"
    errors = list(openapi.iter_response_errors(wrapped, WerkzeugOpenAPIResponse(response)))
    if errors:
        return "; ".join(_describe(e) for e in errors)
    return None


def _operation(openapi: OpenAPI, wrapped: _Request) -> dict[str, Any] | None:
    paths = openapi.spec / "paths"
    pattern = wrapped.path_pattern
    if pattern not in paths:
        return None
    item = paths / pattern
    method = wrapped.method.lower()
    if method not in item:
        return None
    with (item / method).open() as operation:
        return operation


def _describe(error: Exception) -> str:
    cause = error.__cause__
    details = getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None)
    if details:
        parts = [f"{'/'.join(map(str, e.absolute_path)) or '<body>'}: {e.message}" for e in details]
        return f"{type(error).__name__}: " + "; ".join(parts[:5])
    return f"{type(error).__name__}: {error}" + (f" ({cause})" if cause else "")


def _on_response(sender: Flask, response: Response, **_: Any) -> None:
    try:
        problem = check(sender, response)
    except Exception as exc:  # the check itself must never change what the test sees
        problem = f"could not be checked: {type(exc).__name__}: {exc}"
    if problem:
        mismatches.append(
            f"{request.method} {request.full_path.rstrip('?')} → {response.status_code}: {problem}"
        )


def install() -> None:
    """Watch every response of every app for the rest of the run."""
    request_finished.connect(_on_response)
