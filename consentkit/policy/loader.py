"""Read a manifest from YAML into a checked ``Manifest``.

Every failure, whatever the input, is a ``ManifestInvalid`` listing problems that
name the file, the line, the path inside the manifest and the reason.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError

from .located import (
    LocatedError,
    PathPart,
    Problem,
    flatten_errors,
    format_path,
    line_for,
    line_index,
)
from .manifest import (
    RIGHTS,
    App,
    Controller,
    DataCategory,
    Deadline,
    Feature,
    Hold,
    Manifest,
    Minors,
    PermissionUse,
    PolicyVersion,
    Prompts,
    Purpose,
    Rights,
    ThirdParty,
)
from .schema import ManifestSchema

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
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
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
    try:
        loaded = ManifestSchema().load(data)
    except ValidationError as exc:
        problems = [
            Problem(source, format_path(parts), _hint(data, parts, msg), line_for(lines, parts))
            for parts, msg in flatten_errors(exc.messages)
        ]
        raise ManifestInvalid(problems) from exc
    manifest = _build(loaded, data)
    problems = [
        Problem(source, format_path(parts), msg, line_for(lines, parts))
        for parts, msg in check_manifest(manifest)
    ]
    if problems:
        raise ManifestInvalid(problems)
    return manifest


def _build(d: dict[str, Any], raw: dict[str, Any]) -> Manifest:
    app = d["app"]
    rights = d.get("rights") or {}
    prompts = d.get("prompts") or {}
    minors = d.get("minors")
    return Manifest(
        format=d["format"],
        app=App(
            id=app["id"],
            name=app["name"],
            controller=Controller(**app["controller"]),
            policy=PolicyVersion(**app["policy"]),
            jurisdictions=tuple(app["jurisdictions"]),
        ),
        purposes={k: Purpose(id=k, **v) for k, v in d["purposes"].items()},
        data_categories={
            k: DataCategory(
                id=k,
                purposes=tuple(v["purposes"]),
                stored=v["stored"],
                retention=v["retention"],
                on_withdraw=v["on_withdraw"],
            )
            for k, v in d["data_categories"].items()
        },
        never_collected=tuple(d["never_collected"]),
        permissions={
            k: PermissionUse(id=k, rationale=v["rationale"]) for k, v in d["permissions"].items()
        },
        features={
            k: Feature(
                id=k,
                basic=v["basic"],
                purposes=tuple(v["purposes"]),
                permissions=tuple(v["permissions"]),
                collects=tuple(v["collects"]),
            )
            for k, v in d["features"].items()
        },
        third_parties=tuple(
            ThirdParty(
                name=t["name"],
                purposes=tuple(t["purposes"]),
                categories=tuple(t["categories"]),
                policy_url=t["policy_url"],
                tracking_domains=tuple(t["tracking_domains"]),
            )
            for t in d["third_parties"]
        ),
        rights=Rights(
            calendar=rights.get("calendar"),
            deadlines={r: Deadline(**rights[r]) for r in RIGHTS if rights.get(r)},
            holds=tuple(
                Hold(
                    categories=tuple(h["categories"]),
                    retention=h["retention"],
                    then=h["then"],
                    basis=h["basis"],
                )
                for h in rights.get("holds", [])
            ),
        ),
        minors=Minors(**minors) if minors else None,
        prompts=Prompts(
            reask_after=prompts.get("reask_after", "PT48H"),
            max_optional_per_request=prompts.get("max_optional_per_request", 1),
            reads_per_minute=dict(prompts.get("reads_per_minute", {})),
        ),
        raw=raw,
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
    """An unknown key with no value is nearly always a comma inside an unquoted value."""
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
    return message
