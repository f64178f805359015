"""Reading a trace (docs/trace.md) strictly: bad input is named by line, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from .run import DeviceError, DeviceResult

__all__ = ["TraceError", "devices_of", "read_trace", "validate_events"]

REQUIRED = {"seq": int, "t": str, "device": str, "app": str, "type": str}


class TraceError(ValueError):
    """The trace is not valid JSONL in the trace format; ``line`` says where."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def read_trace(path: str | Path) -> list[dict[str, Any]]:
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TraceError(0, f"cannot read {path}: {exc}") from exc
    events = []
    # JSONL lines end at "\n" only: U+2028 or a form feed inside a string is not a new line
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TraceError(number, f"not valid JSON ({exc.msg})") from None
        events.append((number, event))
    return validate_events(events)


def validate_events(numbered: Iterable[tuple[int, Any]]) -> list[dict[str, Any]]:
    """Check each event's fields and that ``seq`` increases within each device."""
    last: dict[str, int] = {}
    out = []
    for number, event in numbered:
        if not isinstance(event, dict):
            raise TraceError(number, "an event is a JSON object")
        for field, kind in REQUIRED.items():
            if not isinstance(event.get(field), kind) or isinstance(event.get(field), bool):
                raise TraceError(number, f"{field!r} must be a {kind.__name__}")
        try:
            moment = datetime.fromisoformat(event["t"])
        except ValueError:
            raise TraceError(number, f"'t' is not an ISO-8601 time: {event['t']!r}") from None
        if moment.tzinfo is None:
            raise TraceError(number, "'t' needs a UTC offset, e.g. +08:00")
        device = event["device"]
        if device in last and event["seq"] <= last[device]:
            raise TraceError(number, f"seq {event['seq']} does not increase for device {device!r}")
        last[device] = event["seq"]
        out.append({**event, "_t": moment, "_line": number})
    return out


def devices_of(events: list[dict[str, Any]]) -> list[DeviceResult]:
    """A trace's devices as a run's results, for the report builders: OS from their
    ``app.launch``, errors from their ``sim.error`` events; the app is its manifest id."""
    devices: dict[tuple[str, str], DeviceResult] = {}
    for e in events:
        key = (e["app"], e["device"])
        device = devices.get(key)
        if device is None:
            device = devices[key] = DeviceResult(e["device"], e["app"], e["app"], "", "?", "")
        device.events.append({k: v for k, v in e.items() if not k.startswith("_")})
        if e["type"] == "app.launch" and device.os == "?":
            device.os = str(e.get("os") or "?")
            device.os_version = str(e.get("os_version", ""))
        elif e["type"] == "sim.error":
            device.errors.append(
                DeviceError(
                    str(e.get("step", "?")),
                    str(e.get("exception", "error")),
                    str(e.get("error", "")),
                    str(e.get("traceback", "")),
                )
            )
    return list(devices.values())
