"""A fleet's progress as people and CI logs want it: devices as they finish, rate, ETA.

On a terminal it is a rich progress bar; anywhere else (a CI log, a pipe) it is a plain
line every ``interval`` seconds and one at the end, because a live bar there either
prints nothing until the run ends or floods the log with redraws.
"""

from __future__ import annotations

import time
from datetime import timedelta
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["FleetProgress"]

PLAIN_INTERVAL = 10.0  # seconds between two plain lines


class _RateColumn(ProgressColumn):
    """Devices per second, over rich's recent window."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        label = f"{speed:.1f} devices/s" if speed else "– devices/s"
        return Text(label, style="progress.data.speed")


class FleetProgress:
    """Told of each device as it finishes (``done``); shows how far the fleet has come."""

    def __init__(
        self,
        title: str,
        total: int,
        *,
        console: Console | None = None,
        enabled: bool = True,
        interval: float = PLAIN_INTERVAL,
        clock=time.monotonic,
    ) -> None:
        self.title, self.total = title, total
        self.console = console or Console(stderr=True)
        self.enabled = enabled
        self.interval = interval
        self.clock = clock
        self.finished = 0
        self.errored = 0
        self._bar: Progress | None = None
        self._task = None
        self._started = self._last_line = 0.0

    # the run ---------------------------------------------------------------------------
    def __enter__(self) -> FleetProgress:
        self._started = self._last_line = self.clock()
        if not self.enabled:
            return self
        if self.console.is_terminal:
            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[errored]}"),
                _RateColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(f"{self.title}: devices", total=self.total, errored="")
        else:
            self._line()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, exc, tb)
        elif self.enabled and kind is None:
            self._line()

    def done(self, errored: bool = False) -> None:
        """One more device finished (``errored``: it met an error on the way)."""
        self.finished += 1
        self.errored += bool(errored)
        if self._bar is not None:
            note = f"[red]{self.errored} errored" if self.errored else ""
            self._bar.update(self._task, advance=1, errored=note)
        elif self.enabled and self.clock() - self._last_line >= self.interval:
            self._line()

    # plain lines -------------------------------------------------------------------------
    def rate(self) -> float:
        elapsed = self.clock() - self._started
        return self.finished / elapsed if elapsed > 0 else 0.0

    def eta(self) -> timedelta | None:
        rate = self.rate()
        if not rate:
            return None
        return timedelta(seconds=round((self.total - self.finished) / rate))

    def status(self) -> str:
        """``simulate: 40/200 devices (20%), 1 errored, 3.1 devices/s, ETA 0:00:52``."""
        share = self.finished / self.total if self.total else 1.0
        parts = [f"{self.title}: {self.finished}/{self.total} devices ({share:.0%})"]
        if self.errored:
            parts.append(f"{self.errored} errored")
        if self.finished:
            parts.append(f"{self.rate():.1f} devices/s")
        eta = self.eta()
        if eta is not None and self.finished < self.total:
            parts.append(f"ETA {eta}")
        elapsed = timedelta(seconds=round(self.clock() - self._started))
        parts.append(f"elapsed {elapsed}")
        return ", ".join(parts)

    def _line(self) -> None:
        self._last_line = self.clock()
        self.console.print(self.status(), markup=False, highlight=False, soft_wrap=True)
