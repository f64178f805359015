"""What a fleet's users did, counted: the permission funnel and the consent rates.

Both read only devices' events, so the report of a run and ``audit diff`` of two traces
count the same way.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any, Protocol

from ...policy import Manifest

__all__ = ["HOW", "RESULTS", "consent_rates", "funnel", "os_label", "signature"]

RESULTS = ("granted", "limited", "denied", "blocked")
# How the OS decided, counted beside the outcomes (extensions of the trace's
# permission.dialog and permission.result events, see docs/platforms.md):
#   silent     granted with no dialog of its own (through its group, or the foreground grant)
#   settings   decided on a Settings page (Android 11+ background location)
#   upgrade    upgrade prompts shown (to background or precise location)
#   precise_switch  dialogs that carried iOS's Precise switch or Android's "Approximate"
#   temporary  grants that end with the session (one time, Android 14's temporary selection)
#   provisional     iOS Always granted provisionally
#   reset      grants the OS took back from an unused app
#   needless   dialogs for what the app did not need (scoped storage)
#   always_offered  screens offering "Allow all the time" / "Change to Always Allow"
HOW = (
    "silent",
    "settings",
    "upgrade",
    "precise_switch",
    "temporary",
    "provisional",
    "reset",
    "needless",
    "always_offered",
)


class Device(Protocol):
    app: str  # the manifest's id
    app_name: str  # the app as the run names it (several apps may share one manifest)
    os: str
    os_version: str
    os_label: str
    events: list[dict[str, Any]]


def os_label(device: Device) -> str:
    """``android 14``, or the release with its device profile (``android 10 (no Play
    services)``)."""
    return device.os_label or f"{device.os} {device.os_version}"


def funnel(devices: Iterable[Device]) -> list[dict[str, Any]]:
    """Per permission and OS (release and device profile): how many requests, what the OS
    showed, what they ended in, and how the OS got there."""
    rows: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for device in devices:
        os_name = os_label(device)
        for e in device.events:
            kind = e["type"]
            if kind == "permission.request":
                for p in e.get("permissions", []):
                    rows[(p, os_name)]["asked"] += 1
            elif kind == "permission.dialog":
                row = rows[(e["permission"], os_name)]
                row["dialogs"] += 1
                row["upgrade"] += e.get("kind") == "upgrade"
                row["precise_switch"] += bool(e.get("precise_switch"))
                row["needless"] += bool(e.get("needless"))
                if "allow_always" in e.get("options", ()):
                    for p in e.get("permissions", [e["permission"]]):
                        rows[(p, os_name)]["always_offered"] += p == "location.background"
            elif kind == "permission.result" and e.get("status") in RESULTS:
                row = rows[(e["permission"], os_name)]
                row[e["status"]] += 1
                granted = e["status"] in ("granted", "limited")
                row["silent"] += granted and e.get("via") in ("group", "foreground")
                row["settings"] += e.get("via") == "settings"
                row["temporary"] += granted and e.get("lasts") == "session"
                row["provisional"] += bool(e.get("provisional"))
            elif kind == "permission.reset":
                rows[(e["permission"], os_name)]["reset"] += 1
    return [
        {
            "permission": p,
            "os": os_name,
            "asked": c["asked"],
            "dialogs": c["dialogs"],
            **{r: c[r] for r in RESULTS},
            **{h: c[h] for h in HOW},
        }
        for (p, os_name), c in sorted(rows.items())
    ]


def consent_rates(
    devices: Iterable[Device], manifests: dict[str, Manifest] | None = None
) -> list[dict[str, Any]]:
    """Per app (as the run names it): how many agreed to the policy, and how many of those
    ticked each optional purpose at first (and later withdrew it).

    The optional purposes are the manifest's when it is known, else those the devices'
    policy screens offered (ticked or not)."""
    shown: Counter = Counter()
    agreed: Counter = Counter()
    granted: Counter = Counter()
    withdrawn: Counter = Counter()
    offered: dict[str, list[str]] = defaultdict(list)
    app_ids: dict[str, str] = {}
    for device in devices:
        name = device.app_name
        app_ids.setdefault(name, device.app)
        first = next(
            (e for e in device.events if e["type"] in ("policy.agreed", "policy.declined")), None
        )
        if first is None:
            continue
        shown[name] += 1
        if first["type"] == "policy.agreed":
            agreed[name] += 1
            for p in first.get("granted", []):
                granted[(name, p)] += 1
            for p in [*first.get("granted", []), *first.get("refused", [])]:
                if p not in offered[name]:
                    offered[name].append(p)
        for e in device.events:
            if e["type"] == "consent.withdrawn":
                for p in e.get("purposes", []):
                    withdrawn[(name, p)] += 1
    rows = []
    for name in sorted(shown):
        app_id = app_ids[name]
        manifest = (manifests or {}).get(app_id)
        purposes = manifest.optional_purposes() if manifest else sorted(offered[name])
        rows.append(
            {
                "app": name,
                "app_id": app_id,
                "purpose": "(the policy)",
                "basic": True,
                "rate": agreed[name] / shown[name],
                "granted": agreed[name],
                "of": shown[name],
                "withdrawn": 0,
            }
        )
        for pid in purposes:
            rows.append(
                {
                    "app": name,
                    "app_id": app_id,
                    "purpose": pid,
                    "basic": False,
                    "rate": granted[(name, pid)] / (agreed[name] or 1),
                    "granted": granted[(name, pid)],
                    "of": agreed[name],
                    "withdrawn": withdrawn[(name, pid)],
                }
            )
    return rows


def signature(message: str) -> str:
    """A finding's message with its numbers blanked, so that one misbehaviour reads the
    same on every device and in every run ("3 reads of … within a minute" and "5 reads")."""
    return re.sub(r"\d+(?:\.\d+)?", "#", message)
