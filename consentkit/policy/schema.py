"""The manifest's shape as marshmallow schemas.

Shape only: types, required keys, unknown keys, identifier patterns, enumerations.
Whether the parts fit together (a feature's category declared for its purpose, ...)
is ``checks.py``'s job, on the typed model.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from .domains import DOMAIN_PATTERN
from .durations import DEADLINE_UNITS, DurationError, parse_duration
from .manifest import EXTRA_RIGHTS, RIGHTS
from .taxonomy import taxonomy

ID_PATTERN = r"^[a-z][a-z0-9_-]*$"
DOTTED_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"

COUNTRY_PATTERN = r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_ident = validate.Regexp(ID_PATTERN, error="must match [a-z][a-z0-9_-]*, got {input!r}")
_dotted = validate.Regexp(DOTTED_PATTERN, error="must be a dotted taxonomy id, got {input!r}")
_country = validate.Regexp(
    COUNTRY_PATTERN, error="must be an ISO 3166 code such as CN, US or CN-GD, got {input!r}"
)

_domain = validate.Regexp(
    DOMAIN_PATTERN,
    flags=re.IGNORECASE,
    error="must be a host name such as api.example.com (no scheme, path or port), got {input!r}",
)


def _words(vocabulary: str) -> validate.OneOf:
    """One word of a closed list of the taxonomy (channels, third-party kinds, ...)."""
    return validate.OneOf(
        taxonomy().words(vocabulary), error="unknown word {input!r}; use one of {choices}"
    )


def _list_of(vocabulary: str, **kwargs: Any) -> fields.List:
    return fields.List(fields.String(validate=_words(vocabulary)), **kwargs)


class IsoDate(fields.String):
    """A calendar date written YYYY-MM-DD (kept as that text)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not DATE_PATTERN.match(text):
            raise ValidationError(f"{text!r} is not a date written YYYY-MM-DD")
        try:
            date.fromisoformat(text)
        except ValueError as exc:
            raise ValidationError(f"{text!r} is not a date: {exc}") from exc
        return text


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
    effective = IsoDate(required=True)
    change = fields.String(load_default="major", validate=validate.OneOf(["major", "minor"]))
    url = fields.String(load_default=None)


class AppSchema(Strict):
    id = fields.String(required=True, validate=_ident)
    name = fields.String(required=True, validate=validate.Length(min=1))
    controller = fields.Nested(ControllerSchema, required=True)
    jurisdictions = fields.List(fields.String(), load_default=list)
    policy = fields.Nested(PolicyVersionSchema, required=True)
    governing_law = fields.String(load_default=None, validate=_country)
    domains = fields.List(fields.String(validate=_domain), load_default=list)


class PurposeSchema(Strict):
    description = fields.String(required=True, validate=validate.Length(min=1))
    kind = fields.String(required=True, validate=_dotted)
    basic = fields.Boolean(load_default=False)
    third_party = fields.Boolean(load_default=False)
    profiling = fields.Boolean(load_default=False)


class DataCategorySchema(Strict):
    purposes = fields.List(
        fields.String(validate=_ident), required=True, validate=validate.Length(min=1)
    )
    stored = Stored(load_default=True)
    retention = Duration(load_default="until_withdrawn")
    on_withdraw = fields.String(
        load_default="delete", validate=validate.OneOf(["delete", "anonymize", "retain"])
    )
    sensitive = fields.Boolean(load_default=False)
    role = fields.String(
        load_default="controller", validate=validate.OneOf(["controller", "processor"])
    )
    rights_answered_by = fields.String(
        load_default=None, validate=validate.OneOf(["app", "organization"])
    )


