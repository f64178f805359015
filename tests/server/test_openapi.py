"""The OpenAPI document tells the truth — and the check every test runs can tell a lie."""

from __future__ import annotations

import json

import pytest
from flask import Response

from tests import openapi_conformance

from .conftest import make_app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("openapi")
    return make_app(f"sqlite:///{folder / 'doc.sqlite'}", folder / "instance")


@pytest.fixture(scope="module")
def document(app) -> dict:
    return app.test_client().get("/api/openapi.json").json


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield f"{method.upper()} {path}", operation


def resolve(document: dict, node: dict) -> dict:
    while "$ref" in node:
        *_, kind, name = node["$ref"].split("/")
        node = document["components"][kind][name]
    return node


def test_bearer_auth_is_declared_for_the_authorize_button(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    secured = [name for name, op in operations(document) if op.get("security")]
    assert len(secured) > 40
    for name, operation in operations(document):
        for requirement in operation.get("security", []):
            assert set(requirement) <= set(schemes), name


def test_every_error_is_documented_as_a_problem_detail(document):
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    assert {"errors", "code"} <= set(problem["properties"])
    assert problem["properties"]["status"]["type"] == "integer"
    for name, operation in operations(document):
        for status, response in operation["responses"].items():
            if status == "default" or int(status) >= 400:
                content = resolve(document, response)["content"]
                assert list(content) == ["application/problem+json"], (name, status)


def test_money_is_a_decimal_string(document):
    schemas = document["components"]["schemas"]
    for schema, field in [
        ("ProductOut", "price"),
        ("ProductIn", "price"),
        ("ItemIn", "price"),
        ("OrderOut", "amount"),
    ]:
        assert schemas[schema]["properties"][field]["type"] == "string", (schema, field)
        assert schemas[schema]["properties"][field]["format"] == "decimal"


def test_uploads_are_multipart_and_files_have_their_media_types(document):
    body = document["paths"]["/api/v1/media"]["post"]["requestBody"]["content"]
    assert list(body) == ["multipart/form-data"]
    upload = resolve(document, body["multipart/form-data"]["schema"])
    assert upload["properties"]["file"] == {**upload["properties"]["file"], "format": "binary"}
    assert "file" in upload["required"]
    files = {
        "/api/v1/media/{item_id}": {"image/jpeg", "image/png", "image/webp"},
        "/api/v1/products/{product_id}/qr.{fmt}": {"image/png", "image/svg+xml"},
        "/api/v1/me/exports/{request_id}/download": {"application/zip"},
    }
    for path, types in files.items():
        assert set(document["paths"][path]["get"]["responses"]["200"]["content"]) == types


def _checked(app, path: str, response: Response, method: str = "GET") -> str | None:
    with app.test_request_context(path, method=method):
        return openapi_conformance.check(app, response)


def test_the_response_check_catches_what_the_document_does_not_say(app):
    policy = "/api/v1/apps/zhenyi-erp/policy"
    good = Response(
        json.dumps({"app_id": "zhenyi-erp", "version": "1"}), mimetype="application/json"
    )
    assert _checked(app, policy, good) is None
    wrong_type = Response(json.dumps({"version": 3}), mimetype="application/json")
    assert "version" in _checked(app, policy, wrong_type)
    extra = Response(json.dumps({"surprise": True}), mimetype="application/json")
    assert _checked(app, policy, extra) is not None
    html_error = Response("<h1>oops</h1>", status=500, mimetype="text/html")
    assert _checked(app, policy, html_error) is not None
    problem = {"type": "t", "title": "T", "status": 404, "detail": "d", "code": "not_found"}
    as_problem = Response(json.dumps(problem), status=404, mimetype="application/problem+json")
    assert _checked(app, policy, as_problem) is None
    assert _checked(app, policy, Response(json.dumps(problem), status=201)) is not None
    price_as_number = {"id": "p", "name": "Tea", "price": 0, "image_id": None, "image": None}
    product = Response(json.dumps(price_as_number), mimetype="application/json")
    assert "price" in _checked(app, "/api/v1/products/p1", product)
