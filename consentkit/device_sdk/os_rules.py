"""Permission behaviour per OS release, read from ``data/os_rules.yaml``.

Both sides of the phone boundary read this: the SDK to know what a check can and cannot
tell it and what a request will do, the virtual phone to behave like the real OS. The
table is a list of rules, each with the releases it applies to and its source; a
release's ``OsRules`` is the OS's defaults with its rules applied in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

from .platform import AppBuild

__all__ = [
    "STATUSES",
    "OsRule",
    "OsRules",
    "UnknownOsRelease",
    "os_rules_table",
    "release_key",
    "resolve_release",
    "rules_for",
    "supported_releases",
]

STATUSES = (
    "not_determined",
    "granted",
    "limited",
    "denied",
    "blocked",
    "restricted",
    "unavailable",
)
BACKGROUND = "location.background"
FOREGROUND = ("location.precise", "location.coarse")


class UnknownOsRelease(ValueError):
    """The tables do not describe this OS release."""


def _frozen(value: Any) -> frozenset[str]:
    return frozenset(value)


def _mapping(value: Any) -> MappingProxyType:
    return MappingProxyType(dict(value))


def _groups(value: Any) -> MappingProxyType:
    return MappingProxyType({name: frozenset(members) for name, members in value.items()})


def _same(value: Any) -> Any:
    return value


# Each field of a release's rules and how its YAML value becomes the frozen value.
FIELDS: dict[str, Callable[[Any], Any]] = {
    "permissions": _mapping,
    "groups": _groups,
    "group_grant": _same,
    "group_grant_target": _same,
    "no_auto_grant": _frozen,
    "denials_to_block": _same,
    "dont_ask_again": _same,
    "rationale_flag": _same,
    "check_sees_blocked": _same,
    "one_time": _frozen,
    "auto_reset_days": _same,
    "auto_reset_target": _same,
    "auto_reset_needs_play_services": _same,
    "coarse_only_choice": _same,
    "precise_needs_coarse": _same,
    "reduced_accuracy": _same,
    "background_location": _same,
    "background_apart_target": _same,
    "limited": _frozen,
    "selection_compat_target": _same,
    "scoped_storage_target": _same,
    "unavailable_ids": _frozen,
    "placeholder_ids": _mapping,
    "idfa_needs_tracking": _same,
    "missing_usage_description": _mapping,
    "implied_by": _mapping,
    "app_list": _same,
    "app_list_target": _same,
    "clipboard_background": _same,
    "clipboard_notice": _same,
    "paste_prompt": _same,
    "wifi_scan_permission": _same,
    "notifications_prompt_below_target": _same,
    "created_contacts_visible": _same,
}
MERGED = ("permissions", "groups", "placeholder_ids", "missing_usage_description", "implied_by")


@dataclass(frozen=True)
class OsRule:
    """One documented behaviour: what it does, where it is documented, when it applies."""

    os: str
    id: str
    since: str
    until: str | None
    says: str
    source: str
    set: dict[str, Any] = field(default_factory=dict)
    add: dict[str, list[str]] = field(default_factory=dict)

    def applies_to(self, release: str) -> bool:
        key = release_key(release)
        return release_key(self.since) <= key and (
            self.until is None or key <= release_key(self.until)
        )

    @property
    def releases(self) -> str:
        """``8+``, ``6–7`` or ``10`` — how the README names the releases."""
        if self.until is None:
            return f"{self.since}+"
        return self.since if self.since == self.until else f"{self.since}–{self.until}"


@dataclass(frozen=True)
class OsRules:
    """What one OS release does; see ``data/os_rules.yaml`` for each field's meaning."""

    os: str
    version: str  # the table release these rules are for ("14.5"), not the device's patch
    permissions: MappingProxyType
    groups: MappingProxyType
    group_grant: str
    group_grant_target: int | None
    no_auto_grant: frozenset[str]
    denials_to_block: int | None
    dont_ask_again: bool
    rationale_flag: bool
    check_sees_blocked: bool
    one_time: frozenset[str]
    auto_reset_days: int | None
    auto_reset_target: int | None
    auto_reset_needs_play_services: bool
    coarse_only_choice: bool
    precise_needs_coarse: bool
    reduced_accuracy: bool
    background_location: str
    background_apart_target: int | None
    limited: frozenset[str]
    selection_compat_target: int | None
    scoped_storage_target: int | None
    unavailable_ids: frozenset[str]
    placeholder_ids: MappingProxyType
    idfa_needs_tracking: bool
    missing_usage_description: MappingProxyType
    implied_by: MappingProxyType
    app_list: str
    app_list_target: int | None
    clipboard_background: bool
    clipboard_notice: bool
    paste_prompt: bool
    wifi_scan_permission: str | None
    notifications_prompt_below_target: int | None
    created_contacts_visible: bool

    def availability(self, permission: str) -> str:
        return self.permissions.get(permission, "unavailable")

    def linked(self, permission: str) -> frozenset[str]:
        """The permissions one dialog answers together with this one (its group)."""
        for members in self.groups.values():
            if permission in members:
                return members
        return frozenset({permission})

    # what depends on the app's own package ------------------------------------------
    def grant_mode(self, build: AppBuild) -> str:
        """How a grant spreads through its group for this app."""
        if self.group_grant == "on_request" and build.target_sdk < (self.group_grant_target or 0):
            return "whole_group"
        return self.group_grant

    def auto_resets(self, build: AppBuild, play_services: bool) -> bool:
        """Whether an unused app loses its grants on this phone."""
        return (
            self.auto_reset_days is not None
            and build.target_sdk >= (self.auto_reset_target or 0)
            and (play_services or not self.auto_reset_needs_play_services)
        )

    def background_apart(self, build: AppBuild) -> bool:
        """Background location must be asked on its own (foreground+background is ignored)."""
        target = self.background_apart_target
        return target is not None and build.target_sdk >= target

    def own_files_need_no_permission(self, build: AppBuild) -> bool:
        """Scoped storage binds this app: its own files and added media need nothing."""
        target = self.scoped_storage_target
        return target is not None and build.target_sdk >= target

    def selection(self, permission: str, build: AppBuild) -> str | None:
        """How a partial grant of ``permission`` works for this app: ``lasting`` (the app
        sees ``limited`` and may re-open the selector), ``temporary`` (Android 14's
        compatibility mode: seen as granted, gone with the session) or None (no choice)."""
        if permission not in self.limited:
            return None
        if self.selection_compat_target is None or build.declares_selected_photos:
            return "lasting"
        return "temporary" if build.target_sdk >= self.selection_compat_target else None

    def apps_filtered(self, build: AppBuild) -> bool:
        """Android 11+ package visibility binds this app."""
        return (
            self.app_list == "visible"
            and not build.query_all_packages
            and build.target_sdk >= (self.app_list_target or 0)
        )


