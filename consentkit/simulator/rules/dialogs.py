"""Which OS dialog answers a permission: the SDK's per-release tables, not a copy.

The trace's ``app.launch`` names the phone's OS and release; the dialog groups of that
release come from ``device_sdk``'s ``os_rules`` (the same tables the SDK and the virtual
phone behave by). A trace that does not name its OS falls back to the taxonomy's
``dialog_group``.
"""

from __future__ import annotations

from functools import cache

from ...device_sdk.os_rules import UnknownOsRelease, rules_for
from ...policy import taxonomy

__all__ = ["dialog_key", "runtime"]


@cache
def dialog_key(os: tuple[str, str] | None, permission: str) -> str:
    """A stable name for the dialog that asks for ``permission`` on this OS release."""
    if os is not None:
        try:
            group = rules_for(*os).linked(permission)
        except UnknownOsRelease:
            group = None
        if group is not None:
            return "+".join(sorted(group))
    known = taxonomy().permissions.get(permission)
    return known.dialog if known else permission


@cache
def runtime(os: tuple[str, str] | None, permission: str) -> bool:
    """Is ``permission`` asked for at run time (with a dialog) on this OS release?"""
    if os is None:
        return True
    try:
        return rules_for(*os).availability(permission) == "runtime"
    except UnknownOsRelease:
        return True
