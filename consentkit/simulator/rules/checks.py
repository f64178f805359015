"""One small check per rule id. Each looks at one event and the device's state before it,
and returns a ``Breach`` or None. The rules are scoped so that one misbehaviour is one
finding: CON-PRE owns everything before agreement; CALLS-NOLOG owns the call history;
IDS-CONSENT owns identifier reads; CONTACTS-MIN owns the address book.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, cached_property
from importlib import resources

import yaml

from ...policy import Manifest, taxonomy
from ...policy.deadlines import due
from ...policy.durations import parse_duration, to_timedelta
from .state import DeviceState, Event

LOCATION = ("user.location.precise", "user.location.coarse")
CALL_LOG = "user.calls.log"
CONTACT = "user.contacts.entry"


@dataclass(frozen=True)
class Breach:
    message: str
    evidence: list[int] = field(default_factory=list)


class Policy:
    """The manifest, with the lookups the checks need, computed once."""

    def __init__(self, manifest: Manifest) -> None:
        self.m = manifest

    @cached_property
    def optional(self) -> frozenset[str]:
        return frozenset(self.m.optional_purposes())

    @cached_property
    def basic_features(self) -> frozenset[str]:
        return frozenset(f.id for f in self.m.features.values() if f.basic)

    @cached_property
    def cooldown(self) -> timedelta:
        return to_timedelta(
            parse_duration(self.m.prompts.reask_after, words=False), reference=datetime(2000, 1, 1)
        )

    def collects(self, feature: str, category: str, purpose: str | None = None) -> bool:
        f = self.m.features.get(feature)
        if f is None or category not in f.collects:
            return False
        return purpose is None or self.m.category_allowed(category, purpose, feature)

    def maps_permission(self, feature: str, permission: str) -> bool:
        f = self.m.features.get(feature)
        return f is not None and permission in f.permissions

    def location_for(self, purpose: str) -> bool:
        return any(purpose in self.m.purposes_declaring(c) for c in LOCATION)

    def rate(self, category: str) -> int | None:
        return self.m.read_rate(category)


Check = Callable[[Event, DeviceState, Policy], Breach | None]


@cache
def api_categories() -> dict[str, list[str]]:
    """From ``data/rules.yaml``: the categories each phone API can hand over."""
    text = resources.files("consentkit.simulator").joinpath("data/rules.yaml").read_text()
    return yaml.safe_load(text)["apis"]


def _personal(e: Event) -> bool:
    if e["type"] == "net.upload":
        return bool(e.get("categories"))
    return e["type"] != "api.read" or e.get("category") is not None


def _categories(e: Event) -> list[str]:
    if e["type"] == "net.upload":
        return list(e.get("categories") or [])
    return [e["category"]] if e.get("category") else []


def con_pre(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    if s.ever_agreed or not _personal(e):
        return None
    what = e.get("api") or e.get("permission") or e.get("permissions") or e.get("endpoint")
    return Breach(f"{e['type']} ({what}) before the policy was agreed")


def con_refused(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    purpose = e.get("purpose")
    if s.ever_agreed and purpose in s.refused and purpose not in s.withdrawn:
        return Breach(f"{e['type']} for {purpose!r}, which the user refused")
    return None


def con_scope(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    if not s.ever_agreed:
        return None
    if e["type"] == "api.read" and e.get("api") in ("contacts.read_all", "identifier.read"):
        return None  # CONTACTS-MIN and IDS-CONSENT own these
    purpose = e.get("purpose")
    for category in _categories(e):
        if category == CALL_LOG:
            continue  # CALLS-NOLOG owns the call history
        # What a phone API hands over can serve several categories (an album pick may be
        # an avatar): any of them declared for a running feature is in scope.
        serves = (
            api_categories().get(e.get("api"), [category])
            if e["type"] == "api.read"
            else [category]
        )
        if not any(p.collects(f, c, purpose) for f in s.features for c in serves):
            where = ", ".join(s.features) or "no feature"
            why = f" for {purpose!r}" if purpose else ""
            return Breach(f"{category}{why} is not declared for {where}", list(s.features.values()))
    return None


def con_withdraw(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    if e["type"] == "server.residue":
        cats = [
            c
            for c in e.get("categories", [])
            if any(w in p.m.purposes_declaring(c) for w in s.withdrawn)
            and p.m.data_categories[c].on_withdraw == "delete"
        ]
        if cats and s.purged is None:
            return Breach(
                f"after withdrawal the server still holds {cats}", list(s.withdrawn.values())
            )
        return None
    purpose = e.get("purpose")
    if purpose in s.withdrawn:
        return Breach(f"{e['type']} for {purpose!r} after it was withdrawn", [s.withdrawn[purpose]])
    return None


def con_policy_change(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    purpose = e.get("purpose")
    if s.change_pending and purpose in p.optional:
        return Breach(f"optional {purpose!r} used before consent to the changed policy")
    return None


def perm_jit(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    permission = e.get("permission")
    if not s.ever_agreed:
        return None
    if not any(p.maps_permission(f, permission) for f in s.features):
        where = ", ".join(s.features) or "no feature"
        return Breach(f"{permission} dialog in {where}, which does not need it")
    return None


def perm_purpose(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    permission = e.get("permission")
    owners = [seq for f, seq in s.features.items() if p.maps_permission(f, permission)]
    if not s.ever_agreed or not owners:
        return None
    shown = s.rationale.get(permission)
    if shown is None or shown < max(owners):
        return Breach(f"{permission} dialog without the manifest's rationale first", owners)
    return None


def perm_bundle(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    tax = taxonomy().permissions
    dialogs = {tax[x].dialog if x in tax else x for x in e.get("permissions", [])}
    limit = p.m.prompts.max_optional_per_request
    if s.ever_agreed and len(dialogs) > limit:
        return Breach(f"{len(dialogs)} permissions in one request (at most {limit})")
    return None


def perm_reask(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    for permission in e.get("permissions", []):
        if permission in s.blocked:
            return Breach(
                f"{permission} requested again after it was blocked (send to Settings)",
                [s.blocked[permission]],
            )
        refused = s.refusals.get(permission)
        if refused and e["_t"] - refused[0] < p.cooldown:
            return Breach(
                f"{permission} requested again {e['_t'] - refused[0]} after a refusal "
                f"(cooldown {p.m.prompts.reask_after})",
                [refused[1]],
            )
    return None


def perm_deny_survive(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    if s.optional_refusal is None:
        return None
    if e["type"] == "app.exit" and e.get("reason") == "crash":
        return Breach("the app closed after a permission was refused", [s.optional_refusal])
    if (
        e["type"] == "feature.end"
        and e.get("feature") in p.basic_features
        and e.get("outcome") in ("blocked", "error")
    ):
        return Breach(
            f"basic feature {e.get('feature')} ended {e.get('outcome')} after a refusal",
            [s.optional_refusal],
        )
    return None


def freq_limit(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    category = e.get("category")
    limit = p.rate(category) if category else None
    if limit is None:
        return None
    window = [seq for t, seq in s.reads.get(category, ()) if e["_t"] - t < timedelta(minutes=1)]
    if len(window) + 1 > limit:
        return Breach(
            f"{len(window) + 1} reads of {category} within a minute (at most {limit})", window
        )
    return None


def ids_consent(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    if e.get("api") != "identifier.read" or not s.ever_agreed:
        return None
    category = e.get("category")
    if not any(x in s.granted for x in p.m.purposes_declaring(category)):
        return Breach(f"{category} read without a consented purpose that declares it")
    return None


def media_exif(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    if not e.get("gps_in_media"):
        return None
    purpose = e.get("purpose")
    if p.location_for(purpose) and purpose in s.granted:
        return None
    return Breach(f"a photo uploaded for {purpose!r} still carries GPS")


def contacts_min(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    if e["type"] == "api.read" and e.get("api") == "contacts.read_all" and s.ever_agreed:
        return Breach(f"the whole address book was read ({e.get('count', '?')} entries)")
    if e["type"] == "net.upload" and CONTACT in (e.get("categories") or []):
        picked, seq = s.picked.get(CONTACT, (0, None))
        if e.get("items", 0) > picked:
            return Breach(
                f"{e.get('items')} contacts uploaded, {picked} picked", [seq] if seq else []
            )
    return None


def calls_nolog(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    promised = CALL_LOG in p.m.never_collected or CALL_LOG not in p.m.data_categories
    touched = e.get("api") == "calls.log_read" or CALL_LOG in (e.get("categories") or [])
    if promised and touched and s.ever_agreed:
        return Breach(f"the call history was {'read' if e['type'] == 'api.read' else 'uploaded'}")
    return None


def minor_guardian(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    if s.minor and not s.guardian and _personal(e):
        return Breach("a minor's personal data before a guardian consented")
    return None


def acct_delete(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    if s.cancel is None:
        return None
    if e["type"] == "server.residue" and s.purged is not None and e.get("categories"):
        return Breach(
            f"after the purge the server still holds {e['categories']}", [s.cancel[1], s.purged[1]]
        )
    if e["type"] == "account.purged":
        deadline = _deadline(s, p)
        done = _when(e)
        if deadline is not None and done > deadline:
            return Breach(f"purged {done.date()}, promised by {deadline.date()}", [s.cancel[1]])
    return None


def acct_delete_finish(s: DeviceState, p: Policy) -> Breach | None:
    deadline = _deadline(s, p) if s.cancel and s.purged is None else None
    if deadline is not None and s.last_t and s.last_t > deadline:
        return Breach(
            f"cancelled {s.cancel[0].date()}, not purged by {deadline.date()}", [s.cancel[1]]
        )
    return None


def _when(e: Event) -> datetime:
    """When the server says it happened (``at``), else when the device saw it."""
    try:
        return datetime.fromisoformat(e["at"]) if e.get("at") else e["_t"]
    except (TypeError, ValueError):
        return e["_t"]


def _deadline(s: DeviceState, p: Policy) -> datetime | None:
    promise = p.m.rights.deadline("cancellation")
    return due(s.cancel[0], promise, p.m.rights.calendar) if promise and s.cancel else None


def log_pii(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    text = str(e.get("text", ""))
    leaked = sorted(c for c in s.canaries if c and c in text)
    if leaked:
        return Breach(f"a server log line holds planted value(s) {leaked}")
    return None


def perm_needless(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    """The phone marks a dialog the app did not need (``needless``): asking anyway only
    alarms the user, e.g. a storage prompt for the app's own files on Android 11+."""
    if e.get("needless"):
        return Breach(f"{e.get('permission')} dialog the app did not need: {e['needless']}")
    return None


CHECKS: dict[str, Check] = {
    "CON-PRE": con_pre,
    "CON-REFUSED": con_refused,
    "CON-SCOPE": con_scope,
    "CON-WITHDRAW": con_withdraw,
    "CON-POLICY-CHANGE": con_policy_change,
    "PERM-JIT": perm_jit,
    "PERM-PURPOSE": perm_purpose,
    "PERM-BUNDLE": perm_bundle,
    "PERM-REASK": perm_reask,
    "PERM-DENY-SURVIVE": perm_deny_survive,
    "FREQ-LIMIT": freq_limit,
    "IDS-CONSENT": ids_consent,
    "MEDIA-EXIF": media_exif,
    "CONTACTS-MIN": contacts_min,
    "CALLS-NOLOG": calls_nolog,
    "MINOR-GUARDIAN": minor_guardian,
    "ACCT-DELETE": acct_delete,
    "LOG-PII": log_pii,
    "PERM-NEEDLESS": perm_needless,
}

FINISH: dict[str, Callable[[DeviceState, Policy], Breach | None]] = {
    "ACCT-DELETE": acct_delete_finish,
}
