"""What the SDK knows about permissions beyond what the OS tells it.

On Android, ``check`` answers "denied" for never-asked, denied and blocked alike. The
SDK remembers what its requests revealed — asked before, refused when, blocked — so
that it never nags a blocked user and honours the re-ask cooldown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .os_rules import OsRules, rules_for
from .platform import Platform
from .store import DeviceStore
from .trace import Tracer

__all__ = ["PermissionManager"]


class PermissionManager:
    def __init__(self, platform: Platform, store: DeviceStore, tracer: Tracer) -> None:
        self.platform = platform
        self.rules: OsRules = rules_for(platform.os_name, platform.os_version)
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
        if seen == "denied" and self.rules.os == "android":
            if not memory.get("asked"):
                status = "not_determined"
            elif memory.get("blocked"):
                status = "blocked"
        elif seen in ("granted", "limited") and memory.get("blocked"):
            self._remember(permission, blocked=False, refused_at=None)  # changed in Settings
        if trace:
            self.tracer.emit("permission.check", permission=permission, status=status)
        return status

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
