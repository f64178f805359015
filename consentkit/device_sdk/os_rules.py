"""Permission behaviour per OS release, read from ``data/os_rules.yaml``.

Both sides of the phone boundary read this: the SDK to know what a check can and cannot
tell it, the virtual phone to behave like the real OS.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = ["STATUSES", "OsRules", "UnknownOsRelease", "rules_for", "supported_releases"]

STATUSES = (
    "not_determined",
    "granted",
    "limited",
    "denied",
    "blocked",
    "restricted",
    "unavailable",
)


class UnknownOsRelease(ValueError):
    """The tables do not describe this OS release."""


@dataclass(frozen=True)
class OsRules:
    os: str
    version: int
    permissions: dict[str, str]
    denials_to_block: int | None
    rationale_flag: bool
    check_sees_blocked: bool
    one_time: frozenset[str]
    auto_reset_days: int | None
    coarse_only_choice: bool
    precise_needs_coarse: bool
    reduced_accuracy: bool
    limited: frozenset[str]
    unavailable_ids: frozenset[str]
    idfa_needs_tracking: bool
    usage_description: bool
    linked_permissions: tuple[frozenset[str], ...]
    app_list: str
    app_list_target: int | None
    clipboard_background: bool
    clipboard_notice: bool
    paste_prompt: bool

    def availability(self, permission: str) -> str:
        return self.permissions.get(permission, "unavailable")

    def linked(self, permission: str) -> frozenset[str]:
        """The permissions one dialog answers together with this one."""
        for group in self.linked_permissions:
            if permission in group:
                return group
        return frozenset({permission})


@cache
def _table() -> dict[str, Any]:
    text = resources.files("consentkit.device_sdk").joinpath("data/os_rules.yaml").read_text()
    return yaml.safe_load(text)


def supported_releases(os_name: str) -> list[int]:
    return sorted(int(v) for v in _table().get(os_name, {}).get("releases", {}))


@cache
def rules_for(os_name: str, version: int) -> OsRules:
    """The rules in force on ``os_name`` ``version`` (releases apply cumulatively)."""
    table = _table().get(os_name)
    if table is None or version not in supported_releases(os_name):
        known = ", ".join(f"{o} {supported_releases(o)}" for o in _table())
        raise UnknownOsRelease(f"no permission rules for {os_name} {version}; known: {known}")
    merged = dict(table["base"])
    for release in supported_releases(os_name):
        if release <= version:
            changes = dict(table["releases"][str(release)] or {})
            # A release lists only the permissions whose availability it changes.
            permissions = {**merged["permissions"], **changes.pop("permissions", {})}
            merged.update(changes, permissions=permissions)
    return OsRules(
        os=os_name,
        version=version,
        permissions=dict(merged["permissions"]),
        denials_to_block=merged["denials_to_block"],
        rationale_flag=merged["rationale_flag"],
        check_sees_blocked=merged["check_sees_blocked"],
        one_time=frozenset(merged["one_time"]),
        auto_reset_days=merged["auto_reset_days"],
        coarse_only_choice=merged["coarse_only_choice"],
        precise_needs_coarse=merged["precise_needs_coarse"],
        reduced_accuracy=merged["reduced_accuracy"],
        limited=frozenset(merged["limited"]),
        unavailable_ids=frozenset(merged["unavailable_ids"]),
        idfa_needs_tracking=merged["idfa_needs_tracking"],
        usage_description=merged["usage_description"],
        linked_permissions=tuple(frozenset(g) for g in merged["linked_permissions"]),
        app_list=merged["app_list"],
        app_list_target=merged["app_list_target"],
        clipboard_background=merged["clipboard_background"],
        clipboard_notice=merged["clipboard_notice"],
        paste_prompt=merged["paste_prompt"],
    )
