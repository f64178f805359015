"""The manifest's shape as marshmallow schemas.

Shape only: types, required keys, unknown keys, identifier patterns, enumerations.
Whether the parts fit together (a feature's category declared for its purpose, ...)
is ``checks.py``'s job, on the typed model.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from .durations import DEADLINE_UNITS, DurationError, parse_duration

ID_PATTERN = r"^[a-z][a-z0-9_-]*$"
DOTTED_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"

_ident = validate.Regexp(ID_PATTERN, error="must match [a-z][a-z0-9_-]*, got {input!r}")
_dotted = validate.Regexp(DOTTED_PATTERN, error="must be a dotted taxonomy id, got {input!r}")


class Duration(fields.String):
    """An ISO-8601 duration or one of the manifest's duration words."""

    def __init__(self, *, words: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.words = words

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parse_duration(text, words=self.words)
        except DurationError as exc:
            raise ValidationError(str(exc)) from exc
        return text


class Stored(fields.Field):
    """``true``, ``false`` or ``hashed``."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool | str:
        if isinstance(value, bool) or value == "hashed":
            return value
        raise ValidationError(f"must be true, false or hashed, got {value!r}")


def _ids() -> fields.List:
    return fields.List(fields.String(validate=_ident), load_default=list)


def _keys() -> fields.List:
    return fields.List(fields.String(validate=_dotted), load_default=list)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class ControllerSchema(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1))
    contact = fields.String(required=True, validate=validate.Length(min=1))


class PolicyVersionSchema(Strict):
    version = fields.String(required=True, validate=validate.Length(min=1, max=64))
    effective = fields.String(required=True)
    change = fields.String(load_default="major", validate=validate.OneOf(["major", "minor"]))
    url = fields.String(load_default=None)


class AppSchema(Strict):
    id = fields.String(required=True, validate=_ident)
    name = fields.String(required=True, validate=validate.Length(min=1))
    controller = fields.Nested(ControllerSchema, required=True)
    jurisdictions = fields.List(fields.String(), load_default=list)
    policy = fields.Nested(PolicyVersionSchema, required=True)


class PurposeSchema(Strict):
    description = fields.String(required=True, validate=validate.Length(min=1))
    kind = fields.String(required=True, validate=_dotted)
    basic = fields.Boolean(load_default=False)
    third_party = fields.Boolean(load_default=False)


class DataCategorySchema(Strict):
    purposes = fields.List(
        fields.String(validate=_ident), required=True, validate=validate.Length(min=1)
    )
    stored = Stored(load_default=True)
    retention = Duration(load_default="until_withdrawn")
    on_withdraw = fields.String(
        load_default="delete", validate=validate.OneOf(["delete", "anonymize", "retain"])
    )


class PermissionUseSchema(Strict):
    rationale = fields.String(required=True)


class FeatureSchema(Strict):
    basic = fields.Boolean(load_default=False)
    purposes = fields.List(
        fields.String(validate=_ident), required=True, validate=validate.Length(min=1)
    )
    permissions = _keys()
    collects = _keys()


class ThirdPartySchema(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1))
    purposes = fields.List(
        fields.String(validate=_ident), required=True, validate=validate.Length(min=1)
    )
    categories = _keys()
    policy_url = fields.String(load_default=None)
    tracking_domains = fields.List(fields.String(), load_default=list)


class DeadlineSchema(Strict):
    within = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=3650))
    unit = fields.String(
        required=True,
        validate=validate.OneOf(
            sorted(DEADLINE_UNITS), error="unknown unit {input!r}; use one of {choices}"
        ),
    )


class HoldSchema(Strict):
    categories = fields.List(
        fields.String(validate=_dotted), required=True, validate=validate.Length(min=1)
    )
    retention = Duration(required=True, words=False)
    then = fields.String(required=True, validate=validate.OneOf(["delete", "anonymize"]))
    basis = fields.String(load_default="")


class RightsSchema(Strict):
    calendar = fields.String(load_default=None)
    access = fields.Nested(DeadlineSchema)
    export = fields.Nested(DeadlineSchema)
    correction = fields.Nested(DeadlineSchema)
    deletion = fields.Nested(DeadlineSchema)
    cancellation = fields.Nested(DeadlineSchema)
    holds = fields.List(fields.Nested(HoldSchema), load_default=list)


class MinorsSchema(Strict):
    age = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=25))
    guardian_consent = fields.Boolean(load_default=True)


class PromptsSchema(Strict):
    reask_after = Duration(load_default="PT48H", words=False)
    max_optional_per_request = fields.Integer(
        load_default=1, strict=True, validate=validate.Range(min=1, max=20)
    )
    reads_per_minute = fields.Dict(
        keys=fields.String(validate=_dotted),
        values=fields.Integer(strict=True, validate=validate.Range(min=1, max=6000)),
        load_default=dict,
    )


class ManifestSchema(Strict):
    format = fields.Integer(
        required=True, strict=True, validate=validate.Equal(1, error="only format 1 is known")
    )
    app = fields.Nested(AppSchema, required=True)
    purposes = fields.Dict(
        keys=fields.String(validate=_ident),
        values=fields.Nested(PurposeSchema),
        required=True,
        validate=validate.Length(min=1),
    )
    data_categories = fields.Dict(
        keys=fields.String(validate=_dotted),
        values=fields.Nested(DataCategorySchema),
        load_default=dict,
    )
    never_collected = _keys()
    permissions = fields.Dict(
        keys=fields.String(validate=_dotted),
        values=fields.Nested(PermissionUseSchema),
        load_default=dict,
    )
    features = fields.Dict(
        keys=fields.String(validate=_ident), values=fields.Nested(FeatureSchema), load_default=dict
    )
    third_parties = fields.List(fields.Nested(ThirdPartySchema), load_default=list)
    rights = fields.Nested(RightsSchema, load_default=dict)
    minors = fields.Nested(MinorsSchema, load_default=None)
    prompts = fields.Nested(PromptsSchema, load_default=dict)
