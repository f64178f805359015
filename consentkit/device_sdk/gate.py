"""The gate: may this data be collected, may this dialog be shown — and if not, why.

Every decision carries a stable ``Reason``. The manifest is turned into sets and dicts
once, so a decision is a handful of lookups (see ``bench/gate.py``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ..policy import Manifest, taxonomy
from ..policy.durations import parse_duration, to_timedelta
from ..policy.rates import charged_permissions
from .consent import ConsentManager
from .permissions import PermissionManager

__all__ = ["Decision", "Gate", "Reason"]


class Reason(StrEnum):
    OK = "ok"
    LIMITED = "limited"
    POLICY_NOT_AGREED = "policy_not_agreed"
    GUARDIAN_REQUIRED = "guardian_required"
    PURPOSE_NOT_CONSENTED = "purpose_not_consented"
    SENSITIVE_NOT_CONSENTED = "sensitive_not_consented"
    NEVER_COLLECTED = "never_collected"
    UNDECLARED_CATEGORY = "undeclared_category"
    UNDECLARED_PERMISSION = "undeclared_permission"
    FEATURE_NOT_STARTED = "feature_not_started"
    PERMISSION_NOT_GRANTED = "permission_not_granted"
    PERMISSION_DENIED = "permission_denied"
    RATIONALE_REQUIRED = "rationale_required"
    RATIONALE_DECLINED = "rationale_declined"
    COOLDOWN = "cooldown"
    BLOCKED_OPEN_SETTINGS = "blocked_open_settings"
    BUNDLE_LIMIT = "bundle_limit"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    RESTRICTED = "restricted"
    MISSING_USAGE_DESCRIPTION = "missing_usage_description"
    NOT_NEEDED = "not_needed"


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: Reason
    detail: str = ""
    open_settings: bool = False

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True, Reason.OK)
WINDOW = timedelta(minutes=1)

# What iOS would do with a request whose Info.plist usage-description string is missing.
_WITHOUT_DESCRIPTION = {
    "ignored": lambda p: (
        f"the app has no usage description for {p}: iOS would ignore the request silently "
        "(no dialog, nothing granted)"
    ),
    "terminates": lambda p: (
        f"the app has no usage description for {p}: iOS would terminate the app"
    ),
}


def _no(reason: Reason, detail: str, *, settings: bool = False) -> Decision:
    return Decision(False, reason, detail, settings)


class Gate:
    def __init__(
        self,
        manifest: Manifest,
        consents: ConsentManager,
        permissions: PermissionManager,
        clock,
        reads: dict[str, deque[datetime]] | None = None,
    ) -> None:
        self.manifest = manifest
        self.consents = consents
        self.permissions = permissions
        self.clock = clock
        tax = taxonomy()
        self._triples = {
            (c, p, f.id)
            for f in manifest.features.values()
            for c in f.collects
            for p in f.purposes
            if p in manifest.data_categories[c].purposes
        }
        self._feature_permissions = {
            f.id: frozenset(f.permissions) for f in manifest.features.values()
        }
        self._feature_purposes = {f.id: f.purposes for f in manifest.features.values()}
        self._never = frozenset(manifest.never_collected)
        self._needs = {c: tax.categories[c].permissions for c in manifest.data_categories}
        self._sensitive = frozenset(c for c in manifest.data_categories if manifest.is_sensitive(c))
        self._basic = frozenset(manifest.basic_purposes())
        self._purposes_by_permission = {
            perm: frozenset(
                p
                for c, d in manifest.data_categories.items()
                if perm in self._needs[c]
                for p in d.purposes
            )
            for perm in manifest.permissions
        }
        self._rates = dict(manifest.prompts.reads_per_minute)
        # Reads of the last minute per rated permission; kept across a restart of the app.
        self._reads: dict[str, deque[datetime]] = reads if reads is not None else {}
        self._cooldown = to_timedelta(
            parse_duration(manifest.prompts.reask_after, words=False),
            reference=datetime(2000, 1, 1),
        )
        self._bundle = manifest.prompts.max_optional_per_request
        self.active: set[str] = set()
        self._rationale_shown: set[tuple[str, str]] = set()

    # features -----------------------------------------------------------------
    def start_feature(self, feature: str) -> None:
        self.active.add(feature)

    def end_feature(self, feature: str) -> None:
        self.active.discard(feature)
        self._rationale_shown = {k for k in self._rationale_shown if k[0] != feature}

    def rationale_shown(self, feature: str, permission: str) -> None:
        self._rationale_shown.add((feature, permission))

    # collection -------------------------------------------------------------------
    def can_collect(self, category: str, purpose: str, feature: str) -> Decision:
        """May the app collect ``category`` for ``purpose`` inside ``feature`` now?"""
        consents = self.consents
        if not consents.agreed:
            return _no(Reason.POLICY_NOT_AGREED, "the user has not agreed to the policy in force")
        if consents.needs_guardian:
            return _no(Reason.GUARDIAN_REQUIRED, "a guardian must consent for this minor first")
        if category in self._never:
            return _no(Reason.NEVER_COLLECTED, f"the policy promises {category} is never collected")
        if (category, purpose, feature) not in self._triples:
            return _no(
                Reason.UNDECLARED_CATEGORY, f"{category} is not declared for {purpose} in {feature}"
            )
        if feature not in self.active:
            return _no(Reason.FEATURE_NOT_STARTED, f"{feature} was not started by the user")
        if not consents.consented(purpose):
            return _no(Reason.PURPOSE_NOT_CONSENTED, f"{purpose} is not consented")
        if (
            category in self._sensitive
            and purpose in self._basic
            and not consents.category_consented(category)
        ):
            return _no(Reason.SENSITIVE_NOT_CONSENTED, f"{category} needs its own consent")
        needed = self._needs[category]
        if needed:
            usable = [p for p in needed if p in self._feature_permissions[feature]]
            granted = [p for p in usable if self.permissions.status(p) in ("granted", "limited")]
            if not granted:
                return _no(Reason.PERMISSION_NOT_GRANTED, f"none of {list(usable)} is granted")
            for permission in self._charged(category):
                if not self._within_rate(permission):
                    limit = self._rates[permission]
                    return _no(
                        Reason.RATE_LIMITED,
                        f"more than {limit} reads a minute under {permission} ({category})",
                    )
        return ALLOWED

    def _charged(self, category: str) -> tuple[str, ...]:
        if not self._rates:
            return ()
        return charged_permissions(
            category, self._rates, lambda p: self.permissions.status(p) in ("granted", "limited")
        )

    def _within_rate(self, permission: str) -> bool:
        reads = self._reads.get(permission)
        if not reads:
            return True
        cutoff = self.clock() - WINDOW
        while reads and reads[0] <= cutoff:
            reads.popleft()
        return len(reads) < self._rates[permission]

    def note_read(self, category: str) -> None:
        """A read happened; it counts against the rate of each permission that gated it."""
        for permission in self._charged(category):
            self._reads.setdefault(permission, deque()).append(self.clock())

    # dialogs ----------------------------------------------------------------------
    def _dialog_refused(self, permission: str) -> Decision | None:
        """One dialog answers linked permissions (precise and approximate location): asking
        for one after the user refused the dialog through another is asking again. When the
        user granted part of it (approximate only), asking for more is a new question."""
        others = self.permissions.rules.linked(permission) - {permission}
        if any(self.permissions.status(q) in ("granted", "limited") for q in others):
            return None
        for other in others:
            status = self.permissions.status(other)
            if status == "blocked":
                return _no(
                    Reason.BLOCKED_OPEN_SETTINGS,
                    f"{other}'s dialog, which also asks for {permission}, is blocked",
                    settings=True,
                )
            refused = self.permissions.refused_at(other)
            if status == "denied" and refused and self.clock() - refused < self._cooldown:
                return _no(Reason.COOLDOWN, f"{other}'s dialog was refused; wait")
        return None

    def can_request(self, permissions: list[str], feature: str) -> Decision:
        """May the app show the OS dialog for ``permissions`` in ``feature`` now?"""
        if not self.consents.agreed:
            return _no(Reason.POLICY_NOT_AGREED, "no dialog before the policy is agreed")
        if feature not in self.active:
            return _no(Reason.FEATURE_NOT_STARTED, f"{feature} was not started by the user")
        for p in permissions:
            if p not in self._feature_permissions.get(feature, ()):
                return _no(Reason.UNDECLARED_PERMISSION, f"{feature} does not declare {p}")
        rules = self.permissions.rules
        groups = {rules.linked(p) for p in permissions}
        if len(groups) > self._bundle:
            return _no(
                Reason.BUNDLE_LIMIT, f"at most {self._bundle} optional permission(s) per request"
            )
        for p in permissions:
            purposes = self._purposes_by_permission.get(p) or set(self._feature_purposes[feature])
            if not any(
                self.consents.consented(x) for x in purposes & set(self._feature_purposes[feature])
            ):
                return _no(Reason.PURPOSE_NOT_CONSENTED, f"no consented purpose needs {p}")
            missing = rules.missing_usage_description.get(p)
            if missing and not self.permissions.platform.has_usage_description(p):
                return _no(Reason.MISSING_USAGE_DESCRIPTION, _WITHOUT_DESCRIPTION[missing](p))
            status = self.permissions.status(p)
            if status == "blocked":
                return _no(
                    Reason.BLOCKED_OPEN_SETTINGS,
                    f"{p} is blocked: only Settings can change it",
                    settings=True,
                )
            if status in ("restricted", "unavailable"):
                return _no(Reason(status), f"{p} is {status} on this phone")
            refused = self.permissions.refused_at(p)
            if status == "denied" and refused and self.clock() - refused < self._cooldown:
                return _no(Reason.COOLDOWN, f"{p} was refused at {refused.isoformat()}; wait")
            if status not in ("granted", "limited"):
                refusal = self._dialog_refused(p)
                if refusal is not None:
                    return refusal
        for p in permissions:
            if (
                (feature, p) not in self._rationale_shown
                and self.permissions.status(p) not in ("granted", "limited")
                and not self.permissions.will_grant_silently(p)  # no dialog to explain
            ):
                return _no(Reason.RATIONALE_REQUIRED, f"explain why {feature} needs {p} first")
        return ALLOWED
