"""One small check per rule id. Each looks at one event and the device's state before it,
and returns a ``Breach`` or None.

The rules are scoped so that one misbehaviour is one finding: CON-PRE owns everything
before agreement; CALLS-NOLOG owns the call history; IDS-CONSENT owns identifier reads;
CONTACTS-MIN owns contacts nobody picked; CON-NEVER owns what the policy promises never
to collect; FREQ-LIMIT owns sensor reads outside any feature and reports a burst once.

A read or an upload is attributed to the feature it happened in (or, for queued data, was
collected in) and to the purposes the manifest declares for its category there; the
consent rules find it when every one of those purposes is unavailable, each for its own
reason (refused, withdrawn, or waiting for consent to a changed policy). Where a check
keeps a note in the state (a burst reported, a stretch outside features already flagged),
it is so that the same misbehaviour is not reported twice.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, cached_property
from importlib import resources

import yaml

from ...policy import Manifest, taxonomy
from ...policy.deadlines import due
from ...policy.detect import find_values, scan_text
from ...policy.domains import Owner, owner_of
from ...policy.durations import parse_duration, to_timedelta
from ...policy.rates import charged_permissions
from .state import CONTACT, DeviceState, Event

LOCATION = ("user.location.precise", "user.location.coarse")
CALL_LOG = "user.calls.log"
WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Breach:
    message: str
    evidence: list[int] = field(default_factory=list)


class Policy:
    """The manifest, with the lookups the checks need, computed once."""

    def __init__(self, manifest: Manifest) -> None:
        self.m = manifest
        self._purposes_in: dict[tuple[str, str], frozenset[str]] = {}
        self._owners: dict[str, Owner | None] = {}

    @cached_property
    def optional(self) -> frozenset[str]:
        return frozenset(self.m.optional_purposes())

    @cached_property
    def never(self) -> frozenset[str]:
        return frozenset(self.m.never_collected)

    @cached_property
    def feature_ids(self) -> tuple[str, ...]:
        return tuple(self.m.features)

    def owner(self, host: str) -> Owner | None:
        """Whose ``host`` is by the manifest's domains, looked up once per host."""
        if host not in self._owners:
            self._owners[host] = owner_of(self.m, host)
        return self._owners[host]

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

    def purposes_in(self, feature: str, category: str) -> frozenset[str]:
        """The purposes for which ``feature`` may collect ``category``."""
        key = (feature, category)
        if key not in self._purposes_in:
            f = self.m.features.get(feature)
            self._purposes_in[key] = frozenset(
                x
                for x in (f.purposes if f and category in f.collects else ())
                if x in self.m.purposes_declaring(category)
            )
        return self._purposes_in[key]

    def maps_permission(self, feature: str, permission: str) -> bool:
        f = self.m.features.get(feature)
        return f is not None and permission in f.permissions

    def permissions_of(self, feature: str) -> tuple[str, ...]:
        f = self.m.features.get(feature)
        return f.permissions if f else ()

    def basic_needs(self, feature: str, permission: str) -> bool:
        """Does a basic purpose of this feature need data only this permission gives?"""
        f = self.m.features.get(feature)
        if f is None:
            return False
        tax = taxonomy().categories
        return any(
            permission in tax[c].permissions and x not in self.optional
            for c in f.collects
            if c in tax
            for x in self.purposes_in(feature, c)
        )

    def location_for(self, purpose: str) -> bool:
        return any(purpose in self.m.purposes_declaring(c) for c in LOCATION)

    def rationale(self, permission: str) -> str | None:
        use = self.m.permissions.get(permission)
        return use.rationale if use else None

    @cached_property
    def rates(self) -> dict[str, int]:
        return dict(self.m.prompts.reads_per_minute)

    def gating(self, category: str | None) -> tuple[str, ...]:
        """The rated permissions that can let an app read this category."""
        known = taxonomy().categories.get(category or "")
        return tuple(x for x in (known.permissions if known else ()) if x in self.rates)


