"""The report of a run, as data: what QA checks and what product teams read.

``build`` turns devices, findings and manifests into one JSON-able dict; ``html.py``
renders the same dict as a self-contained page.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from ...policy import Manifest
from ..rules import Finding, catalogue
from ..run import DeviceResult

RESULTS = ("granted", "limited", "denied", "blocked")
TIMELINE_TYPES_SHOWN = 400


def _verdict(app_findings: Counter, expects: str | None) -> str:
    if expects is None:
        return "pass" if not app_findings else "fail"
    return "caught" if set(app_findings) == {expects} else "missed"


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


def _os_label(device: DeviceResult) -> str:
    return device.os_label or f"{device.os} {device.os_version}"


def _funnel(results: list[DeviceResult]) -> list[dict[str, Any]]:
    """Per permission and OS (release and device profile): how many requests, what the OS
    showed, what they ended in, and how the OS got there."""
    rows: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for device in results:
        os_name = _os_label(device)
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


def _consent_rates(results: list[DeviceResult], manifests: dict[str, Manifest]) -> list[dict]:
    shown: Counter = Counter()
    agreed: Counter = Counter()
    granted: Counter = Counter()
    withdrawn: Counter = Counter()
    for device in results:
        first = next(
            (e for e in device.events if e["type"] in ("policy.agreed", "policy.declined")), None
        )
        if first is None:
            continue
        shown[device.app] += 1
        if first["type"] == "policy.agreed":
            agreed[device.app] += 1
            for p in first.get("granted", []):
                granted[(device.app, p)] += 1
        for e in device.events:
            if e["type"] == "consent.withdrawn":
                for p in e.get("purposes", []):
                    withdrawn[(device.app, p)] += 1
    rows = []
    for app, manifest in manifests.items():
        if not shown[app]:
            continue
        rows.append(
            {
                "app": app,
                "purpose": "(the policy)",
                "basic": True,
                "rate": agreed[app] / shown[app],
                "granted": agreed[app],
                "of": shown[app],
                "withdrawn": 0,
            }
        )
        for pid in manifest.optional_purposes():
            of = agreed[app] or 1
            rows.append(
                {
                    "app": app,
                    "purpose": pid,
                    "basic": False,
                    "rate": granted[(app, pid)] / of,
                    "granted": granted[(app, pid)],
                    "of": agreed[app],
                    "withdrawn": withdrawn[(app, pid)],
                }
            )
    return rows


def _timeline(device: DeviceResult, findings: list[Finding]) -> list[dict[str, Any]]:
    flagged = defaultdict(list)
    for f in findings:
        if f.device == device.device and f.seq is not None:
            flagged[f.seq].append(f.rule)
    rows = []
    for e in device.events[:TIMELINE_TYPES_SHOWN]:
        what = (
            e.get("feature")
            or e.get("api")
            or e.get("permission")
            or ", ".join(e.get("permissions", []))
            or e.get("endpoint")
            or e.get("version")
            or ""
        )
        detail = e.get("status") or e.get("category") or e.get("outcome") or e.get("reason") or ""
        rows.append(
            {
                "seq": e["seq"],
                "t": e["t"],
                "type": e["type"],
                "source": e.get("source", ""),
                "what": str(what),
                "detail": str(detail),
                "rules": flagged.get(e["seq"], []),
            }
        )
    return rows


def build(
    results: list[DeviceResult],
    findings: list[Finding],
    manifests: dict[str, Manifest],
    meta: dict[str, Any],
    timeline_device: str | None = None,
) -> dict[str, Any]:
    by_app_name: dict[str, list[DeviceResult]] = defaultdict(list)
    for r in results:
        by_app_name[r.app_name].append(r)
    device_app = {r.device: r.app_name for r in results}
    per_app_findings: dict[str, Counter] = defaultdict(Counter)
    for f in findings:
        per_app_findings[device_app.get(f.device, f.app)][f.rule] += 1
    apps = []
    for name, devices in by_app_name.items():
        expects = devices[0].expects
        counts = per_app_findings[name]
        apps.append(
            {
                "name": name,
                "app_id": devices[0].app,
                "devices": len(devices),
                "expects": expects,
                "findings": dict(sorted(counts.items())),
                "verdict": _verdict(counts, expects),
                "personas": dict(Counter(d.persona for d in devices)),
                "os": dict(Counter(_os_label(d) for d in devices)),
                "errors": sum(len(d.errors) for d in devices),
            }
        )
    rules = []
    counts = Counter(f.rule for f in findings)
    for rule in catalogue():
        examples = [f.as_dict() for f in findings if f.rule == rule.id][:5]
        rules.append(
            {
                "id": rule.id,
                "severity": rule.severity,
                "title": rule.title,
                "count": counts[rule.id],
                "examples": examples,
            }
        )
    chosen = next((r for r in results if r.device == timeline_device), None)
    if chosen is None:
        flagged = {f.device for f in findings}
        chosen = next((r for r in results if r.device in flagged), results[0] if results else None)
    severities = Counter(f.severity for f in findings)
    return {
        "meta": meta,
        "summary": {
            "devices": len(results),
            "apps": len(by_app_name),
            "events": sum(len(r.events) for r in results),
            "findings": len(findings),
            "by_severity": dict(severities),
            "errors": sum(len(r.errors) for r in results),
            # A step that could not run is no pass: the scenario did not happen as written.
            "passed": all(a["verdict"] in ("pass", "caught") for a in apps)
            and not any(r.errors for r in results),
        },
        "apps": apps,
        "rules": rules,
        "findings": [f.as_dict() for f in findings],
        "funnel": _funnel(results),
        "consent_rates": _consent_rates(results, manifests),
        "timeline": {
            "device": chosen.device if chosen else None,
            "persona": chosen.persona if chosen else None,
            "os": _os_label(chosen) if chosen else None,
            "events": _timeline(chosen, findings) if chosen else [],
        },
        "errors": [{"device": r.device, "errors": r.errors} for r in results if r.errors][:50],
    }
