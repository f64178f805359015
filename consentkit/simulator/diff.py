"""Two runs compared: the question a release manager asks of a new build.

"Did 3.3 start reading the IMEI at launch?" is a finding that appeared; "do fewer users
grant location on Android 14 now?" is a change in the permission funnel; "do fewer tick
the optional analytics purpose?" is a change in a consent rate. Each side is a trace
(audited here against the manifests) or a ``report.json``; fleets may differ in size, so
findings count devices against the app's fleet and the funnel counts per device.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..policy import Manifest
from .report.stats import RESULTS, consent_rates, funnel, os_label, signature
from .rules import audit
from .trace_io import TraceError, devices_of, read_trace

__all__ = ["DiffInputError", "Side", "diff", "load_side", "render_text"]

CHANGE = 0.005  # rates closer than half a percentage point are the same


class DiffInputError(ValueError):
    """A side of the diff cannot be read: bad input, named by file."""


@dataclass
class Side:
    """What the diff needs of one run."""

    source: str
    devices: Counter = field(default_factory=Counter)  # per app id
    os_devices: Counter = field(default_factory=Counter)  # per "android 14"
    findings: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)
    messages: dict[tuple[str, str, str], str] = field(default_factory=dict)
    severity: dict[str, str] = field(default_factory=dict)
    funnel: list[dict[str, Any]] = field(default_factory=list)
    consent: list[dict[str, Any]] = field(default_factory=list)

    def add_finding(self, app: str, rule: str, severity: str, device: str, message: str) -> None:
        key = (app, rule, signature(message))
        self.findings.setdefault(key, set()).add(device)
        self.messages.setdefault(key, message)
        self.severity[rule] = severity


def load_side(path: str | Path, manifests: dict[str, Manifest]) -> Side:
    """A ``report.json`` or a JSONL trace (which needs the apps' manifests)."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DiffInputError(f"{path}: cannot read: {exc}") from None
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict) and not {"seq", "type"} & set(whole):  # one event is a trace
        if not {"summary", "findings", "funnel", "consent_rates", "apps"} <= set(whole):
            raise DiffInputError(
                f"{path}: a JSON object, but not a consentkit report.json (nor a trace)"
            )
        return _from_report(str(path), whole)
    if not manifests:
        raise DiffInputError(f"{path}: auditing a trace needs the apps' manifests (--manifest)")
    try:
        events = read_trace(path)
    except TraceError as exc:
        raise DiffInputError(f"{path}: {exc}") from None
    return _from_trace(str(path), events, manifests)


def _from_trace(source: str, events: list[dict[str, Any]], manifests: dict[str, Manifest]) -> Side:
    side = Side(source)
    devices = [d for d in devices_of(events) if d.app in manifests]
    for d in devices:
        side.devices[d.app] += 1
        side.os_devices[os_label(d)] += 1
    for f in audit(events, manifests):
        side.add_finding(f.app, f.rule, f.severity, f.device, f.message)
    side.funnel = funnel(devices)
    side.consent = consent_rates(devices, manifests)
    return side


def _from_report(source: str, report: dict[str, Any]) -> Side:
    side = Side(source)
    for app in report["apps"]:
        side.devices[app["app_id"]] += app["devices"]
        for os_name, n in app.get("os", {}).items():
            side.os_devices[os_name] += n
    for f in report["findings"]:
        side.add_finding(f["app"], f["rule"], f["severity"], f["device"], f["message"])
    side.funnel = report["funnel"]
    side.consent = report["consent_rates"]
    return side


def _share(n: int, of: int) -> float:
    return n / of if of else 0.0


def _findings(old: Side, new: Side) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"appeared": [], "disappeared": [], "persisting": []}
    for key in sorted(set(old.findings) | set(new.findings)):
        app, rule, _ = key
        was, now = old.findings.get(key, set()), new.findings.get(key, set())
        row = {
            "app": app,
            "rule": rule,
            "severity": new.severity.get(rule) or old.severity.get(rule),
            "message": new.messages.get(key) or old.messages.get(key),
            "old_devices": len(was),
            "old_of": old.devices[app],
            "new_devices": len(now),
            "new_of": new.devices[app],
        }
        kind = "persisting" if was and now else ("appeared" if now else "disappeared")
        out[kind].append(row)
    return out


