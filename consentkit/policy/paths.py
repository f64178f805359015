"""Paths into a manifest, written the way error messages print them.

``data_categories.user.device.model.retention`` or ``rights.holds[0].retention``: keys
may hold dots themselves (taxonomy ids), so a path is resolved against the document,
taking at each mapping the longest key that fits. Choices and clause maps name values
this way, so a reader can paste a path from an error message and back.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["resolve", "split"]

_INDEX = re.compile(r"^\[(\d+)\]")


def split(document: Any, path: str) -> tuple[str | int, ...] | None:
    """The parts of ``path`` inside ``document``; None when it names nothing there."""
    parts: list[str | int] = []
    node, rest = document, path
    while rest:
        if rest.startswith("."):
            rest = rest[1:]
        index = _INDEX.match(rest)
        if index:
            if not isinstance(node, list) or int(index.group(1)) >= len(node):
                return None
            parts.append(int(index.group(1)))
            node, rest = node[int(index.group(1))], rest[index.end() :]
            continue
        if not isinstance(node, dict):
            return None
        fits = [
            k
            for k in node
            if isinstance(k, str)
            and rest.startswith(k)
            and rest[len(k) : len(k) + 1] in ("", ".", "[")
        ]
        if not fits:
            return None
        key = max(fits, key=len)
        parts.append(key)
        node, rest = node[key], rest[len(key) :]
    return tuple(parts)


def resolve(document: Any, path: str) -> tuple[str | int, ...] | None:
    """The parts of an existing path, or None: ``if resolve(raw, p) is None`` means stale."""
    if not path:
        return None
    return split(document, path)
