"""The shape of each category's payload, named by the taxonomy's ``payload`` field.

Shared by the server (which rejects a payload that does not fit) and the SDK (which
builds them), so both agree on what, say, a location is.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

__all__ = ["PAYLOADS", "validate_payload"]


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class Location(_Strict):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(load_default=None, validate=validate.Range(0, 100_000))


class Phone(_Strict):
    phone = fields.String(required=True, validate=validate.Regexp(r"^\+?[0-9 ()-]{5,20}$"))


class Email(_Strict):
    email = fields.Email(required=True)


class Text(_Strict):
    value = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class Identifier(_Strict):
    value = fields.String(required=True, validate=validate.Length(min=1, max=200))


class Contact(_Strict):
    """Only what importing a customer needs: a name and a phone, nothing else of the card."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(required=True, validate=validate.Regexp(r"^\+?[0-9 ()-]{5,20}$"))


class Record(_Strict):
    """Free-form business records, bounded in size."""

    class Meta:
        unknown = "include"


PAYLOADS: dict[str, type[Schema]] = {
    "location": Location,
    "phone": Phone,
    "email": Email,
    "text": Text,
    "identifier": Identifier,
    "contact": Contact,
    "object": Record,
}

MAX_RECORD_BYTES = 16_384
# One instance per kind: building a schema costs more than loading with it.
_LOADERS: dict[str, Schema] = {kind: schema() for kind, schema in PAYLOADS.items()}


def validate_payload(kind: str | None, payload: Any) -> tuple[dict[str, Any] | None, dict | None]:
    """``(clean, None)`` or ``(None, errors)``; media goes through the upload endpoints."""
    if kind == "media":
        return None, {"payload": ["Media is uploaded as a file, not sent as a payload."]}
    schema = PAYLOADS.get(kind or "")
    if schema is None:
        return None, {"payload": ["This category cannot be collected."]}
    if not isinstance(payload, dict):
        return None, {"payload": ["Must be an object."]}
    if kind == "object" and len(repr(payload)) > MAX_RECORD_BYTES:
        return None, {"payload": [f"Larger than {MAX_RECORD_BYTES} bytes."]}
    try:
        return _LOADERS[kind].load(payload), None
    except ValidationError as exc:
        return None, {"payload": exc.messages}