class PermissionUseSchema(Strict):
    rationale = fields.String(required=True)
    # extension: the rationale in other languages (iOS InfoPlist.strings per locale)
    translations = fields.Dict(
        keys=fields.String(validate=_words("locale")),
        values=fields.String(validate=validate.Length(min=2, error="give the translated text")),
        load_default=dict,
    )


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
    tracking_domains = fields.List(fields.String(validate=_domain), load_default=list)
    kind = fields.String(load_default=None, validate=_words("third_party_kind"))
    country = fields.String(load_default=None, validate=_country)
    de_identified = fields.Boolean(load_default=False)
    domains = fields.List(fields.String(validate=_domain), load_default=list)
    sdk_name = fields.String(load_default=None, validate=validate.Length(min=1))


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


class IdentityCheckSchema(Strict):
    rights = fields.List(
        fields.String(validate=validate.OneOf(RIGHTS + EXTRA_RIGHTS)),
        required=True,
        validate=validate.Length(min=1),
    )
    methods = _list_of("identity_method", required=True, validate=validate.Length(min=1))


class RightsSchema(Strict):
    calendar = fields.String(load_default=None)
    access = fields.Nested(DeadlineSchema)
    export = fields.Nested(DeadlineSchema)
    correction = fields.Nested(DeadlineSchema)
    deletion = fields.Nested(DeadlineSchema)
    cancellation = fields.Nested(DeadlineSchema)
    holds = fields.List(fields.Nested(HoldSchema), load_default=list)
    # extensions: more rights with a reply deadline, and how requests are verified
    withdrawal = fields.Nested(DeadlineSchema)
    complaint = fields.Nested(DeadlineSchema)
    inquiry = fields.Nested(DeadlineSchema)
    verify_identity = fields.Nested(IdentityCheckSchema, load_default=None)


class MinorsSchema(Strict):
    age = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=25))
    guardian_consent = fields.Boolean(load_default=True)


class NoticeRuleSchema(Strict):
    before = Duration(load_default=None, words=False)
    channels = _list_of("channel", load_default=list)


class PolicyChangeNoticeSchema(NoticeRuleSchema):
    applies_to = fields.String(load_default="major", validate=validate.OneOf(["major", "every"]))


class NoticeSchema(Strict):
    policy_change = fields.Nested(PolicyChangeNoticeSchema, load_default=None)
    shutdown = fields.Nested(NoticeRuleSchema, load_default=None)
    major_changes = _list_of("change_event", load_default=list)


class BreachSchema(Strict):
    within = Duration(load_default=None, words=False)
    channels = _list_of("channel", required=True, validate=validate.Length(min=1))
    public_notice = fields.Boolean(load_default=False)
    regulator = fields.Boolean(load_default=False)


class StorageSchema(Strict):
    location = fields.List(
        fields.String(validate=_country), required=True, validate=validate.Length(min=1)
    )
    cross_border = fields.String(required=True, validate=_words("cross_border"))


class AccountsSchema(Strict):
    creation = _list_of("account_creation", load_default=list)
    outside_app = _list_of("outside_account", load_default=list)
    deletion_url = fields.String(
        load_default=None,
        validate=validate.URL(
            schemes={"https", "http"}, error="must be a web address, got {input!r}"
        ),
    )


class SecuritySchema(Strict):
    encrypted_in_transit = fields.Boolean(required=True)


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
    # extensions of format 1 (additive: a format-1 file without them means what it meant)
    notice = fields.Nested(NoticeSchema, load_default=None)
    breach = fields.Nested(BreachSchema, load_default=None)
    storage = fields.Nested(StorageSchema, load_default=None)
    accounts = fields.Nested(AccountsSchema, load_default=None)
    security = fields.Nested(SecuritySchema, load_default=None)
    required_reason_apis = fields.Dict(
        keys=fields.String(validate=_ident),
        values=fields.List(
            fields.String(), validate=validate.Length(min=1, error="name at least one reason code")
        ),
        load_default=dict,
    )
    choices = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1)),
        values=fields.String(validate=validate.Length(min=10, error="give the reason")),
        load_default=dict,
    )
