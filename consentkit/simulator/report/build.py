"""The report of a run, as data: what QA checks and what product teams read.

``build`` turns devices, findings and manifests into one JSON-able dict; ``html.py``
renders the same dict as a self-contained page, and ``junit.py`` / ``sarif.py`` as the
files CI systems read.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from ...policy import Manifest
from ..rules import Finding, catalogue, places_of
from ..run import DeviceResult
from .stats import consent_rates, funnel, os_label

__all__ = ["build", "verdict"]

TIMELINE_EVENTS = 400  # per device; a finding's own events are shown beyond that too
ERROR_DETAILS = 100  # devices whose tracebacks the report keeps


def verdict(findings: Counter, expects: str | None) -> str:
    """``pass``/``fail`` for an app that should break no rule; ``caught``/``missed`` for
    one built to break ``expects``: caught when that rule fired, whatever else did."""
    if expects is None:
        return "pass" if not findings else "fail"
    return "caught" if findings.get(expects) else "missed"


def _what(e: dict[str, Any]) -> str:
    if e["type"] == "net.connect":
        return str(e.get("domain", ""))
    if e["type"] == "evidence.imported":
        return f"{e.get('format', '')} {e.get('file', '')}".strip()
    if e.get("api") and e.get("detail"):
        return f"{e['api']} ({e['detail']})"  # which identifier, which file
    return str(
        e.get("api")  # reads and uploads name their feature too: say what they were
        or e.get("endpoint")
        or e.get("feature")
        or e.get("permission")
        or ", ".join(e.get("permissions", []))
        or e.get("version")
        or e.get("step")
        or ""
    )


def _detail(e: dict[str, Any]) -> str:
    if e["type"] == "sim.error":
        return f"{e.get('exception', 'error')}: {e.get('error', '')}"
    return str(
        e.get("status")
        or e.get("category")
        or ", ".join(e.get("categories") or [])
        or e.get("outcome")
        or e.get("reason")
        or ""
    )


def _offset(start: datetime, t: str) -> str:
    seconds = max(0, round((datetime.fromisoformat(t) - start).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"+{hours}:{minutes:02d}:{secs:02d}"
    return f"+{days}d {clock[1:]}" if days else clock


def _timeline(device: DeviceResult, findings: list[dict[str, Any]]) -> dict[str, Any]:
    """The device's events, each with the findings it breaks and those it is evidence of."""
    broken: dict[int, list[dict[str, Any]]] = defaultdict(list)
    evidence: dict[int, list[str]] = defaultdict(list)
    for f in findings:
        if f["seq"] is not None:
            broken[f["seq"]].append(f)
        for seq in f["evidence"]:
            evidence[seq].append(f["id"])
    start = datetime.fromisoformat(device.events[0]["t"]) if device.events else None
    rows = []
    for n, e in enumerate(device.events):
        if n >= TIMELINE_EVENTS and e["seq"] not in evidence and e["seq"] not in broken:
            continue
        rows.append(
            {
                "seq": e["seq"],
                "t": e["t"],
                "offset": _offset(start, e["t"]),
                "type": e["type"],
                "source": e.get("source", ""),
                "what": _what(e),
                "detail": _detail(e),
                "ref": e.get("ref", ""),  # where in the original evidence (imported traces)
                "rules": [f["rule"] for f in broken.get(e["seq"], [])],
                "breaks": [f["id"] for f in broken.get(e["seq"], [])],
                "evidence_of": evidence.get(e["seq"], []),
            }
        )
    return {
        "device": device.device,
        "app": device.app_name,
        "app_id": device.app,
        "persona": device.persona,
        "os": os_label(device),
        "findings": [f["id"] for f in findings],
        "errors": len(device.errors),
        "events": len(device.events),
        "shown": rows,
    }