Check = Callable[[Event, DeviceState, Policy], Breach | None]


@cache
def api_categories() -> dict[str, list[str]]:
    """From ``data/rules.yaml``: the categories each phone API can hand over."""
    text = resources.files("consentkit.simulator").joinpath("data/rules.yaml").read_text()
    return yaml.safe_load(text)["apis"]


# what an event is about -------------------------------------------------------------------


def _personal(e: Event) -> bool:
    if e["type"] == "net.upload":
        return bool(e.get("categories"))
    if e["type"] == "api.read":
        return e.get("category") is not None and bool(_served(e, e["category"]))
    return True


def _categories(e: Event) -> list[str]:
    if e["type"] == "net.upload":
        return list(e.get("categories") or [])
    return [e["category"]] if e.get("category") else []


def _served(e: Event, category: str) -> list[str]:
    """What a phone API hands over can serve several categories (an album pick may be an
    avatar); an upload is what it says it is."""
    if e["type"] == "api.read":
        return api_categories().get(e.get("api"), [category])
    return [category]


def _features(e: Event, s: DeviceState) -> list[str]:
    """The feature an event belongs to: the one it names (the phone's attribution, or the
    feature queued data was collected in), else the features running in the trace; when
    the evidence cannot show features (a real phone's), any feature of the manifest."""
    if e.get("feature") or ("feature" in e and not s.features_unknown):
        return [e["feature"]] if e["feature"] else []
    if s.features_unknown:
        return list(s.all_features)
    return list(s.features)


def purposes_of(e: Event, category: str, s: DeviceState, p: Policy) -> set[str]:
    """The purposes this read or upload of ``category`` can serve."""
    if e.get("purpose"):
        return {e["purpose"]}
    return {x for f in _features(e, s) for c in _served(e, category) for x in p.purposes_in(f, c)}


def unavailable(purpose: str, s: DeviceState, p: Policy) -> tuple[str, int | None] | None:
    """Why nothing may be collected for ``purpose`` now, with the event that says so."""
    if purpose in s.withdrawn:
        return "withdrawn", s.withdrawn[purpose]
    if s.declined_in_force:
        return "declined", s.declined[1]
    if s.pending and purpose in p.optional:
        return "pending", s.published_seq
    if purpose in s.refused or (purpose in p.optional and purpose not in s.granted):
        return "refused", None
    return None


REASONS = ("withdrawn", "declined", "pending", "refused")


def consent_block(e: Event, s: DeviceState, p: Policy) -> tuple[str, str, str, list[int]] | None:
    """``(reason, category, purpose, evidence)`` when every purpose this collection could
    serve is unavailable; the reason is the most specific one among them."""
    if not s.ever_agreed or not _personal(e):
        return None
    if e["type"] == "api.read" and e.get("api") == "identifier.read":
        return None  # IDS-CONSENT owns identifier reads
    for category in _categories(e):
        if category == CALL_LOG:
            continue
        purposes = purposes_of(e, category, s, p)
        if not purposes:
            continue  # undeclared here: CON-SCOPE's to judge
        why = {x: unavailable(x, s, p) for x in sorted(purposes)}
        if not all(why.values()):
            continue
        for reason in REASONS:
            hits = [x for x, w in why.items() if w[0] == reason]
            if hits:
                seq = why[hits[0]][1]
                return reason, category, hits[0], [seq] if seq else []
    return None


def _what(e: Event) -> str:
    return "read" if e["type"] == "api.read" else "upload"


# the rules ----------------------------------------------------------------------------------


