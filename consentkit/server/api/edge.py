"""The field types of every request: values the database can always store.

A request that reaches a view has been checked here once, for every endpoint alike: text
has no NUL and is valid Unicode (PostgreSQL refuses both), fits the column it is bound
for, numbers fit theirs, and a free-form JSON value holds only such text. Anything else
is a 422 with the field named — never a driver error turned into a 500.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import flask_smorest
from flask import Request
from marshmallow import ValidationError, fields, validate
from sqlalchemy import Numeric, String
from sqlalchemy.orm import InstrumentedAttribute
from webargs.flaskparser import FlaskParser

# A row id in a body or a URL: PostgreSQL's INTEGER.
ROW_ID_MAX = 2**31 - 1
# Manifest identifiers (apps, purposes, features) and taxonomy keys (categories).
IDENTIFIER = r"^[a-z][a-z0-9_-]*$"
TAXONOMY_KEY = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"
# How deep a free-form JSON value may nest.
JSON_MAX_DEPTH = 16


def text_problem(value: str) -> str | None:
    """Why a database cannot store ``value`` as text, or None."""
    if "\x00" in value:
        return "Must not contain NUL characters."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Must be valid Unicode text (no lone surrogates)."
    return None


def column_length(column: InstrumentedAttribute) -> int:
    """The length of a model's String column: one truth for the API and the table."""
    kind = column.property.columns[0].type
    assert isinstance(kind, String) and kind.length, f"{column} is not a bounded String"
    return kind.length


def column_max(column: InstrumentedAttribute) -> Decimal:
    """The largest value a model's Numeric column holds."""
    kind = column.property.columns[0].type
    assert isinstance(kind, Numeric) and kind.precision is not None
    scale = kind.scale or 0
    return Decimal(10) ** (kind.precision - scale) - Decimal(1).scaleb(-scale)


def _validators(given: Any) -> list:
    if given is None:
        return []
    return list(given) if isinstance(given, list | tuple) else [given]


class Text(fields.String):
    """Text for a column of ``max_length`` characters (``Text.of(Model.column)``)."""

    def __init__(self, *, max_length: int, min_length: int | None = None, **kwargs: Any) -> None:
        rules = [
            validate.Length(min=min_length, max=max_length),
            *_validators(kwargs.pop("validate", None)),
        ]
        super().__init__(validate=rules, **kwargs)

    @classmethod
    def of(cls, column: InstrumentedAttribute, **kwargs: Any) -> Text:
        return cls(max_length=column_length(column), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(text)
        if problem:
            raise ValidationError(problem)
        return text


class Identifier(Text):
    """An app, purpose or feature id of a manifest."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        rule = validate.Regexp(IDENTIFIER, error="Lower-case letters, digits, _ and - only.")
        super().__init__(validate=[rule, *_validators(kwargs.pop("validate", None))], **kwargs)


class CategoryKey(Text):
    """A data category of the taxonomy (``user.location.precise``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 96)
        rule = validate.Regexp(TAXONOMY_KEY, error="A dotted taxonomy key.")
        super().__init__(validate=[rule, *_validators(kwargs.pop("validate", None))], **kwargs)


class Int(fields.Integer):
    """A whole number within the bounds given (a JSON number, never a string)."""

    def __init__(self, *, minimum: int, maximum: int, **kwargs: Any) -> None:
        rules = [
            validate.Range(min=minimum, max=maximum),
            *_validators(kwargs.pop("validate", None)),
        ]
        super().__init__(strict=True, validate=rules, **kwargs)


class RowId(Int):
    """The id of a row, as a body field."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(minimum=1, maximum=ROW_ID_MAX, **kwargs)


class JsonValue(fields.Raw):
    """A free-form JSON value (a payload): any shape, but only storable text, and not
    nested beyond ``JSON_MAX_DEPTH``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        _check_json(value, 0)
        return value


def _check_json(value: Any, depth: int) -> None:
    if depth > JSON_MAX_DEPTH:
        raise ValidationError(f"Nested deeper than {JSON_MAX_DEPTH} levels.")
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            raise ValidationError(problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(str(key))
            if problem:
                raise ValidationError(f"Key {key!r}: {problem}")
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)


class JsonObject(JsonValue):
    """A free-form JSON object."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise ValidationError("Must be an object.")
        return super()._deserialize(value, attr, data, **kwargs)


class InstallId(Text):
    """The random id an app makes at install: the only thing known before consent."""

    def __init__(self, **kwargs: Any) -> None:
        rule = validate.Regexp(r"^[A-Za-z0-9_-]{8,64}$", error="8-64 letters, digits, _ or -")
        super().__init__(max_length=64, validate=rule, **kwargs)


class OneTimeCode(Text):
    """A code sent by SMS: six digits."""

    def __init__(self, **kwargs: Any) -> None:
        rule = validate.Regexp(r"^\d{6}$", error="six digits")
        super().__init__(max_length=6, validate=rule, **kwargs)


class RequestParser(FlaskParser):
    """webargs' parser, with a body nested too deeply for Python's JSON parser answered
    as invalid JSON (a 400) instead of a RecursionError (a 500)."""

    def _raw_load_json(self, req: Request) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            # (a non-empty document: webargs reads an empty one as "no body")
            raise json.JSONDecodeError("JSON nested too deeply", "[[[…", 0) from None


class Blueprint(flask_smorest.Blueprint):
    """Every API blueprint: its arguments parsed by ``RequestParser``."""

    ARGUMENTS_PARSER = RequestParser()


class Money(fields.Decimal):
    """An amount with two decimals, from 0 to ``maximum``: sent as a number or a string,
    answered as a string (``"12.50"``), never rounded through a float."""

    def __init__(self, *, maximum: Decimal, **kwargs: Any) -> None:
        self.maximum = maximum

        def bounded(value: Decimal) -> None:
            # A plain validator: apispec would render a Decimal range as strings.
            if not Decimal(0) <= value <= maximum:
                raise ValidationError(f"Must be between 0 and {maximum:,}.")

        super().__init__(places=2, validate=bounded, **kwargs)