def _funnel(old: Side, new: Side) -> list[dict[str, Any]]:
    """Per permission and OS: requests per device and the share granted, where it moved."""

    def figures(side: Side) -> dict[tuple[str, str], dict[str, float]]:
        out = {}
        for row in side.funnel:
            answered = sum(row[r] for r in RESULTS)
            out[(row["permission"], row["os"])] = {
                "asked_per_device": _share(row["asked"], side.os_devices[row["os"]]),
                "granted_share": _share(row["granted"] + row["limited"], answered),
                "blocked_share": _share(row["blocked"], answered),
                "asked": row["asked"],
            }
        return out

    before, after = figures(old), figures(new)
    rows = []
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key), after.get(key)
        if (
            was
            and now
            and all(
                abs(was[k] - now[k]) < CHANGE
                for k in ("asked_per_device", "granted_share", "blocked_share")
            )
        ):
            continue
        rows.append({"permission": key[0], "os": key[1], "old": was, "new": now})
    return rows


def _consent(old: Side, new: Side) -> list[dict[str, Any]]:
    """Per app and purpose (apps sharing a manifest counted together), where it moved."""

    def figures(side: Side) -> dict[tuple[str, str], dict[str, float]]:
        sums: dict[tuple[str, str], Counter] = defaultdict(Counter)
        for row in side.consent:
            key = (row.get("app_id", row["app"]), row["purpose"])
            sums[key]["granted"] += row["granted"]
            sums[key]["of"] += row["of"]
            sums[key]["withdrawn"] += row.get("withdrawn", 0)
        return {key: {**c, "rate": _share(c["granted"], c["of"])} for key, c in sums.items()}

    before, after = figures(old), figures(new)
    rows = []
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key), after.get(key)
        if was and now and abs(was["rate"] - now["rate"]) < CHANGE:
            continue
        rows.append({"app": key[0], "purpose": key[1], "old": was, "new": now})
    return rows


def diff(old: Side, new: Side) -> dict[str, Any]:
    """What changed from ``old`` to ``new``, as data (``--format json``)."""
    return {
        "old": {"source": old.source, "devices": dict(old.devices)},
        "new": {"source": new.source, "devices": dict(new.devices)},
        "findings": _findings(old, new),
        "funnel": _funnel(old, new),
        "consent_rates": _consent(old, new),
    }


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _points(was: float, now: float) -> str:
    delta = round((now - was) * 100)
    return f"{'+' if delta > 0 else '−' if delta < 0 else '±'}{abs(delta)} pts"


def render_text(d: dict[str, Any]) -> str:
    """The diff for people: appeared and disappeared findings first."""
    f = d["findings"]
    lines = [
        f"{d['old']['source']} → {d['new']['source']}",
        f"findings: {len(f['appeared'])} appeared, {len(f['disappeared'])} disappeared, "
        f"{len(f['persisting'])} in both",
    ]
    for sign, kind in (("+", "appeared"), ("-", "disappeared")):
        for row in f[kind]:
            lines.append(
                f"  {sign} {row['rule']} [{row['severity']}] {row['app']}: {row['message']} — "
                f"{row['new_devices']} of {row['new_of']} devices "
                f"(was {row['old_devices']} of {row['old_of']})"
            )
    for row in f["persisting"]:
        was = _share(row["old_devices"], row["old_of"])
        now = _share(row["new_devices"], row["new_of"])
        if abs(was - now) >= CHANGE:
            lines.append(
                f"  ~ {row['rule']} {row['app']}: {row['message']} — on {_pct(was)} → "
                f"{_pct(now)} of devices"
            )
    lines.append(f"permission funnel: {len(d['funnel'])} changes (per permission and OS)")
    for row in d["funnel"]:
        where = f"  {row['permission']} · {row['os']}:"
        was, now = row["old"], row["new"]
        if was is None:
            lines.append(
                f"{where} new — asked {now['asked_per_device']:.2f} per device, "
                f"granted {_pct(now['granted_share'])}"
            )
        elif now is None:
            lines.append(f"{where} no longer asked (was {was['asked_per_device']:.2f} per device)")
        else:
            granted = _points(was["granted_share"], now["granted_share"])
            lines.append(
                f"{where} asked {was['asked_per_device']:.2f} → {now['asked_per_device']:.2f} "
                f"per device, granted {_pct(was['granted_share'])} → "
                f"{_pct(now['granted_share'])} ({granted}), "
                f"blocked {_pct(was['blocked_share'])} → {_pct(now['blocked_share'])}"
            )
    lines.append(f"consent rates: {len(d['consent_rates'])} changes")
    for row in d["consent_rates"]:
        where = f"  {row['app']} · {row['purpose']}:"
        was, now = row["old"], row["new"]
        if was is None:
            lines.append(f"{where} new — {_pct(now['rate'])} ({now['granted']}/{now['of']})")
        elif now is None:
            lines.append(f"{where} gone (was {_pct(was['rate'])})")
        else:
            lines.append(
                f"{where} {_pct(was['rate'])} ({was['granted']}/{was['of']}) → "
                f"{_pct(now['rate'])} ({now['granted']}/{now['of']}) "
                f"({_points(was['rate'], now['rate'])})"
            )
    return "\n".join(lines)