def con_pre(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    if s.ever_agreed or not _personal(e):
        return None
    what = e.get("api") or e.get("permission") or e.get("permissions") or e.get("endpoint")
    return Breach(f"{e['type']} ({what}) before the policy was agreed")


def con_refused(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    block = consent_block(e, s, p)
    if block and block[0] == "refused":
        return Breach(f"{_what(e)} of {block[1]} for {block[2]!r}, which the user refused")
    return None


def con_withdraw(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    if e["type"] == "server.residue":
        return _residue_after_withdrawal(e, s, p)
    block = consent_block(e, s, p)
    if block and block[0] == "withdrawn":
        return Breach(f"{_what(e)} of {block[1]} for {block[2]!r} after it was withdrawn", block[3])
    return None


def _residue_after_withdrawal(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    """Data of a withdrawn purpose that the manifest says is deleted or anonymized, still
    linked to the user on the server."""
    if s.purged is not None or not s.withdrawn:
        return None
    declared = p.m.data_categories
    held = e.get("items")
    if held is None:  # an older probe: categories only
        held = [{"category": c, "purpose": None} for c in e.get("categories", [])]
    left = set()
    for item in held:
        category, purpose = item.get("category"), item.get("purpose")
        if category not in declared or declared[category].on_withdraw == "retain":
            continue
        purposes = [purpose] if purpose else list(p.m.purposes_declaring(category))
        live = [x for x in purposes if x not in s.withdrawn]
        if purposes and not live:
            left.add(category)
    if left:
        return Breach(
            f"after withdrawal the server still holds {sorted(left)}", list(s.withdrawn.values())
        )
    return None


def never_collected(e: Event, category: str, s: DeviceState, p: Policy) -> bool:
    """Is this a collection the policy promises never happens (CON-NEVER's to judge)? The
    call history stays CALLS-NOLOG's and identifier reads IDS-CONSENT's; a phone API that
    hands over something the running feature does declare is that instead."""
    if category not in p.never or category == CALL_LOG:
        return False
    if e["type"] == "api.read":
        if e.get("api") == "identifier.read":
            return False
        others = [c for c in _served(e, category) if c != category]
        return not any(p.collects(f, c) for f in _features(e, s) for c in others)
    return True


def con_never(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    if not s.ever_agreed:
        return None  # CON-PRE's
    for category in _categories(e):
        if never_collected(e, category, s, p) and ("never", category) not in s.outside_flagged:
            s.outside_flagged.add(("never", category))  # once per feature run
            what = "read" if e["type"] == "api.read" else "sent"
            return Breach(f"{category} {what}, which the policy promises is never collected")
    return None


def con_policy_change(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    block = consent_block(e, s, p)
    if block is None or block[0] not in ("pending", "declined"):
        return None
    if block[0] == "declined":
        return Breach(
            f"{_what(e)} of {block[1]} after the user declined policy {s.declined[0]}", block[3]
        )
    return Breach(
        f"optional {block[2]!r} used ({block[1]}) before consent to the changed policy "
        f"{s.in_force}",
        block[3],
    )


def contacts_excess(e: Event, s: DeviceState) -> tuple[int, list[str]]:
    """Contacts in this upload beyond what the user picked: by identity when the upload
    names them, else by count, cumulatively."""
    ids = e.get("contact_ids")
    if ids is not None:
        new = sorted({str(i) for i in ids} - s.picked_ids - s.uploaded_ids)
        return len(new), new
    count = e.get("contacts")
    if count is None:
        count = e.get("items", 0) if CONTACT in (e.get("categories") or []) else 0
    before = max(0, s.uploaded_count - s.picked_count)
    after = max(0, s.uploaded_count + int(count or 0) - s.picked_count)
    return after - before, []


def con_scope(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    if not s.ever_agreed:
        return None
    features = _features(e, s)
    if e["type"] == "api.read" and e.get("api") == "identifier.read":
        return None  # IDS-CONSENT's
    if (
        e["type"] == "api.read"
        and e.get("api") == "contacts.read_all"
        and (CONTACT in p.never or any(p.collects(f, CONTACT) for f in features))
    ):
        return None  # what leaves is CONTACTS-MIN's; a promise broken is CON-NEVER's
    if e["type"] == "api.read" and not e.get("category") and e.get("resource"):
        if ("resource", e["resource"]) in s.outside_flagged:
            return None
        s.outside_flagged.add(("resource", e["resource"]))
        return Breach(
            f"{e['resource']} accessed ({e.get('api')}), which the policy cannot declare: "
            "no data category of it is collected"
        )
    purpose = e.get("purpose")
    for category in _categories(e):
        if category == CALL_LOG:
            continue  # CALLS-NOLOG owns the call history
        if e["type"] == "api.read" and not features and p.gating(category):
            continue  # FREQ-LIMIT owns sensor reads outside any feature
        if never_collected(e, category, s, p):
            continue  # CON-NEVER owns what the policy promises never to collect
        if e["type"] == "net.upload" and category == CONTACT and contacts_excess(e, s)[0]:
            continue  # CONTACTS-MIN owns contacts nobody picked
        serves = _served(e, category)
        if any(p.collects(f, c, purpose) for f in features for c in serves):
            continue
        if not features:
            if ("scope", category) in s.outside_flagged:
                continue  # one finding per stretch outside any feature
            s.outside_flagged.add(("scope", category))
        where = "any feature" if s.features_unknown else ", ".join(features) or "no feature"
        why = f" for {purpose!r}" if purpose else ""
        evidence = [s.features[f] for f in features if f in s.features]
        return Breach(f"{category}{why} is not declared for {where}", evidence)
    return None


def perm_jit(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    permission = e.get("permission")
    if not s.ever_agreed:
        return None
    if not any(p.maps_permission(f, permission) for f in s.features):
        where = ", ".join(s.features) or "no feature"
        return Breach(f"{permission} dialog in {where}, which does not need it")
    return None


def _same_text(expected: str, shown: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(text.split()).casefold()

    return norm(expected) in norm(shown)


def perm_purpose(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    permission = e.get("permission")
    owners = [seq for f, seq in s.features.items() if p.maps_permission(f, permission)]
    if not s.ever_agreed or not owners:
        return None
    shown = s.rationale.get(permission)
    if shown is None or shown[0] < max(owners):
        return Breach(f"{permission} dialog without the manifest's rationale first", owners)
    expected = p.rationale(permission)
    if shown[1] is not None and expected and not _same_text(expected, shown[1]):
        return Breach(
            f"{permission} dialog after a rationale that is not the manifest's for it "
            f"({shown[1][:60]!r})",
            [shown[0]],
        )
    return None


def perm_bundle(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    dialogs = {s.dialog(x) for x in e.get("permissions", []) if x not in s.held and s.asks_for(x)}
    limit = p.m.prompts.max_optional_per_request
    if s.ever_agreed and len(dialogs) > limit:
        return Breach(f"{len(dialogs)} permission dialogs in one request (at most {limit})")
    return None


def perm_reask(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    for permission in e.get("permissions", []):
        if permission in s.held:
            continue  # already held: the OS shows no dialog
        key = s.dialog(permission)
        flagged = s.nagged.get(key)
        if flagged is not None and e["_t"] - flagged < p.cooldown:
            continue  # the same nagging, already reported
        if key in s.dialog_blocked:
            s.nagged[key] = e["_t"]
            return Breach(
                f"{permission} requested again after its dialog was blocked (send to Settings)",
                [s.dialog_blocked[key]],
            )
        refused = s.dialog_refusals.get(key)
        if refused and e["_t"] - refused[0] < p.cooldown:
            s.nagged[key] = e["_t"]
            return Breach(
                f"{permission} requested again {e['_t'] - refused[0]} after its dialog was "
                f"refused (cooldown {p.m.prompts.reask_after})",
                [refused[1]],
            )
    return None


def _refused_for(feature: str, s: DeviceState, p: Policy) -> list[int]:
    """Refusals of optional permissions this feature maps."""
    return [
        s.refused_permissions[q]
        for q in p.permissions_of(feature)
        if q in s.refused_permissions and not p.basic_needs(feature, q)
    ]


def perm_deny_survive(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    if e["type"] == "app.exit" and e.get("reason") == "crash":
        tied = [seq for f in s.features for seq in _refused_for(f, s, p)]
        if s.last_refusal is not None and s.last_refusal == s.last_seq:
            tied.append(s.last_refusal)
        if tied:
            return Breach("the app closed after a permission was refused", sorted(set(tied)))
        return None
    feature = e.get("feature")
    if (
        e["type"] == "feature.end"
        and feature in p.basic_features
        and e.get("outcome") in ("blocked", "error")
    ):
        refused = _refused_for(feature, s, p)
        if refused:
            return Breach(
                f"basic feature {feature} ended {e.get('outcome')} after a permission it "
                "asks for was refused",
                refused,
            )
    return None


def freq_limit(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    """Sensor reads, counted against the rate of each rated permission that gates them
    (reads of approximate location under a precise grant count against precise's rate);
    a burst is one finding; a read outside any feature is a finding of its own."""
    category = e.get("category")
    if not p.gating(category) or not s.ever_agreed or e.get("api") == "identifier.read":
        return None
    charged = charged_permissions(category, p.rates, s.held.__contains__)
    over = []
    for g in charged:
        window = s.reads.setdefault(g, deque())
        while window and e["_t"] - window[0][0] >= WINDOW:
            window.popleft()
        window.append((e["_t"], e["seq"]))
        if len(window) > p.rates[g]:
            over.append(g)
    breach = None
    if over:
        # One burst, one finding: over-limit reads within a minute of the last one reported
        # (under any permission this read counts against) belong to the same burst.
        last = max((s.burst_until[g] for g in charged if g in s.burst_until), default=None)
        for g in charged:
            s.burst_until[g] = e["_t"]
        if last is None or e["_t"] - last >= WINDOW:
            g = over[0]
            breach = Breach(
                f"{len(s.reads[g])} reads under {g} within a minute (at most {p.rates[g]})",
                [seq for _, seq in s.reads[g]],
            )
    outside = not _features(e, s) and not never_collected(e, category, s, p)
    if outside and ("background", category) not in s.outside_flagged:
        s.outside_flagged.add(("background", category))
        where = "with the app in the background" if not _foreground(e, s) else "on no feature"
        return Breach(f"{category} read outside any feature ({where})")
    return breach


def _foreground(e: Event, s: DeviceState) -> bool:
    return e.get("foreground", s.foreground) is not False


def ids_consent(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    if e.get("api") != "identifier.read" or not s.ever_agreed:
        return None
    category = e.get("category")
    declaring = set(p.m.purposes_declaring(category))
    if e.get("purpose") or _features(e, s):
        purposes = purposes_of(e, category, s, p) & declaring
    else:
        purposes = declaring  # no feature: any purpose that declares it
    if not any(unavailable(x, s, p) is None for x in purposes):
        return Breach(f"{category} read without a live consent for a purpose of this read")
    return None


def media_exif(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    if not e.get("gps_in_media"):
        return None
    purposes = set()
    for category in _categories(e) or ["user.media.photo"]:
        purposes |= purposes_of(e, category, s, p)
    if any(p.location_for(x) and unavailable(x, s, p) is None for x in purposes):
        return None
    why = f"for {sorted(purposes)}" if purposes else "outside any declared purpose"
    return Breach(f"a photo uploaded {why} still carries GPS")


def contacts_min(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    if e["type"] != "net.upload" or CONTACT in p.never:
        return None  # a policy that never collects contacts: CON-NEVER's
    excess, ids = contacts_excess(e, s)
    if excess:
        picked = len(s.picked_ids) or s.picked_count
        which = f" ({', '.join(ids[:5])}{'…' if len(ids) > 5 else ''})" if ids else ""
        return Breach(
            f"{excess} contact(s) uploaded that the user did not pick{which}; {picked} picked",
            s.pick_seqs[-3:],
        )
    return None


def calls_nolog(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    promised = CALL_LOG in p.m.never_collected or CALL_LOG not in p.m.data_categories
    touched = e.get("api") == "calls.log_read" or CALL_LOG in (e.get("categories") or [])
    if promised and touched and s.ever_agreed:
        return Breach(f"the call history was {'read' if e['type'] == 'api.read' else 'uploaded'}")
    return None


def minor_guardian(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    if e.get("flow") == "guardian":
        return None  # the guardian's own number, sent to ask for their consent
    if s.is_minor and not s.guardian_before(e["_t"]) and _personal(e):
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
    leaked = find_values(text, sorted(s.canaries))
    if leaked:
        return Breach(f"a server log line holds planted value(s) {leaked}")
    found = scan_text(text)
    if found:
        return Breach(f"a server log line holds personal data: {sorted(found)}")
    return None


def perm_needless(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    """The phone marks a dialog the app did not need (``needless``): asking anyway only
    alarms the user, e.g. a storage prompt for the app's own files on Android 11+."""
    if e.get("needless"):
        return Breach(f"{e.get('permission')} dialog the app did not need: {e['needless']}")
    return None


def net_party(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    """A domain the app itself contacted (not web content the user browsed in it) that is
    neither the app's nor a third party's the policy names."""
    domain = str(e.get("domain") or "")
    if not domain or e.get("initiated") == "non-app" or p.owner(domain) is not None:
        return None
    if ("domain", domain) in s.outside_flagged:
        return None
    s.outside_flagged.add(("domain", domain))
    owner = f" (owned by {e['owner']})" if e.get("owner") else ""
    tracker = "; Apple marks it as a possible tracker" if e.get("apple_tracker") else ""
    return Breach(
        f"contacted {domain}{owner}, which the policy names neither as the app's nor as a "
        f"third party's{tracker}"
    )


def net_category(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    """Personal data sent to a domain that is not declared to receive it: a third party
    beyond its ``categories``, or a domain the policy does not name. What the app's own
    servers receive is CON-SCOPE's to judge."""
    domain = e.get("domain")
    categories = sorted(e.get("categories") or [])
    if not domain or not categories:
        return None
    owner = p.owner(domain)
    if owner is not None and owner.party is None:
        return None
    if owner is None:
        return Breach(f"{', '.join(categories)} sent to {domain}, which the policy does not name")
    extra = [c for c in categories if not owner.receives(p.m, c)]
    if extra:
        return Breach(
            f"{', '.join(extra)} sent to {domain} ({owner.name}), which the policy does not "
            "declare it receives"
        )
    return None


def net_tracking(e: Event, s: DeviceState, p: Policy) -> Breach | None:
    """A tracking domain reached while none of its third party's purposes is consented."""
    owner = p.owner(str(e.get("domain") or ""))
    if owner is None or not owner.tracking or e.get("initiated") == "non-app":
        return None
    purposes = owner.party.purposes if owner.party else ()
    if any(unavailable(x, s, p) is None for x in purposes):
        return None
    return Breach(
        f"tracking domain {e['domain']} ({owner.name}) contacted without consent to "
        f"{', '.join(repr(x) for x in purposes)}",
        sorted(set(s.withdrawn.values())),
    )


CHECKS: dict[str, Check] = {
    "CON-PRE": con_pre,
    "CON-REFUSED": con_refused,
    "CON-SCOPE": con_scope,
    "CON-WITHDRAW": con_withdraw,
    "CON-NEVER": con_never,
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
    "NET-PARTY": net_party,
    "NET-CATEGORY": net_category,
    "NET-TRACKING": net_tracking,
}

FINISH: dict[str, Callable[[DeviceState, Policy], Breach | None]] = {
    "ACCT-DELETE": acct_delete_finish,
}