def build(
    results: list[DeviceResult],
    findings: list[Finding],
    manifests: dict[str, Manifest],
    meta: dict[str, Any],
    not_judgeable: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The report; ``not_judgeable`` lists, for devices whose evidence came from a real
    phone, the rules that evidence cannot judge (``rules.not_judgeable``)."""
    by_app_name: dict[str, list[DeviceResult]] = defaultdict(list)
    for r in results:
        by_app_name[r.app_name].append(r)
    device_of = {r.device: r for r in results}
    listed = []
    refs = places_of(e for r in results for e in r.events)
    for n, f in enumerate(findings):
        owner = device_of.get(f.device)
        listed.append(
            {
                "id": f"f{n + 1}",
                **f.as_dict(),
                "app_name": owner.app_name if owner else f.app,
                # where the evidence sits in the file it was imported from (report line,
                # HAR entry); empty for a simulation's own trace
                "evidence_refs": f.places(refs),
            }
        )
    per_app: dict[str, Counter] = defaultdict(Counter)
    per_device: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in listed:
        per_app[f["app_name"]][f["rule"]] += 1
        per_device[f["device"]].append(f)
    apps = []
    for name, devices in by_app_name.items():
        expects = devices[0].expects
        counts = per_app[name]
        apps.append(
            {
                "name": name,
                "app_id": devices[0].app,
                "devices": len(devices),
                "expects": expects,
                "findings": dict(sorted(counts.items())),
                "extra": {r: n for r, n in sorted(counts.items()) if expects and r != expects},
                "verdict": verdict(counts, expects),
                "personas": dict(Counter(d.persona for d in devices)),
                "os": dict(Counter(os_label(d) for d in devices)),
                "errors": sum(len(d.errors) for d in devices),
                "errored_devices": sum(1 for d in devices if d.errors),
                "seconds": round(sum(d.seconds for d in devices), 3),
            }
        )
    rules = []
    counts = Counter(f["rule"] for f in listed)
    # rules no device could judge: its evidence (a real phone's) cannot show what they need
    unjudged_by = Counter(rule for d in not_judgeable or [] for rule in d["rules"])
    for rule in catalogue():
        mine = [f for f in listed if f["rule"] == rule.id]
        rules.append(
            {
                "id": rule.id,
                "severity": rule.severity,
                "title": rule.title,
                "count": counts[rule.id],
                "judged": bool(mine) or unjudged_by[rule.id] < len(results),
                "by_app": dict(sorted(Counter(f["app_name"] for f in mine).items())),
                "examples": mine[:5],
            }
        )
    shown = [r for r in results if r.device in per_device or r.errors]
    if not shown and results:
        shown = [results[0]]  # a clean run still shows what one device went through
    timelines = [_timeline(r, per_device.get(r.device, [])) for r in shown]
    errored = [r for r in results if r.errors]
    severities = Counter(f["severity"] for f in listed)
    return {
        "meta": meta,
        "summary": {
            "devices": len(results),
            "apps": len(by_app_name),
            "devices_per_app": {name: len(d) for name, d in by_app_name.items()},
            "events": sum(len(r.events) for r in results),
            "findings": len(listed),
            "by_severity": dict(severities),
            "errors": sum(len(r.errors) for r in results),
            "errored_devices": len(errored),
            # A step that could not run is no pass: the scenario did not happen as written.
            "passed": all(a["verdict"] in ("pass", "caught") for a in apps) and not errored,
        },
        "apps": apps,
        "rules": rules,
        "findings": listed,
        "not_judgeable": not_judgeable or [],
        "funnel": funnel(results),
        "consent_rates": consent_rates(results, manifests),
        "timeline": _first_timeline(timelines),
        "timelines": timelines,
        "errors": [
            {
                "device": r.device,
                "app": r.app_name,
                "errors": [str(e) for e in r.errors],
                "details": [e.as_dict() for e in r.errors] if n < ERROR_DETAILS else [],
            }
            for n, r in enumerate(errored)
        ],
    }


def _first_timeline(timelines: list[dict[str, Any]]) -> dict[str, Any]:
    """The first device's timeline in the shape of report format 1 (``timeline``)."""
    if not timelines:
        return {"device": None, "persona": None, "os": None, "events": []}
    first = timelines[0]
    return {
        "device": first["device"],
        "persona": first["persona"],
        "os": first["os"],
        "events": [
            {
                "seq": row["seq"],
                "t": row["t"],
                "type": row["type"],
                "source": row["source"],
                "what": row["what"],
                "detail": row["detail"],
                "rules": row["rules"],
            }
            for row in first["shown"]
        ],
    }
