"""What a device has been through, folded event by event; rules read it.

Some facts outlive a device: the same person may use several phones. ``People`` holds what
the engine learns about accounts across every device of a trace before the rules run.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .dialogs import dialog_key, runtime

Event = dict[str, Any]
HELD = ("granted", "limited")
REFUSED = ("denied", "blocked")
CONTACT = "user.contacts.entry"
REQUEST_EVENTS = ("permission.request", "permission.dialog", "permission.result")


@dataclass
class People:
    """Accounts across devices: who is a minor, and when a guardian consented for them."""

    minors: set[str] = field(default_factory=set)
    guardian_at: dict[str, datetime] = field(default_factory=dict)

    @classmethod
    def of(cls, events: list[Event]) -> People:
        people = cls()
        current: dict[tuple[str, str], str] = {}
        for e in events:
            key = (e["app"], e["device"])
            user = e.get("user")
            if e["type"] in ("account.registered", "account.login") and user:
                current[key] = user
                if e.get("minor"):
                    people.minors.add(user)
            elif e["type"] in ("account.logout", "account.purged"):
                current.pop(key, None)
            elif e["type"] == "guardian.consented":
                who = user or current.get(key)
                if who and (who not in people.guardian_at or e["_t"] < people.guardian_at[who]):
                    people.guardian_at[who] = e["_t"]
        return people


@dataclass
class OpenRequest:
    """A permission request whose results are coming in: what was held before it."""

    asked: frozenset[str]
    held_before: frozenset[str]
    seq: int
    results: dict[str, str] = field(default_factory=dict)


@dataclass
class DeviceState:
    people: People = field(default_factory=People)
    # what the evidence can show (None: everything, as in a simulation); the manifest's
    # features, any of which may be on screen when the evidence cannot say which
    shows: frozenset[str] | None = None
    all_features: tuple[str, ...] = ()
    os: tuple[str, str] | None = None
    foreground: bool = True
    # consent
    ever_agreed: bool = False
    agreed_version: str | None = None
    granted: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    withdrawn: dict[str, int] = field(default_factory=dict)
    # the policy in force, as the server published it and the SDK showed it
    in_force: str | None = None
    lapsed: set[str] = field(default_factory=set)
    published_seq: int | None = None
    declined: tuple[str, int] | None = None
    # features and dialogs
    features: dict[str, int] = field(default_factory=dict)
    outside_flagged: set[tuple[str, str]] = field(default_factory=set)
    rationale: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)
    refused_permissions: dict[str, int] = field(default_factory=dict)
    last_refusal: int | None = None
    request: OpenRequest | None = None
    dialog_refusals: dict[str, tuple[datetime, int]] = field(default_factory=dict)
    dialog_blocked: dict[str, int] = field(default_factory=dict)
    nagged: dict[str, datetime] = field(default_factory=dict)
    # people
    user: str | None = None
    minor: bool = False
    guardian: bool = False
    # contacts: what the user handed over, and what left
    picked_ids: set[str] = field(default_factory=set)
    picked_count: int = 0
    pick_seqs: list[int] = field(default_factory=list)
    uploaded_count: int = 0
    uploaded_ids: set[str] = field(default_factory=set)
    # sensor reads per gating permission, and the bursts already reported
    reads: dict[str, deque[tuple[datetime, int]]] = field(default_factory=dict)
    burst_until: dict[str, datetime] = field(default_factory=dict)
    # accounts
    cancel: tuple[datetime, int] | None = None
    purged: tuple[datetime, int] | None = None
    canaries: set[str] = field(default_factory=set)
    last_t: datetime | None = None
    last_seq: int | None = None

    def apply(self, e: Event) -> None:
        kind = e["type"]
        self.last_t = e["_t"]
        handler = getattr(self, "_on_" + kind.replace(".", "_"), None)
        if handler is not None:
            handler(e)
        if kind not in REQUEST_EVENTS:
            self.request = None  # a request's results come right after it
        self.last_seq = e["seq"]

    def dialog(self, permission: str) -> str:
        return dialog_key(self.os, permission)

    def asks_for(self, permission: str) -> bool:
        """Does this phone's OS show a dialog for it at all (unknown OS: assume so)?"""
        return runtime(self.os, permission)

    # derived facts --------------------------------------------------------------------
    @property
    def pending(self) -> bool:
        """A major change was published after the version this user agreed to."""
        return self.ever_agreed and self.agreed_version in self.lapsed

    @property
    def declined_in_force(self) -> bool:
        return self.declined is not None and self.declined[0] == self.in_force and self.pending

    @property
    def is_minor(self) -> bool:
        return self.minor or (self.user is not None and self.user in self.people.minors)

    def guardian_before(self, t: datetime) -> bool:
        if self.guardian:
            return True
        at = self.people.guardian_at.get(self.user) if self.user else None
        return at is not None and at <= t

    @property
    def features_unknown(self) -> bool:
        return self.shows is not None and "features" not in self.shows

    def _on_evidence_imported(self, e: Event) -> None:
        self.shows = frozenset(e.get("shows") or ())
        if "agreement" not in self.shows:
            self.ever_agreed = True  # agreed before the evidence began, as far as anyone knows

    # app and policy ----------------------------------------------------------------------
    def _on_app_launch(self, e: Event) -> None:
        self.foreground = True
        if e.get("os") and isinstance(e.get("os_version"), int | str):
            self.os = (e["os"], str(e["os_version"]))  # "14", "14.5" (older traces: 14)

    def _on_app_exit(self, e: Event) -> None:
        self.foreground = False
        self.features.clear()

    def _publish(self, version: str | None, change: str | None, seq: int) -> None:
        if not version or version == self.in_force:
            return
        if change != "minor":
            known = {self.in_force, self.agreed_version} - {None, version}
            self.lapsed |= known
            self.published_seq = seq
        self.in_force = version
        self.declined = None

    def _on_policy_published(self, e: Event) -> None:
        self._publish(e.get("version"), e.get("change", "major"), e["seq"])

    def _on_policy_shown(self, e: Event) -> None:
        if self.ever_agreed and e.get("version") != self.agreed_version:
            self._publish(e.get("version"), e.get("change", "major"), e["seq"])
        elif self.in_force is None:
            self.in_force = e.get("version")

    def _on_policy_declined(self, e: Event) -> None:
        if e.get("version") and e.get("version") != self.in_force:
            self._publish(e.get("version"), e.get("change", "major"), e["seq"])
        self.declined = (e.get("version"), e["seq"])

    def _on_policy_agreed(self, e: Event) -> None:
        self.ever_agreed = True
        self.agreed_version = e.get("version")
        self.in_force = self.agreed_version
        self.lapsed.discard(self.agreed_version)
        self.declined = None
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

    # features and permissions --------------------------------------------------------------
    def _on_feature_start(self, e: Event) -> None:
        self.features[e.get("feature")] = e["seq"]
        self.outside_flagged.clear()

    def _on_feature_end(self, e: Event) -> None:
        self.features.pop(e.get("feature"), None)

    def _on_permission_rationale(self, e: Event) -> None:
        self.rationale[e.get("permission")] = (e["seq"], e.get("text"))

    def _on_permission_request(self, e: Event) -> None:
        self.request = OpenRequest(
            frozenset(e.get("permissions") or []), frozenset(self.held), e["seq"]
        )

    def _on_permission_result(self, e: Event) -> None:
        p, status = e.get("permission"), e.get("status")
        if status in HELD:
            self.held.add(p)
            self.refused_permissions.pop(p, None)
        elif status in REFUSED:
            self.held.discard(p)
            self.refused_permissions[p] = e["seq"]
            self.last_refusal = e["seq"]
        if self.request is None:
            self.request = OpenRequest(frozenset({p}), frozenset(self.held - {p}), e["seq"])
        elif p not in self.request.asked:
            self.request.asked = self.request.asked | {p}
        self.request.results[p] = status
        self._judge_dialog(self.dialog(p), e)

    def _judge_dialog(self, key: str, e: Event) -> None:
        """Once every permission newly asked in this dialog has its answer: the dialog was
        refused when none of them was granted. Asking for precise location while holding
        approximate (Android 12's upgrade) is a new question; granting approximate only,
        when both were asked, is no refusal."""
        request = self.request
        newly = {q for q in request.asked if self.dialog(q) == key and q not in request.held_before}
        if not newly or not newly <= set(request.results):
            return
        answers = [request.results[q] for q in newly]
        if any(a in HELD for a in answers):
            self.dialog_refusals.pop(key, None)
            self.dialog_blocked.pop(key, None)
        elif all(a in REFUSED for a in answers):
            self.dialog_refusals[key] = (e["_t"], e["seq"])
            if "blocked" in answers:
                self.dialog_blocked[key] = e["seq"]

    def _on_settings_changed(self, e: Event) -> None:
        p, status = e.get("permission"), e.get("status")
        if status in HELD:
            self.held.add(p)
            self.refused_permissions.pop(p, None)
            self.dialog_refusals.pop(self.dialog(p), None)
            self.dialog_blocked.pop(self.dialog(p), None)
        else:
            self.held.discard(p)

    # reads and uploads -------------------------------------------------------------------
    def _on_api_read(self, e: Event) -> None:
        if e.get("api") == "contacts.pick":
            self._picked(e)

    def _on_contacts_selected(self, e: Event) -> None:
        self._picked(e)

    def _on_net_upload(self, e: Event) -> None:
        ids = e.get("contact_ids")
        if ids is not None:
            self.uploaded_ids.update(str(i) for i in ids)
            return
        count = e.get("contacts")
        if count is None and CONTACT in (e.get("categories") or []):
            count = e.get("items", 0)
        self.uploaded_count += int(count or 0)

    def _picked(self, e: Event) -> None:
        ids = e.get("ids")
        self.picked_ids.update(str(i) for i in ids or [])
        self.picked_count += int(e.get("count", len(ids or [])) or 0)
        self.pick_seqs.append(e["seq"])

    # accounts -------------------------------------------------------------------------------
    def _on_account_registered(self, e: Event) -> None:
        self.user = e.get("user") or self.user
        self.minor = bool(e.get("minor"))
        self.guardian = False

    def _on_account_login(self, e: Event) -> None:
        if e.get("user") != self.user:
            self.guardian = False
        self.user = e.get("user") or self.user
        self.minor = bool(e.get("minor"))

    def _on_account_cancel_requested(self, e: Event) -> None:
        self.cancel = (e["_t"], e["seq"])

    def _on_account_purged(self, e: Event) -> None:
        self.purged = (e["_t"], e["seq"])

    def _on_canary_planted(self, e: Event) -> None:
        self.canaries.update(str(v) for v in e.get("values", []))
