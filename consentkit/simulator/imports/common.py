"""What the importers share: the error they raise, what they return, and the builder that
numbers events and writes them in the trace format."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "EventBuilder",
    "EvidenceError",
    "EvidenceFile",
    "Imported",
    "parse_time",
    "source_table",
]


class EvidenceError(ValueError):
    """The file is not evidence of the format named; ``line`` (or a JSON path in the
    message) says where. Line 0: the file as a whole."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


class EvidenceFile:
    """The file being imported: whole (a HAR is one JSON document) or line by line, as
    often as an importer needs (a privacy report is read twice and never held whole)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = self.path.name

    def text(self) -> str:
        try:
            return self.path.read_text("utf-8-sig")
        except OSError as exc:
            raise EvidenceError(0, f"cannot read the file: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise EvidenceError(0, f"not a text file (byte {exc.start} is not UTF-8)") from None

    def lines(self) -> Iterator[tuple[int, str]]:
        """``(number, line)`` from 1. A line ends at a newline only: a CRLF file keeps its
        carriage returns (JSON whitespace), and U+2028 inside a value is no new line."""
        number = 0
        try:
            with self.path.open(encoding="utf-8-sig", newline="\n") as handle:
                for number, line in enumerate(handle, start=1):
                    yield number, line
        except OSError as exc:
            raise EvidenceError(0, f"cannot read the file: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise EvidenceError(number + 1, "not UTF-8 text") from None


@dataclass
class Imported:
    """One app's events from an evidence file, with what was left out."""

    events: list[dict[str, Any]]
    records: int  # records of the file read
    kept: int  # records of this app that became events
    other_apps: dict[str, int] = field(default_factory=dict)  # skipped, by app
    unknown: int = 0  # records of a kind the importer does not know

    @property
    def skipped(self) -> int:
        return sum(self.other_apps.values())


@cache
def source_table() -> dict[str, Any]:
    """``data/imports.yaml``: what each source shows and how its vocabulary maps."""
    text = resources.files("consentkit.simulator").joinpath("data/imports.yaml").read_text()
    return yaml.safe_load(text)


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 time from the evidence; one without an offset is taken as UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class EventBuilder:
    """Trace events of one device, in time order: collect, then ``finish`` sorts them
    (stably: the file's order within the same instant) and numbers ``seq``."""

    def __init__(self, device: str, app_id: str, source: str) -> None:
        self.device, self.app, self.source = device, app_id, source
        self._pending: list[tuple[datetime, int, int, dict[str, Any]]] = []

    def add(self, t: datetime, kind: str, *, first: bool = False, **fields: Any) -> None:
        """An event at ``t``; ``first`` puts it before the others of the same instant."""
        self._pending.append((t, 0 if first else 1, len(self._pending), {"type": kind, **fields}))

    def finish(self, header: dict[str, Any]) -> list[dict[str, Any]]:
        """The events, after an ``evidence.imported`` header at the first event's time."""
        ordered = sorted(self._pending, key=lambda item: item[:3])
        start = ordered[0][0] if ordered else datetime.now(UTC)
        events = [(start, {"type": "evidence.imported", **header})]
        events += [(t, e) for t, _, _, e in ordered]
        return [
            {
                "seq": n,
                "t": t.isoformat(timespec="milliseconds"),
                "device": self.device,
                "app": self.app,
                "source": self.source,
                **event,
            }
            for n, (t, event) in enumerate(events, start=1)
        ]
