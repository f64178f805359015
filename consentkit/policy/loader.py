"""Read a manifest from YAML into a checked ``Manifest``.

Every failure, whatever the input, is a ``ManifestInvalid`` listing problems that
name the file, the line, the path inside the manifest and the reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError

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

PathPart = str | int


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a manifest, located precisely enough to fix it."""

    source: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.path or '(top)'}: {self.message}"


class ManifestInvalid(ValueError):
    """The manifest cannot be used; ``problems`` says why, each with its place."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def format_path(parts: tuple[PathPart, ...]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


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
    lines = _line_index(node) if node is not None else {}
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
            Problem(source, format_path(parts), _hint(data, parts, msg), _line_for(lines, parts))
            for parts, msg in _flatten(exc.messages)
        ]
        raise ManifestInvalid(problems) from exc
    manifest = _build(loaded, data)
    problems = [
        Problem(source, format_path(parts), msg, _line_for(lines, parts))
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


def _flatten(
    messages: Any, parts: tuple[PathPart, ...] = ()
) -> list[tuple[tuple[PathPart, ...], str]]:
    """marshmallow's nested error dict as (path, message) pairs."""
    out: list[tuple[tuple[PathPart, ...], str]] = []
    if isinstance(messages, dict):
        for key, sub in messages.items():
            if key == "value" and parts:
                out += _flatten(sub, parts)
            elif key == "key" and parts:
                out += [(parts, f"bad key: {m}") for _, m in _flatten(sub, ())]
            elif key == "_schema":
                out += _flatten(sub, parts)
            else:
                out += _flatten(sub, (*parts, key))
    elif isinstance(messages, list):
        for m in messages:
            if isinstance(m, str):
                out.append((parts, _humane(m)))
            else:
                out += _flatten(m, parts)
    else:
        out.append((parts, _humane(str(messages))))
    return out


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


def _humane(message: str) -> str:
    if message == "Unknown field.":
        return "unknown key"
    if message == "Missing data for required field.":
        return "required key is missing"
    return message


def _line_index(
    node: yaml.Node, parts: tuple[PathPart, ...] = ()
) -> dict[tuple[PathPart, ...], int]:
    """Where each path of the document starts, for error messages."""
    index = {parts: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            index[(*parts, key.value)] = key.start_mark.line + 1
            index.update(_line_index(value, (*parts, key.value)))
            index[(*parts, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            index.update(_line_index(item, (*parts, i)))
    return index


def _line_for(lines: dict[tuple[PathPart, ...], int], parts: tuple[PathPart, ...]) -> int | None:
    for n in range(len(parts), -1, -1):
        line = lines.get(tuple(str(p) if not isinstance(p, int) else p for p in parts[:n]))
        if line:
            return line
    return None
