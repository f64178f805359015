"""The OpenAPI document and its interactive docs: truthful, and served without a network.

flask-smorest writes the document from the marshmallow schemas; this module adds what the
schemas cannot say — how to authenticate (``bearerAuth``, the Authorize button), money as
the decimal strings the API sends — and serves Swagger UI's files from the
``flask-swagger-ui`` package, so ``/api/docs`` works on a machine with no internet.
Errors are documented where they are answered, in ``problems.ProblemApi``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask_swagger_ui
from flask import Blueprint, Flask
from flask_smorest import Api
from marshmallow import fields

__all__ = ["SETTINGS", "file_response", "init_app"]

# Swagger UI's JavaScript and CSS, as the package ships them (version in dist/VERSION).
SWAGGER_UI_FILES = Path(flask_swagger_ui.__file__).parent / "dist"
ASSETS_URL = "/api/docs/assets"

SETTINGS: dict[str, Any] = {
    "API_TITLE": "consentkit API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": ASSETS_URL + "/",
    # The token pasted into Authorize is kept only for this page, not across reloads.
    "OPENAPI_SWAGGER_UI_CONFIG": {"persistAuthorization": False, "tryItOutEnabled": False},
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "Errors are RFC 9457 problem details (`application/problem+json`) with a "
                "stable `code`. Authenticate with a Bearer access token from "
                "`POST /api/v1/auth/login` or `/auth/register`."
            )
        }
    },
}

BEARER_AUTH = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "An access token from /api/v1/auth/login, /auth/register or /auth/refresh.",
}

# Money is sent and answered with two decimals as a string: never rounded through a float.
MONEY = {"type": "string", "format": "decimal", "pattern": r"^\d{1,10}(\.\d{1,2})?$"}


def _decimal_as_string(self, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """apispec would call every Decimal a number; ours travel as strings (``"12.50"``)."""
    if not isinstance(field, fields.Decimal):
        return {}
    from .api.edge import Money

    if isinstance(field, Money):
        return {
            **MONEY,
            "description": "An amount with two decimals; a JSON number is accepted too.",
        }
    if field.as_string:
        return {"type": "string", "format": "decimal"}
    return {}


def file_response(description: str, *media_types: str) -> dict[int, dict[str, Any]]:
    """A 200 answered with a file's bytes, for ``@blp.doc(responses=...)``."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {200: {"description": description, "content": dict.fromkeys(media_types, binary)}}


def init_app(app: Flask, api: Api) -> None:
    """After ``api.init_app``: the security scheme, decimal strings, the UI's files."""
    api.spec.components.security_scheme("bearerAuth", BEARER_AUTH)
    api.ma_plugin.converter.add_attribute_function(_decimal_as_string)
    app.register_blueprint(
        Blueprint(
            "swagger_ui_files",
            __name__,
            static_folder=str(SWAGGER_UI_FILES),
            static_url_path=ASSETS_URL,
        )
    )
