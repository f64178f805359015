"""XML read for its line numbers: the elements of an app's file, each where it starts.

The values come from the platforms' own readers (``plistlib`` for property lists); this
tree only says on which line each element sits, so every finding points into the file.
Entity declarations are refused (no billion laughs, no external entities): an app's
manifest or property list never needs one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.parsers import expat

__all__ = ["Element", "XmlInvalid", "read_tree"]


class XmlInvalid(ValueError):
    """Not well-formed XML; ``line`` says where the parser stopped."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Element:
    tag: str  # "{namespace}name" when namespaced
    attrs: dict[str, str]
    line: int
    text: str = ""
    children: list[Element] = field(default_factory=list)


def read_tree(data: bytes) -> Element:
    """The document's root element, with the line of every element."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Element] = []
    root: list[Element] = []

    def refuse_entity(*_: object) -> None:
        raise XmlInvalid("entity declarations are not allowed", parser.CurrentLineNumber)

    def start(tag: str, attrs: dict[str, str]) -> None:
        element = Element(
            _clark(tag), {_clark(k): v for k, v in attrs.items()}, parser.CurrentLineNumber
        )
        if stack:
            stack[-1].children.append(element)
        else:
            root.append(element)
        stack.append(element)

    def end(_: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack:
            stack[-1].text += data

    parser.EntityDeclHandler = refuse_entity
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise XmlInvalid(
            f"not well-formed XML: {expat.errors.messages[exc.code]}", exc.lineno
        ) from None
    if not root:
        raise XmlInvalid("no root element", None)
    return root[0]


def _clark(name: str) -> str:
    """expat's "namespace}name" as ElementTree's "{namespace}name"."""
    return "{" + name if "}" in name else name
