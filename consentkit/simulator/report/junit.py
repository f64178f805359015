"""The report as JUnit XML: one test suite per app, one test case per rule.

CI systems (GitLab, Jenkins, Azure DevOps, GitHub test reporters) read this format, so a
rule an app breaks shows up as a failed test with its evidence, and a device that could
not finish its scenario as a test in error with its traceback. The shape follows the
Apache Ant JUnit schema (the tests read it back with junitparser).
"""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

__all__ = ["to_junit"]

SHOWN_PER_CASE = 50  # findings written out in full in one failure
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    """XML 1.0 cannot hold most control characters, escaped or not."""
    return _NOT_XML.sub("?", value)


def _timestamp(generated: str | None) -> str:
    """``2026-03-02T01:00:00`` in UTC: the schema's pattern has no zone."""
    moment = datetime.fromisoformat(generated) if generated else datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _evidence(finding: dict[str, Any], rows: dict[tuple[str, int], dict[str, Any]]) -> str:
    """A finding and the events that prove it, one line each."""
    where = f"seq {finding['seq']}" if finding["seq"] is not None else "end of trace"
    lines = [f"{finding['device']} {where}: {finding['message']}"]
    for seq in finding["evidence"]:
        row = rows.get((finding["device"], seq))
        if row is None:
            lines.append(f"    seq {seq}")
            continue
        what = " ".join(x for x in (row["type"], row["what"], row["detail"]) if x)
        place = f" ({row['ref']})" if row.get("ref") else ""  # in the imported file
        lines.append(f"    seq {seq} {row['offset']} {what} [{row['source']}]{place}")
    return "\n".join(lines)


def _case(suite: ET.Element, app: dict[str, Any], name: str) -> ET.Element:
    return ET.SubElement(
        suite, "testcase", name=_text(name), classname=_text(f"consentkit.{app['name']}"), time="0"
    )


def to_junit(report: dict[str, Any]) -> bytes:
    """The JUnit XML document of a report (``build``'s dict)."""
    rows = {
        (t["device"], row["seq"]): row for t in report.get("timelines", []) for row in t["shown"]
    }
    findings: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for f in report["findings"]:
        findings.setdefault((f["app_name"], f["rule"]), []).append(f)
    errors: dict[str, list[dict[str, Any]]] = {}
    for device in report["errors"]:
        errors.setdefault(device["app"], []).append(device)
    # rules that no device of an app could judge: its evidence cannot show what they need
    unjudged: dict[str, dict[str, list[str]]] = {}
    devices_of_app: dict[str, set[str]] = {}
    for d in report.get("not_judgeable", []):
        devices_of_app.setdefault(d["app"], set()).add(d["device"])
        for rule, lacking in d["rules"].items():
            unjudged.setdefault(d["app"], {}).setdefault(rule, lacking)
    meta = report["meta"]
    root = ET.Element("testsuites")
    for number, app in enumerate(report["apps"]):
        suite = ET.SubElement(
            root,
            "testsuite",
            name=_text(app["name"]),
            package="consentkit",
            id=str(number),
            timestamp=_timestamp(meta.get("generated")),
            hostname=socket.gethostname() or "localhost",
        )
        properties = ET.SubElement(suite, "properties")
        for key, value in (
            ("app_id", app["app_id"]),
            ("devices", app["devices"]),
            ("expects", app["expects"] or ""),
            ("verdict", app["verdict"]),
            ("seed", meta.get("seed", "")),
            ("server", meta.get("server", "")),
        ):
            ET.SubElement(properties, "property", name=key, value=_text(str(value)))
        failures = skipped = 0
        extra: list[str] = []
        cannot = {}
        if len(devices_of_app.get(app["app_id"], ())) == app["devices"]:
            cannot = unjudged.get(app["app_id"], {})
        for rule in report["rules"]:
            mine = findings.get((app["name"], rule["id"]), [])
            case = _case(suite, app, f"{rule['id']}: {rule['title']}")
            if rule["id"] in cannot and not mine:
                skipped += 1
                needs = " and ".join(cannot[rule["id"]])
                ET.SubElement(
                    case, "skipped", message=f"not judgeable from this source: needs {needs}"
                )
                continue
            if app["expects"] == rule["id"]:
                if not mine:
                    failures += 1
                    ET.SubElement(
                        case,
                        "failure",
                        type=rule["id"],
                        message=f"built to break {rule['id']}, and the audit did not catch it",
                    ).text = f"{app['devices']} devices ran; none broke {rule['id']}."
                continue
            if not mine:
                continue
            body = [_evidence(f, rows) for f in mine[:SHOWN_PER_CASE]]
            if len(mine) > SHOWN_PER_CASE:
                body.append(f"… and {len(mine) - SHOWN_PER_CASE} more in report.json")
            if app["expects"]:
                extra.append(f"{rule['id']} ({len(mine)} findings, extra):\n" + "\n".join(body))
                continue  # caught is caught: other rules it also breaks are listed, not failed
            failures += 1
            devices = len({f["device"] for f in mine})
            ET.SubElement(
                case,
                "failure",
                type=rule["id"],
                message=_text(
                    f"{len(mine)} finding(s) on {devices} of {app['devices']} devices "
                    f"[{rule['severity']}]: {mine[0]['message']}"
                ),
            ).text = _text("\n\n".join(body))
        crashed = errors.get(app["name"], [])
        case = _case(suite, app, "every device finishes its scenario")
        if crashed:
            first = crashed[0]["details"][0] if crashed[0]["details"] else {}
            text = []
            for device in crashed[:SHOWN_PER_CASE]:
                for detail in device["details"] or [{"traceback": e} for e in device["errors"]]:
                    text.append(f"{device['device']}:\n{detail['traceback']}")
            ET.SubElement(
                case,
                "error",
                type=first.get("exception", "DeviceError"),
                message=_text(f"{len(crashed)} device(s) errored: {crashed[0]['errors'][0]}"),
            ).text = _text("\n".join(text))
        suite.set("tests", str(len(report["rules"]) + 1))
        suite.set("failures", str(failures))
        suite.set("errors", str(1 if crashed else 0))
        suite.set("skipped", str(skipped))
        suite.set("time", f"{app.get('seconds', 0.0):.3f}")
        ET.SubElement(suite, "system-out").text = _text("\n\n".join(extra))
        ET.SubElement(suite, "system-err").text = ""
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
