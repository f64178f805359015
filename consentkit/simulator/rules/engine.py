"""The engine: the catalogue (``data/rules.yaml``) joined to its checks, run per device.

Rules read only the trace and the manifest, so a trace recorded anywhere can be audited.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from ...policy import Manifest
from .checks import CHECKS, FINISH, Policy
from .state import DeviceState, People

__all__ = ["Finding", "Rule", "audit", "catalogue", "not_judgeable", "places_of"]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    title: str
    on: frozenset[str]
    finish: bool = False
    judges: frozenset[str] = frozenset()  # kinds of evidence it judges (any one will do)
    needs: frozenset[str] = frozenset()  # context it cannot judge without (every one)

    def missing(self, shows: frozenset[str] | None) -> list[str]:
        """What evidence that ``shows`` only these lacks for this rule (None: everything)."""
        if shows is None:
            return []
        lacking = sorted(self.needs - shows)
        if self.judges and not self.judges & shows:
            lacking.insert(0, " or ".join(sorted(self.judges)))
        return lacking


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    device: str
    seq: int | None
    message: str
    evidence: list[int] = field(default_factory=list)
    app: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def places(self, refs: Mapping[tuple[str, int], str]) -> list[str]:
        """Where its evidence sits in the file the trace was imported from (``places_of``);
        empty for a trace recorded as it happened."""
        return [refs[(self.device, seq)] for seq in self.evidence if (self.device, seq) in refs]


def places_of(events: Iterable[dict[str, Any]]) -> dict[tuple[str, int], str]:
    """``(device, seq)`` -> the event's place in its original evidence file (``ref``)."""
    return {(e["device"], e["seq"]): e["ref"] for e in events if e.get("ref")}


@cache
def catalogue() -> tuple[Rule, ...]:
    text = resources.files("consentkit.simulator").joinpath("data/rules.yaml").read_text()
    rules = tuple(
        Rule(
            r["id"],
            r["severity"],
            r["title"],
            frozenset(r["events"]),
            r.get("finish", False),
            frozenset(r.get("judges", ())),
            frozenset(r.get("needs", ())),
        )
        for r in yaml.safe_load(text)["rules"]
    )
    missing = {r.id for r in rules} ^ set(CHECKS)
    if missing:
        raise RuntimeError(f"rules without checks or checks without rules: {sorted(missing)}")
    return rules


def audit(events: list[dict[str, Any]], manifests: dict[str, Manifest]) -> list[Finding]:
    """Every finding in the trace; events of apps with no manifest are skipped."""
    rules = catalogue()
    by_type: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        for kind in rule.on:
            by_type[kind].append(rule)
    policies = {app: Policy(m) for app, m in manifests.items()}
    people = People.of([e for e in events if e["app"] in policies])
    below_sdk = _phone_witnessed(events)
    states: dict[tuple[str, str], DeviceState] = {}
    findings: list[Finding] = []
    for e in events:
        policy = policies.get(e["app"])
        if policy is None:
            continue
        key = (e["app"], e["device"])
        if e.get("source") == "sdk" and (key, e["type"]) in below_sdk:
            continue  # the phone saw it too, and more: read the phone's witness only
        state = states.get(key)
        if state is None:
            state = states[key] = DeviceState(people=people, all_features=policy.feature_ids)
        for rule in by_type.get(e["type"], ()):
            if rule.missing(state.shows):
                continue  # not judgeable from this device's evidence (not_judgeable says so)
            breach = CHECKS[rule.id](e, state, policy)
            if breach is not None:
                findings.append(
                    Finding(
                        rule.id,
                        rule.severity,
                        e["device"],
                        e["seq"],
                        breach.message,
                        sorted({*breach.evidence, e["seq"]}),
                        e["app"],
                    )
                )
        state.apply(e)
    for (app, device), state in states.items():
        for rule in rules:
            if rule.finish and not rule.missing(state.shows):
                breach = FINISH[rule.id](state, policies[app])
                if breach is not None:
                    findings.append(
                        Finding(
                            rule.id,
                            rule.severity,
                            device,
                            None,
                            breach.message,
                            breach.evidence,
                            app,
                        )
                    )
    return findings


def not_judgeable(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each device whose trace was imported from evidence that shows less than a
    simulation (``evidence.imported``): the rules it cannot judge, and what they lack."""
    out = []
    for e in events:
        if e["type"] != "evidence.imported":
            continue
        shows = frozenset(e.get("shows") or ())
        rules = {r.id: r.missing(shows) for r in catalogue() if r.missing(shows)}
        out.append(
            {
                "app": e["app"],
                "device": e["device"],
                "source": e.get("format") or e.get("source"),
                "file": e.get("file"),
                "shows": sorted(shows),
                "rules": rules,
            }
        )
    return out


# Event types the phone reports from below the SDK; where a device's trace has them from
# the phone, the SDK's reports of the same kind are a second witness of the same thing.
PHONE_WITNESS = {
    "api.read": "os",
    "net.upload": "network",
    "permission.request": "os",
    "permission.result": "os",
}


def _phone_witnessed(events: list[dict[str, Any]]) -> set[tuple[tuple[str, str], str]]:
    return {
        ((e["app"], e["device"]), e["type"])
        for e in events
        if PHONE_WITNESS.get(e["type"]) == e.get("source")
    }
