"""The device trace (docs/trace.md): one ordered stream of what the device observed.

A ``Tracer`` numbers events (``seq``) and stamps them with the device clock; a sink
stores them. The phone and the SDK share one tracer, so their events interleave in the
order they happened.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

__all__ = ["JsonlSink", "ListSink", "NullSink", "TraceSink", "Tracer"]


class TraceSink(Protocol):
    def write(self, event: dict[str, Any]) -> None: ...


class NullSink:
    """The default: the SDK traces nothing unless the app gives it a sink."""

    def write(self, event: dict[str, Any]) -> None:
        return None


class ListSink:
    """Events kept in memory (simulations, tests)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def write(self, event: dict[str, Any]) -> None:
        self.events.append(event)


class JsonlSink:
    """Events appended to a JSONL file, one line each, flushed as written."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("a", encoding="utf-8")

    def write(self, event: dict[str, Any]) -> None:
        self._fh.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


class Tracer:
    """Stamps and numbers events for one device and app."""

    def __init__(
        self, sink: TraceSink, device: str, app: str, clock: Callable[[], datetime]
    ) -> None:
        self.sink = sink
        self.device = device
        self.app = app
        self.clock = clock
        self.seq = 0

    def emit(self, type_: str, source: str = "sdk", **fields: Any) -> dict[str, Any]:
        self.seq += 1
        event = {
            "seq": self.seq,
            "t": self.clock().isoformat(),
            "device": self.device,
            "app": self.app,
            "type": type_,
            "source": source,
            **fields,
        }
        self.sink.write(event)
        return event
