"""YAML with locations: every problem names the file, the line and the path inside it.

Shared by everything that reads hand-written YAML (manifests, scenarios), so their
errors read the same way.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

__all__ = [
    "PathPart",
    "Problem",
    "flatten_errors",
    "format_path",
    "line_for",
    "line_index",
    "problems_from",
    "suggest",
]

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


class LocatedError(ValueError):
    """A hand-written file cannot be used; ``problems`` says why, each with its place."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def format_path(parts: tuple[PathPart, ...]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def flatten_errors(
    messages: Any, parts: tuple[PathPart, ...] = ()
) -> list[tuple[tuple[PathPart, ...], str]]:
    """marshmallow's nested error dict as (path, message) pairs."""
    out: list[tuple[tuple[PathPart, ...], str]] = []
    if isinstance(messages, dict):
        for key, sub in messages.items():
            if key == "value" and parts:
                out += flatten_errors(sub, parts)
            elif key == "key" and parts:
                out += [(parts, f"bad key: {m}") for _, m in flatten_errors(sub, ())]
            elif key == "_schema":
                out += flatten_errors(sub, parts)
            else:
                out += flatten_errors(sub, (*parts, key))
    elif isinstance(messages, list):
        for m in messages:
            if isinstance(m, str):
                out.append((parts, _humane(m)))
            else:
                out += flatten_errors(m, parts)
    else:
        out.append((parts, _humane(str(messages))))
    return out


def _humane(message: str) -> str:
    if message == "Unknown field.":
        return "unknown key"
    if message == "Missing data for required field.":
        return "required key is missing"
    return message


def line_index(
    node: yaml.Node, parts: tuple[PathPart, ...] = ()
) -> dict[tuple[PathPart, ...], int]:
    """Where each path of the document starts, for error messages."""
    index = {parts: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            index[(*parts, key.value)] = key.start_mark.line + 1
            index.update(line_index(value, (*parts, key.value)))
            index[(*parts, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            index.update(line_index(item, (*parts, i)))
    return index


def line_for(lines: dict[tuple[PathPart, ...], int], parts: tuple[PathPart, ...]) -> int | None:
    for n in range(len(parts), -1, -1):
        line = lines.get(tuple(str(p) if not isinstance(p, int) else p for p in parts[:n]))
        if line:
            return line
    return None


def problems_from(
    messages: Any, source: str, lines: dict[tuple[PathPart, ...], int]
) -> list[Problem]:
    """marshmallow's error messages as located problems."""
    return [
        Problem(source, format_path(parts), msg, line_for(lines, parts))
        for parts, msg in flatten_errors(messages)
    ]


def suggest(name: str, known: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the nearest known name, or nothing."""
    close = difflib.get_close_matches(name, sorted(set(known)), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
