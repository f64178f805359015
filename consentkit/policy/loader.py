"""Read a manifest from YAML into a checked ``Manifest``.

Every failure, whatever the input, is a ``ManifestInvalid`` listing problems that
name the file, the line, the path inside the manifest and the reason — all of them in
one run: shape errors, and the coherence checks over every part whose shape is sound.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError

from .domains import normalize
from .located import (
    LocatedError,
    PathPart,
    Problem,
    flatten_errors,
    format_path,
    line_for,
    line_index,
    suggest,
)
from .manifest import (
    EXTRA_RIGHTS,
    RIGHTS,
    Accounts,
    App,
    Breach,
    Controller,
    DataCategory,
    Deadline,
    Feature,
    Hold,
    IdentityCheck,
    Manifest,
    Minors,
    Notice,
    NoticeRule,
    PermissionUse,
    PolicyVersion,
    Prompts,
    Purpose,
    Rights,
    Security,
    Storage,
    ThirdParty,
)
from .schema import ManifestSchema


class TextLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: ``effective: 2025-13-01`` stays text that the
    schema reports as a bad date, instead of a ValueError inside the YAML parser."""


TextLoader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

__all__ = ["ManifestInvalid", "Problem", "load_manifest", "manifest_from_dict", "parse_manifest"]


class ManifestInvalid(LocatedError):
    """The manifest cannot be used; ``problems`` says why, each with its place."""


def load_manifest(path: str | Path) -> Manifest:
    """Load and check a manifest file."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestInvalid([Problem(str(path), "", f"cannot read the file: {exc}")]) from exc
    return parse_manifest(text, source=str(path))


def parse_manifest(text: str, source: str = "<manifest>") -> Manifest:
    """Parse and check manifest YAML text."""
    try:
        node = yaml.compose(text, Loader=TextLoader)
        data = yaml.load(text, Loader=TextLoader)  # a SafeLoader: plain data only
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise ManifestInvalid([Problem(source, "", f"not valid YAML: {reason}", line)]) from exc
    lines = line_index(node) if node is not None else {}
    return manifest_from_dict(data, source=source, lines=lines)


def manifest_from_dict(
    data: Any, source: str = "<manifest>", lines: dict[tuple[PathPart, ...], int] | None = None
) -> Manifest:
    """Check already-parsed data (e.g. a manifest published as JSON)."""
    from .checks import check_manifest

    lines = lines or {}
    if not isinstance(data, dict):
        raise ManifestInvalid([Problem(source, "", "a manifest is a mapping of sections")])
    data = _plain(data)
    shape: list[tuple[tuple[PathPart, ...], str]] = []
    try:
        loaded = ManifestSchema().load(data)
    except ValidationError as exc:
        shape = [(parts, _hint(data, parts, msg)) for parts, msg in flatten_errors(exc.messages)]
        loaded = exc.valid_data if isinstance(exc.valid_data, dict) else {}
    manifest = _build(loaded, data)
    broken = [parts for parts, _ in shape]
    found = shape + [
        (parts, msg)
        for parts, msg in check_manifest(manifest)
        if not any(_within(parts, bad) for bad in broken)
    ]
    if found:
        raise ManifestInvalid(
            [
                Problem(source, format_path(parts), msg, line_for(lines, parts))
                for parts, msg in found
            ]
        )
    return manifest


def _within(parts: tuple[PathPart, ...], prefix: tuple[PathPart, ...]) -> bool:
    """A check's finding inside a part whose shape is already reported says it twice."""
    return tuple(parts[: len(prefix)]) == tuple(prefix)


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _build(d: dict[str, Any], raw: dict[str, Any]) -> Manifest:
    """The typed manifest from loaded data. After a shape error the data is the part that
    loaded, so every key falls back to its default: the checks then run over what is
    sound and one run reports every problem."""
    app = _d(d.get("app"))
    policy = _d(app.get("policy"))
    controller = _d(app.get("controller"))
    rights = _d(d.get("rights"))
    prompts = _d(d.get("prompts"))
    minors = _d(d.get("minors"))
    notice = _d(d.get("notice"))
    breach = _d(d.get("breach"))
    storage = _d(d.get("storage"))
    accounts = _d(d.get("accounts"))
    security = _d(d.get("security"))
    identity = _d(rights.get("verify_identity"))
    return Manifest(
        format=d.get("format", 1),
        app=App(
            id=app.get("id", ""),
            name=app.get("name", ""),
            controller=Controller(controller.get("name", ""), controller.get("contact", "")),
            policy=PolicyVersion(
                version=policy.get("version", ""),
                effective=policy.get("effective", ""),
                change=policy.get("change", "major"),
                url=policy.get("url"),
            ),
            jurisdictions=tuple(app.get("jurisdictions", ())),
            governing_law=app.get("governing_law"),
            domains=tuple(normalize(d) for d in app.get("domains", ())),
        ),
        purposes={
            k: Purpose(
                id=k,
                description=v.get("description", ""),
                kind=v.get("kind", "essential"),
                basic=v.get("basic", False),
                third_party=v.get("third_party", False),
                profiling=v.get("profiling", False),
            )
            for k, v in _d(d.get("purposes")).items()
            if isinstance(v, dict)
        },
        data_categories={
            k: DataCategory(
                id=k,
                purposes=tuple(v.get("purposes", ())),
                stored=v.get("stored", True),
                retention=v.get("retention", "until_withdrawn"),
                on_withdraw=v.get("on_withdraw", "delete"),
                sensitive=v.get("sensitive", False),
                role=v.get("role", "controller"),
                rights_answered_by=v.get("rights_answered_by"),
            )
            for k, v in _d(d.get("data_categories")).items()
            if isinstance(v, dict)
        },
        never_collected=tuple(d.get("never_collected", ())),
        permissions={
            k: PermissionUse(
                id=k,
                rationale=v.get("rationale", ""),
                translations=dict(_d(v.get("translations"))),
            )
            for k, v in _d(d.get("permissions")).items()
            if isinstance(v, dict)
        },
        features={
            k: Feature(
                id=k,
                basic=v.get("basic", False),
                purposes=tuple(v.get("purposes", ())),
                permissions=tuple(v.get("permissions", ())),
                collects=tuple(v.get("collects", ())),
            )
            for k, v in _d(d.get("features")).items()
            if isinstance(v, dict)
        },
        third_parties=tuple(
            ThirdParty(
                name=t.get("name", ""),
                purposes=tuple(t.get("purposes", ())),
                categories=tuple(t.get("categories", ())),
                policy_url=t.get("policy_url"),
                tracking_domains=tuple(normalize(d) for d in t.get("tracking_domains", ())),
                kind=t.get("kind"),
                country=t.get("country"),
                de_identified=t.get("de_identified", False),
                domains=tuple(normalize(d) for d in t.get("domains", ())),
                sdk_name=t.get("sdk_name"),
            )
            for t in d.get("third_parties", ())
            if isinstance(t, dict)
        ),
        rights=Rights(
            calendar=rights.get("calendar"),
            deadlines={
                r: Deadline(rights[r]["within"], rights[r]["unit"])
                for r in RIGHTS + EXTRA_RIGHTS
                if isinstance(rights.get(r), dict) and {"within", "unit"} <= set(rights[r])
            },
            holds=tuple(
                Hold(
                    categories=tuple(h.get("categories", ())),
                    retention=h.get("retention", "P0D"),
                    then=h.get("then", "delete"),
                    basis=h.get("basis", ""),
                )
                for h in rights.get("holds", ())
                if isinstance(h, dict)
            ),
            verify_identity=IdentityCheck(
                tuple(identity.get("rights", ())), tuple(identity.get("methods", ()))
            )
            if identity
            else None,
        ),
        minors=Minors(minors["age"], minors.get("guardian_consent", True))
        if "age" in minors
        else None,
        prompts=Prompts(
            reask_after=prompts.get("reask_after", "PT48H"),
            max_optional_per_request=prompts.get("max_optional_per_request", 1),
            reads_per_minute=dict(prompts.get("reads_per_minute", {})),
        ),
        notice=Notice(
            policy_change=_notice_rule(notice.get("policy_change")),
            shutdown=_notice_rule(notice.get("shutdown")),
            major_changes=tuple(notice.get("major_changes", ())),
        ),
        breach=Breach(
            channels=tuple(breach.get("channels", ())),
            within=breach.get("within"),
            public_notice=breach.get("public_notice", False),
            regulator=breach.get("regulator", False),
        )
        if breach
        else None,
        storage=Storage(tuple(storage.get("location", ())), storage.get("cross_border", "none"))
        if storage
        else None,
        accounts=Accounts(
            creation=tuple(accounts.get("creation", ())),
            outside_app=tuple(accounts.get("outside_app", ())),
            deletion_url=accounts.get("deletion_url"),
        )
        if accounts
        else None,
        security=Security(bool(security["encrypted_in_transit"]))
        if "encrypted_in_transit" in security
        else None,
        required_reason_apis={
            k: tuple(v) for k, v in _d(d.get("required_reason_apis")).items() if isinstance(v, list)
        },
        choices=dict(_d(d.get("choices"))),
        raw=raw,
    )


