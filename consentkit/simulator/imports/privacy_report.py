"""The iOS App Privacy Report (iOS 15+, Settings > Privacy & Security > App Privacy Report >
Save App Activity): newline-delimited JSON, one record per line.

``access`` records say an app (``accessor.identifier``, a bundle id) used a resource
(``category``) from ``intervalBegin`` to ``intervalEnd``, paired by ``identifier`` (a record
of another kind is an access at one moment).
``networkActivity`` records say an app (``bundleID``) contacted ``domain`` ``hits`` times
between ``firstTimeStamp`` and ``timeStamp``; ``initiatedType`` ``NonAppInitiated`` is a
connection the user started (a web page opened in the app), not the app's own traffic.
The report shows neither what was read nor what was sent, nor the consent the user gave.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ...policy.domains import normalize
from .common import (
    EventBuilder,
    EvidenceError,
    EvidenceFile,
    Imported,
    parse_time,
    source_table,
)

__all__ = ["import_privacy_report"]

FORMAT = "ios-privacy-report"
KNOWN = ("access", "networkActivity")


def _record(number: int, line: str) -> dict[str, Any] | None:
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except RecursionError:
        raise EvidenceError(number, "JSON nested too deeply for a report record") from None
    except json.JSONDecodeError as exc:
        first = number == 1 and line.lstrip()[:1] == "{"
        hint = " (a HAR file? use --format har)" if first else ""
        raise EvidenceError(number, f"not valid JSON ({exc.msg}){hint}") from None
    except ValueError as exc:  # e.g. an integer of 5,000 digits
        raise EvidenceError(number, f"not valid JSON ({exc})") from None
    if not isinstance(record, dict):
        raise EvidenceError(number, "a record is a JSON object")
    return record


def _app_of(number: int, record: dict[str, Any]) -> str:
    """The bundle id a record is about; a record without one is not Apple's."""
    if record.get("type") == "access":
        accessor = record.get("accessor")
        app = accessor.get("identifier") if isinstance(accessor, dict) else None
        where = "accessor.identifier"
    else:
        app, where = record.get("bundleID"), "bundleID"
    if not isinstance(app, str) or not app:
        raise EvidenceError(number, f"{record['type']} record without {where!r}")
    return app


def _require(number: int, record: dict[str, Any], *keys: str) -> None:
    for key in keys:
        value = record.get(key)
        if not isinstance(value, str) or not value:
            raise EvidenceError(number, f"{record['type']} record without {key!r}")


def _time(number: int, record: dict[str, Any], key: str) -> datetime:
    t = parse_time(record.get(key))
    if t is None:
        raise EvidenceError(number, f"{key!r} is not an ISO-8601 time: {record.get(key)!r}")
    return t


def _hits(value: Any) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return value if ok else None


def _records(evidence: EvidenceFile) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in evidence.lines():
        record = _record(number, line)
        if record is not None:
            yield number, record


def import_privacy_report(
    evidence: EvidenceFile, *, app_id: str, bundle_id: str | None, device: str | None
) -> Imported:
    # Read twice, never held whole (a week of a busy phone runs to a million lines): first
    # which apps the report holds and where their accesses end, then the chosen app's events.
    apps: Counter = Counter()
    ends: dict[tuple[str, str], datetime] = {}
    records = unknown = 0
    first: tuple[int, dict[str, Any]] | None = None
    for number, r in _records(evidence):
        records += 1
        first = first or (number, r)
        if r.get("type") not in KNOWN:
            unknown += 1
            continue
        app = _app_of(number, r)
        apps[app] += 1
        ident = r.get("identifier")
        paired = isinstance(ident, str) and ident and r.get("kind") == "intervalEnd"
        if r["type"] == "access" and paired and bundle_id in (None, app):
            ends[(app, ident)] = _time(number, r, "timeStamp")
    if first is None:
        raise EvidenceError(0, "the file is empty: an App Privacy Report has a record per line")
    if not apps:
        if "log" in first[1] and isinstance(first[1]["log"], dict):
            raise EvidenceError(
                1, "this is a HAR file, not an App Privacy Report; use --format har"
            )
        raise EvidenceError(
            first[0],
            "no access or networkActivity record: not an App Privacy Report (iOS 15 or later)",
        )
    listed = ", ".join(f"{a} ({n})" for a, n in apps.most_common(10))
    if bundle_id is None:
        if len(apps) != 1:
            raise EvidenceError(
                0, f"the report holds several apps; name one with --bundle-id: {listed}"
            )
        bundle_id = next(iter(apps))
    if bundle_id not in apps:
        raise EvidenceError(0, f"the report holds no record of {bundle_id}; it holds {listed}")
    table = source_table()["privacy_report"]
    builder = EventBuilder(device or f"{FORMAT}:{bundle_id}", app_id, FORMAT)
    for number, r in _records(evidence):
        if r.get("type") not in KNOWN or _app_of(number, r) != bundle_id:
            continue
        ref = f"{evidence.name} line {number}"
        if r["type"] == "access":
            _require(number, r, "category", "kind")
            t = _time(number, r, "timeStamp")
            if r["kind"] == "intervalEnd":
                continue  # the end of an access: its begin carries it as `until`
            resource = r["category"]
            mapped = table.get(resource, {"api": f"{resource}.access", "category": None})
            fields: dict[str, Any] = {
                "api": mapped["api"],
                "category": mapped["category"],
                "resource": resource,
                "status": "granted",
                "ref": ref,
            }
            if mapped.get("detail"):
                fields["detail"] = mapped["detail"]
            ident = r.get("identifier")
            until = ends.get((bundle_id, ident)) if isinstance(ident, str) and ident else None
            if until is not None and until >= t:
                fields["until"] = until.isoformat(timespec="milliseconds")
            builder.add(t, "api.read", **fields)
        else:
            _require(number, r, "domain")
            t = parse_time(r.get("firstTimeStamp")) or _time(number, r, "timeStamp")
            domain = normalize(r["domain"])
            if not domain:
                raise EvidenceError(number, f"networkActivity record with domain {r['domain']!r}")
            last = parse_time(r.get("timeStamp"))
            builder.add(
                t,
                "net.connect",
                domain=domain,
                hits=_hits(r.get("hits")),
                initiated="non-app" if r.get("initiatedType") == "NonAppInitiated" else "app",
                # Apple's domainType 1: a domain it identified as possibly tracking users
                apple_tracker=r.get("domainType") == 1,
                owner=r.get("domainOwner") if isinstance(r.get("domainOwner"), str) else None,
                context=r.get("context") if isinstance(r.get("context"), str) else None,
                last=last.isoformat(timespec="milliseconds") if last else None,
                ref=ref,
            )
    other = {app: n for app, n in apps.items() if app != bundle_id}
    header = {
        "format": FORMAT,
        "file": evidence.name,
        "bundle": bundle_id,
        "shows": list(source_table()["sources"][FORMAT]["shows"]),
        "records": records,
        "skipped": sum(other.values()),
    }
    return Imported(builder.finish(header), records, apps[bundle_id], other, unknown)
