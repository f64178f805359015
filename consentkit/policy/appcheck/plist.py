"""An app's property lists (``Info.plist``, ``PrivacyInfo.xcprivacy``), read by
``plistlib`` as iOS reads them, with the line of each value when the file is XML."""

from __future__ import annotations

import plistlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .files import AppFileInvalid, read_bytes
from .xml_lines import Element, XmlInvalid, read_tree

__all__ = ["LocatedPlist", "read_plist"]

Part = str | int


@dataclass(frozen=True)
class LocatedPlist:
    path: str
    value: Any
    tree: Element | None  # None for a binary property list: no lines to show

    def line(self, *parts: Part, key: bool = False) -> int | None:
        """The line of the value at ``parts`` (of its ``<key>`` with ``key=True``); the
        nearest enclosing element's line when the path does not go that deep."""
        if self.tree is None:
            return None
        node = self.tree.children[0] if self.tree.tag == "plist" and self.tree.children else None
        if node is None:
            return self.tree.line
        found = node.line
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if node.tag == "dict" and isinstance(part, str):
                pair = _dict_entry(node, part)
                if pair is None:
                    return found
                key_el, node = pair
                if last and key:
                    return key_el.line
            elif node.tag == "array" and isinstance(part, int) and part < len(node.children):
                node = node.children[part]
            else:
                return found
            found = node.line
        return found


def _dict_entry(node: Element, key: str) -> tuple[Element, Element] | None:
    children = node.children
    for k, v in zip(children[::2], children[1::2], strict=False):
        if k.tag == "key" and k.text == key:
            return k, v
    return None


def read_plist(path: str | Path, what: str) -> LocatedPlist:
    """A property list whose top level is a dictionary, or AppFileInvalid."""
    source = str(path)
    data = read_bytes(path)
    try:
        value = plistlib.loads(data)
    except Exception as exc:  # plistlib raises many kinds on foreign bytes
        raise AppFileInvalid(source, f"not a property list ({what}): {exc}") from None
    if not isinstance(value, dict):
        raise AppFileInvalid(source, f"not {what}: its top level is not a dictionary")
    tree = None
    if data.lstrip()[:1] == b"<":
        try:
            tree = read_tree(data)
        except XmlInvalid as exc:  # plistlib read it, so this is unexpected: no lines then
            raise AppFileInvalid(source, str(exc), exc.line) from None
    return LocatedPlist(source, value, tree)
