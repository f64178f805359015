"""What a device has been through, folded event by event; rules read it."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Event = dict[str, Any]


@dataclass
class DeviceState:
    ever_agreed: bool = False
    agreed_version: str | None = None
    change_pending: bool = False
    granted: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    withdrawn: dict[str, int] = field(default_factory=dict)
    features: dict[str, int] = field(default_factory=dict)
    rationale: dict[str, int] = field(default_factory=dict)
    refusals: dict[str, tuple[datetime, int]] = field(default_factory=dict)
    blocked: dict[str, int] = field(default_factory=dict)
    optional_refusal: int | None = None
    minor: bool = False
    guardian: bool = False
    picked: dict[str, tuple[int, int]] = field(default_factory=dict)
    reads: dict[str, deque[tuple[datetime, int]]] = field(default_factory=dict)
    cancel: tuple[datetime, int] | None = None
    purged: tuple[datetime, int] | None = None
    canaries: set[str] = field(default_factory=set)
    last_t: datetime | None = None

    def apply(self, e: Event) -> None:
        kind = e["type"]
        self.last_t = e["_t"]
        handler = getattr(self, "_on_" + kind.replace(".", "_"), None)
        if handler is not None:
            handler(e)

    def _on_policy_shown(self, e: Event) -> None:
        if self.ever_agreed and e.get("version") != self.agreed_version:
            self.change_pending = True

    def _on_policy_agreed(self, e: Event) -> None:
        self.ever_agreed = True
        self.agreed_version = e.get("version")
        self.change_pending = False
        self.granted = set(e.get("granted", []))
        self.refused = set(e.get("refused", []))
        for p in self.granted:
            self.withdrawn.pop(p, None)

    def _on_consent_granted(self, e: Event) -> None:
        for p in e.get("purposes", []):
            self.granted.add(p)
            self.refused.discard(p)
            self.withdrawn.pop(p, None)

    def _on_consent_withdrawn(self, e: Event) -> None:
        for p in e.get("purposes", []):
            self.granted.discard(p)
            self.withdrawn[p] = e["seq"]

    def _on_guardian_consented(self, e: Event) -> None:
        self.guardian = True

    def _on_feature_start(self, e: Event) -> None:
        self.features[e.get("feature")] = e["seq"]

    def _on_feature_end(self, e: Event) -> None:
        self.features.pop(e.get("feature"), None)

    def _on_permission_rationale(self, e: Event) -> None:
        self.rationale[e.get("permission")] = e["seq"]

    def _on_permission_result(self, e: Event) -> None:
        p, status = e.get("permission"), e.get("status")
        if status in ("denied", "blocked"):
            self.refusals[p] = (e["_t"], e["seq"])
            self.optional_refusal = e["seq"]
            if status == "blocked":
                self.blocked[p] = e["seq"]
        elif status in ("granted", "limited"):
            self.blocked.pop(p, None)
            self.refusals.pop(p, None)

    def _on_settings_changed(self, e: Event) -> None:
        if e.get("status") in ("granted", "limited"):
            self.blocked.pop(e.get("permission"), None)
            self.refusals.pop(e.get("permission"), None)

    def _on_api_read(self, e: Event) -> None:
        category = e.get("category")
        if e.get("api") == "contacts.pick":
            self.picked[category] = (e.get("count", 0), e["seq"])
        if category:
            self.reads.setdefault(category, deque()).append((e["_t"], e["seq"]))

    def _on_account_registered(self, e: Event) -> None:
        self.minor = bool(e.get("minor"))

    def _on_account_cancel_requested(self, e: Event) -> None:
        self.cancel = (e["_t"], e["seq"])

    def _on_account_purged(self, e: Event) -> None:
        self.purged = (e["_t"], e["seq"])

    def _on_canary_planted(self, e: Event) -> None:
        self.canaries.update(str(v) for v in e.get("values", []))
