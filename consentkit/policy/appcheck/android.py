"""An app's ``AndroidManifest.xml``, read for the permissions it can request.

Read as the build tools do: ``<uses-permission>`` and ``<uses-permission-sdk-23>`` under
``<manifest>``, their ``android:name`` and ``android:maxSdkVersion``; an element marked
``tools:node="remove"`` is taken out by the manifest merger and declares nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .files import AppFileInvalid, read_bytes
from .xml_lines import Element, XmlInvalid, read_tree

__all__ = ["AndroidApp", "Declared", "read_android_manifest"]

ANDROID = "{http://schemas.android.com/apk/res/android}"
TOOLS = "{http://schemas.android.com/tools}"
PERMISSION_TAGS = ("uses-permission", "uses-permission-sdk-23")


@dataclass(frozen=True)
class Declared:
    name: str
    line: int
    max_sdk: int | None = None


@dataclass(frozen=True)
class AndroidApp:
    path: str
    package: str | None
    line: int  # the <manifest> element
    permissions: dict[str, Declared]  # declared and kept by the merger
    min_sdk: int | None = None


def read_android_manifest(path: str | Path) -> AndroidApp:
    """The permissions an app declares, or AppFileInvalid naming file and line."""
    source = str(path)
    data = read_bytes(path)
    try:
        root = read_tree(data)
    except XmlInvalid as exc:
        raise AppFileInvalid(source, str(exc), exc.line) from None
    if root.tag != "manifest":
        raise AppFileInvalid(
            source, f"not an AndroidManifest.xml: the root element is <{root.tag}>", root.line
        )
    permissions: dict[str, Declared] = {}
    min_sdk = None
    for child in root.children:
        if child.tag == "uses-sdk":
            min_sdk = _int(child, f"{ANDROID}minSdkVersion", source)
        if child.tag not in PERMISSION_TAGS:
            continue
        name = child.attrs.get(f"{ANDROID}name")
        if not name:
            raise AppFileInvalid(source, f"<{child.tag}> without android:name", child.line)
        if child.attrs.get(f"{TOOLS}node") == "remove":
            continue
        max_sdk = _int(child, f"{ANDROID}maxSdkVersion", source)
        if max_sdk is not None and min_sdk is not None and max_sdk < min_sdk:
            continue  # limited to releases older than any the app runs on
        permissions.setdefault(name, Declared(name, child.line, max_sdk))
    return AndroidApp(source, root.attrs.get("package"), root.line, permissions, min_sdk)


def _int(element: Element, attr: str, source: str) -> int | None:
    value = element.attrs.get(attr)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise AppFileInvalid(
            source,
            f"<{element.tag}> {attr.split('}')[-1]}={value!r} is not a number",
            element.line,
        ) from None