def _notice_rule(value: Any) -> NoticeRule | None:
    if not isinstance(value, dict):
        return None
    return NoticeRule(
        before=value.get("before"),
        channels=tuple(value.get("channels", ())),
        applies_to=value.get("applies_to", "major"),
    )


def _plain(value: Any) -> Any:
    """YAML dates become ISO strings, so the manifest is JSON as well as YAML."""
    if isinstance(value, dict):
        return {str(k) if isinstance(k, dt.date) else k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _hint(data: Any, parts: tuple[PathPart, ...], message: str) -> str:
    """An unknown key with no value is nearly always a comma inside an unquoted value;
    otherwise it is often a typo of a key the schema knows."""
    if message != "unknown key":
        return message
    node = data
    for part in parts[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return message
    if isinstance(node, dict) and parts and node.get(parts[-1], "") is None:
        return (
            f"unknown key {parts[-1]!r}; if it belongs to the value before it, quote that value "
            "(in {a: b, c} a comma ends the value)"
        )
    known = _schema_keys(parts[:-1])
    return f"unknown key{suggest(str(parts[-1]), known)}" if parts else message


def _schema_keys(parts: tuple[PathPart, ...]) -> list[str]:
    """The keys the schema accepts in the mapping at ``parts`` (for "did you mean")."""
    from marshmallow import fields

    schema: Any = ManifestSchema()
    for part in parts:
        if isinstance(part, int):
            continue
        field = schema.fields.get(str(part)) if hasattr(schema, "fields") else None
        if field is None:
            if isinstance(schema, fields.Dict) and schema.value_field is not None:
                field = schema.value_field
            else:
                return []
        while isinstance(field, fields.List):
            field = field.inner
        if isinstance(field, fields.Nested):
            schema = field.schema
        elif isinstance(field, fields.Dict):
            schema = field
        else:
            return []
    if isinstance(schema, fields.Dict):
        inner = schema.value_field
        return list(inner.schema.fields) if isinstance(inner, fields.Nested) else []
    return list(getattr(schema, "fields", {}))