@cache
def _table() -> dict[str, Any]:
    text = resources.files("consentkit.device_sdk").joinpath("data/os_rules.yaml").read_text()
    return yaml.safe_load(text)


def release_key(version: str | int) -> tuple[int, ...]:
    """``"14.5"`` -> ``(14, 5)``: releases compare as numbers, part by part."""
    try:
        return tuple(int(part) for part in str(version).split("."))
    except ValueError:
        raise UnknownOsRelease(f"{version!r} is not an OS version (e.g. 14 or 14.5)") from None


def supported_releases(os_name: str) -> list[str]:
    """The releases the tables describe, oldest first (``"14"``, ``"14.5"``, ``"15"`` …)."""
    return sorted(_table().get(os_name, {}).get("releases", []), key=release_key)


def resolve_release(os_name: str, version: str | int) -> str:
    """The table release a device version follows: the latest one not after it, within
    the same major release (iOS 14.3 follows 14, 14.8 follows 14.5, 17.2 follows 17)."""
    releases = supported_releases(os_name)
    key = release_key(version)
    candidates = [r for r in releases if release_key(r)[0] == key[0] and release_key(r) <= key]
    if not candidates:
        known = ", ".join(f"{o} {' '.join(supported_releases(o))}" for o in _table())
        raise UnknownOsRelease(f"no permission rules for {os_name} {version}; known: {known}")
    return candidates[-1]


@cache
def os_rules_table(os_name: str) -> tuple[OsRule, ...]:
    """Every rule of one OS, in the table's order."""
    table = _table().get(os_name)
    if table is None:
        raise UnknownOsRelease(f"no permission rules for {os_name}; known: {', '.join(_table())}")
    rules = []
    for raw in table["rules"]:
        unknown = (set(raw.get("set", {})) | set(raw.get("add", {}))) - set(FIELDS)
        if unknown:
            where = f"os_rules.yaml: {os_name} rule {raw['id']}"
            raise ValueError(f"{where}: unknown fields {sorted(unknown)}")
        rules.append(
            OsRule(
                os=os_name,
                id=raw["id"],
                since=str(raw["since"]),
                until=str(raw["until"]) if raw.get("until") is not None else None,
                says=" ".join(raw["says"].split()),
                source=raw["source"],
                set=dict(raw.get("set", {})),
                add=dict(raw.get("add", {})),
            )
        )
    return tuple(rules)


@cache
def _rules_for_release(os_name: str, release: str) -> OsRules:
    merged = dict(_table()[os_name]["defaults"])
    for rule in os_rules_table(os_name):
        if not rule.applies_to(release):
            continue
        for name, value in rule.set.items():
            merged[name] = {**merged[name], **value} if name in MERGED else value
        for name, values in rule.add.items():
            merged[name] = [*merged[name], *(v for v in values if v not in merged[name])]
    missing = set(FIELDS) - set(merged)
    if missing:
        raise ValueError(f"os_rules.yaml: {os_name} defaults lack {sorted(missing)}")
    return OsRules(
        os=os_name, version=release, **{name: FIELDS[name](merged[name]) for name in FIELDS}
    )


def rules_for(os_name: str, version: str | int) -> OsRules:
    """The rules in force on ``os_name`` ``version`` (``14``, ``"14.5"``, ``"17.2.1"``)."""
    if os_name not in _table():
        raise UnknownOsRelease(
            f"no permission rules for {os_name} {version}; known: {', '.join(_table())}"
        )
    return _rules_for_release(os_name, resolve_release(os_name, version))
