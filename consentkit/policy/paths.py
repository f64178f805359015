"""Paths into a manifest, written the way error messages print them.

``data_categories.user.device.model.retention`` or ``rights.holds[0].retention``: keys
may hold dots themselves (taxonomy ids), so a path is resolved against the document,
taking at each mapping the longest key that fits. ``*`` stands for any one key (or
index), so ``data_categories.*.retention`` names every category's retention. Choices and
clause maps name values this way, so a reader can paste a path from an error message.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["expand", "resolve"]

_INDEX = re.compile(r"^\[(\d+|\*)\]")
Parts = tuple[str | int, ...]


def _ends_key(rest: str, n: int) -> bool:
    return rest[n : n + 1] in ("", ".", "[")


def expand(document: Any, path: str) -> list[Parts]:
    """Every existing value the path (with ``*`` wildcards) names, as parts."""
    return _walk(document, path, ())


def _walk(node: Any, rest: str, done: Parts) -> list[Parts]:
    if rest.startswith("."):
        rest = rest[1:]
    if not rest:
        return [done]
    index = _INDEX.match(rest)
    if index:
        if not isinstance(node, list):
            return []
        after = rest[index.end() :]
        if index.group(1) == "*":
            return [p for i, item in enumerate(node) for p in _walk(item, after, (*done, i))]
        i = int(index.group(1))
        return _walk(node[i], after, (*done, i)) if i < len(node) else []
    if isinstance(node, list) and rest.startswith("*") and _ends_key(rest, 1):
        return [p for i, item in enumerate(node) for p in _walk(item, rest[1:], (*done, i))]
    if not isinstance(node, dict):
        return []
    if rest.startswith("*") and _ends_key(rest, 1):
        return [p for k, v in node.items() for p in _walk(v, rest[1:], (*done, k))]
    fits = [
        k for k in node if isinstance(k, str) and rest.startswith(k) and _ends_key(rest, len(k))
    ]
    if not fits:
        return []
    key = max(fits, key=len)
    return _walk(node[key], rest[len(key) :], (*done, key))


def resolve(document: Any, path: str) -> Parts | None:
    """The parts of the one value an existing path names, or None (a stale path)."""
    if not path:
        return None
    found = expand(document, path)
    return found[0] if found else None
