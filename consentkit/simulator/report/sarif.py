"""The findings as SARIF 2.1.0, the format code-scanning UIs (GitHub, GitLab, Azure) read.

One result per finding. Its location is the app's manifest, at the entry the breaking
event names (its permission, its data category, or its feature), because that file is in
the repository and is what a reviewer can change; the trace lines of the event and its
evidence are related locations. ``partialFingerprints`` identify a misbehaviour across
runs, so a code-scanning UI does not open the same alert again for every run.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ... import __version__
from ...policy.located import line_index
from .stats import signature

__all__ = ["LEVELS", "SCHEMA", "to_sarif"]

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
# rule severity -> SARIF level, and the score GitHub's code scanning sorts security alerts by
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SECURITY_SEVERITY = {"critical": "9.0", "high": "7.0", "medium": "5.0", "low": "3.0"}
ROOT = "SRCROOT"


def _uri(path: str | Path) -> str:
    """Relative to the working directory (a CI checkout's root) where it can be."""
    absolute = Path(path).resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return absolute.as_uri()


def _location(uri: str, line: int | None) -> dict[str, Any]:
    artifact: dict[str, Any] = {"uri": uri}
    if not uri.startswith("file:"):
        artifact["uriBaseId"] = ROOT
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if line:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


@cache
def _manifest_lines(path: str) -> dict[tuple, int]:
    try:
        return line_index(yaml.compose(Path(path).read_text("utf-8")))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}


def _manifest_line(path: str, event: dict[str, Any] | None) -> int | None:
    """The line of the manifest entry the event is about, else of the app itself."""
    lines = _manifest_lines(path)
    event = event or {}
    candidates = [
        ("permissions", event.get("permission")),
        *(("permissions", p) for p in event.get("permissions") or []),
        ("data_categories", event.get("category")),
        *(("data_categories", c) for c in event.get("categories") or []),
        ("features", event.get("feature")),
    ]
    for parts in candidates:
        if parts[1] and parts in lines:
            return lines[parts]
    return lines.get(("app",))


def _fingerprint(finding: dict[str, Any]) -> str:
    key = "\0".join((finding["app_name"], finding["rule"], signature(finding["message"])))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def to_sarif(
    report: dict[str, Any],
    *,
    trace: str | Path | None,
    lines: dict[tuple[str, int], int],
    events: dict[tuple[str, int], dict[str, Any]],
    manifests: dict[str, str | Path],
) -> dict[str, Any]:
    """The SARIF log of a report (``build``'s dict).

    ``trace`` is the JSONL file the findings were read from and ``lines`` the line of each
    ``(device, seq)`` in it; ``events`` the events themselves; ``manifests`` the manifest
    file of each app id."""
    rules = report["rules"]
    index = {r["id"]: n for n, r in enumerate(rules)}
    trace_uri = _uri(trace) if trace else None
    manifest_uris = {app: _uri(path) for app, path in manifests.items()}
    rows = {
        (t["device"], row["seq"]): row for t in report.get("timelines", []) for row in t["shown"]
    }
    results = []
    for f in report["findings"]:
        event = events.get((f["device"], f["seq"])) if f["seq"] is not None else None
        manifest = manifests.get(f["app"])
        locations = []
        if manifest is not None:
            location = _location(manifest_uris[f["app"]], _manifest_line(str(manifest), event))
            location["logicalLocations"] = [
                {"name": f["device"], "fullyQualifiedName": f"{f['app_name']}/{f['device']}"}
            ]
            locations.append(location)
        related = []
        if trace_uri:
            for n, seq in enumerate(f["evidence"]):
                row = rows.get((f["device"], seq), {})
                text = " ".join(
                    x for x in (row.get("type"), row.get("what"), row.get("detail")) if x
                )
                related.append(
                    {
                        "id": n,
                        **_location(trace_uri, lines.get((f["device"], seq))),
                        "message": {"text": f"seq {seq}: {text or 'event'}"},
                    }
                )
            if not locations:
                locations.append(_location(trace_uri, lines.get((f["device"], f["seq"]))))
        result: dict[str, Any] = {
            "ruleId": f["rule"],
            "ruleIndex": index[f["rule"]],
            "level": LEVELS.get(f["severity"], "warning"),
            "message": {"text": f"{f['app_name']} on {f['device']}: {f['message']}"},
            "locations": locations,
            "partialFingerprints": {"consentkitFinding/v1": _fingerprint(f)},
            "properties": {
                "app": f["app_name"],
                "app_id": f["app"],
                "device": f["device"],
                "seq": f["seq"],
                "evidence": f["evidence"],
                "severity": f["severity"],
            },
        }
        if related:
            result["relatedLocations"] = related
        results.append(result)
    errors = [
        {
            "level": "error",
            "message": {"text": f"{device['device']}: {line}"},
            "descriptor": {"id": "device-error"},
        }
        for device in report["errors"]
        for line in device["errors"]
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "consentkit",
                "version": __version__,
                "rules": [
                    {
                        "id": r["id"],
                        "name": r["id"].title().replace("-", ""),
                        "shortDescription": {"text": r["title"]},
                        "defaultConfiguration": {"level": LEVELS.get(r["severity"], "warning")},
                        "properties": {
                            "severity": r["severity"],
                            "security-severity": SECURITY_SEVERITY.get(r["severity"], "5.0"),
                            "tags": ["privacy", "consent"],
                        },
                    }
                    for r in rules
                ],
            }
        },
        "originalUriBaseIds": {ROOT: {"uri": Path.cwd().resolve().as_uri().rstrip("/") + "/"}},
        "invocations": [
            {
                "executionSuccessful": not report["errors"],
                "toolExecutionNotifications": errors,
            }
        ],
        "results": results,
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
