"""What the SDK knows about permissions beyond what the OS tells it.

On Android, ``check`` answers "denied" for never-asked, denied and blocked alike. The
SDK remembers what its requests revealed — asked before, refused when, blocked — so
that it never nags a blocked user and honours the re-ask cooldown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .os_rules import OsRules, rules_for
from .platform import AppBuild, Platform
from .store import DeviceStore
from .trace import Tracer

__all__ = ["PermissionManager"]


class PermissionManager:
    def __init__(self, platform: Platform, store: DeviceStore, tracer: Tracer) -> None:
        self.platform = platform
        self.rules: OsRules = rules_for(platform.os_name, platform.os_version)
        # The SDK reads its own package as the OS does (AndroidManifest, Info.plist).
        self.build: AppBuild = getattr(platform, "app_build", None) or AppBuild()
        self.store = store
        self.tracer = tracer
        self._memory: dict[str, dict[str, Any]] = store.get("permissions", {})

    def _remember(self, permission: str, **facts: Any) -> None:
        self._memory.setdefault(permission, {}).update(facts)
        self.store.put("permissions", self._memory)

    def status(self, permission: str, *, trace: bool = False) -> str:
        """The OS's answer, completed with what earlier requests revealed."""
        seen = self.platform.check_permission(permission)
        memory = self._memory.get(permission, {})
        status = seen
        if seen == "denied" and not self.rules.check_sees_blocked:
            # Android's "denied" may mean never asked, denied, blocked, or a grant that
            # ended (one time, a temporary selection). A block only a request revealed;
            # the rationale flag is true exactly after a refusal that did not block.
            if memory.get("blocked"):
                status = "blocked"
            elif self.rules.rationale_flag and self.platform.should_show_rationale(permission):
                status = "denied"
            else:
                status = "not_determined"
        elif seen in ("granted", "limited") and memory.get("blocked"):
            self._remember(permission, blocked=False, refused_at=None)  # changed in Settings
        if trace:
            self.tracer.emit("permission.check", permission=permission, status=status)
        return status

    def will_grant_silently(self, permission: str) -> bool:
        """Android 8+: the OS grants this at once, with no dialog, because another
        permission of its group is granted — so there is nothing to explain first."""
        rules = self.rules
        if rules.grant_mode(self.build) != "on_request" or permission in rules.no_auto_grant:
            return False
        if self.status(permission) not in ("not_determined", "denied"):
            return False
        siblings = rules.linked(permission) - {permission}
        return any(self.status(p) == "granted" for p in siblings)

    def refused_at(self, permission: str) -> datetime | None:
        value = self._memory.get(permission, {}).get("refused_at")
        return datetime.fromisoformat(value) if value else None

    def request(self, permissions: list[str]) -> dict[str, str]:
        """Ask the OS, then learn from the answer what a later check could not tell."""
        # A phone that traces its OS events records the request and its true result
        # itself; elsewhere (a real app) the SDK records them.
        own_trace = not getattr(self.platform, "records_trace", False)
        if own_trace:
            self.tracer.emit("permission.request", permissions=list(permissions))
        answers = self.platform.request_permissions(list(permissions))
        now = self.platform.now().isoformat()
        results = {}
        for permission, seen in answers.items():
            status = seen
            if seen in ("granted", "limited"):
                self._remember(permission, asked=True, blocked=False, refused_at=None)
            elif seen in ("denied", "blocked"):
                blocked = seen == "blocked" or (
                    self.rules.rationale_flag
                    and not self.platform.should_show_rationale(permission)
                )
                status = "blocked" if blocked else "denied"
                self._remember(permission, asked=True, blocked=blocked, refused_at=now)
            if own_trace:
                self.tracer.emit("permission.result", permission=permission, status=status)
            results[permission] = status
        return results
