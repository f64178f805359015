"""A whole simulation: run the fleet, audit each app's traces, write the report."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from ..policy import Manifest
from .progress import FleetProgress
from .report import build, render_html, to_junit, to_sarif
from .rules import audit
from .run import DeviceResult, Job, load_app, run_fleet

__all__ = ["Outcome", "report_run", "simulate"]


@dataclass
class Outcome:
    report: dict[str, Any]
    folder: Path
    results: list[DeviceResult]
    written: dict[str, Path] = field(default_factory=dict)  # what was written, by kind

    @property
    def html(self) -> Path:
        return self.folder / "report.html"


def _audit_results(results: list[DeviceResult], manifests: dict[str, Manifest]):
    events = []
    for r in results:
        for e in r.events:
            events.append({**e, "_t": datetime.fromisoformat(e["t"])})
    return audit(events, manifests)


def _write_trace(path: Path, results: list[DeviceResult]) -> dict[tuple[str, int], int]:
    """The run's trace, JSONL; returns the line of each ``(device, seq)``."""
    lines: dict[tuple[str, int], int] = {}
    number = 0
    with path.open("w", encoding="utf-8") as fh:
        for r in results:
            for e in r.events:
                number += 1
                lines[(e["device"], e["seq"])] = number
                fh.write(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n")
    return lines


def simulate(
    jobs: list[Job],
    *,
    out: str | Path,
    seed: int = 1,
    workers: int | None = None,
    server_url: str | None = None,
    title: str = "simulation",
    show_progress: bool = True,
    console: Console | None = None,
    junit: str | Path | None = None,
    sarif: str | Path | None = None,
) -> Outcome:
    """Run ``jobs``, audit them and write trace, JSON and HTML reports into ``out`` (and
    the JUnit and SARIF files when asked); a device's error never stops the others."""
    started = time.perf_counter()
    total = sum(j.devices for j in jobs)
    with FleetProgress(title, total, console=console, enabled=show_progress) as progress:
        results = run_fleet(
            jobs,
            seed=seed,
            workers=workers,
            server_url=server_url,
            on_device=lambda r: progress.done(bool(r.errors)),
        )
    return report_run(
        jobs,
        results,
        out=out,
        seed=seed,
        server=server_url or "embedded",
        title=title,
        seconds=time.perf_counter() - started,
        junit=junit,
        sarif=sarif,
    )


def report_run(
    jobs: list[Job],
    results: list[DeviceResult],
    *,
    out: str | Path,
    seed: int,
    server: str,
    title: str,
    seconds: float,
    junit: str | Path | None = None,
    sarif: str | Path | None = None,
) -> Outcome:
    """Audit the devices of a run, wherever they ran (here, or on Locust workers), and
    write its trace and reports."""
    apps = {(j.app_file, j.app_name): load_app(j.app_file, j.app_name) for j in jobs}
    manifests = {app.manifest.id: app.manifest for app in apps.values()}
    results = sorted(results, key=lambda r: r.device)
    findings = _audit_results(results, manifests)
    meta = {
        "title": title,
        "seed": seed,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(seconds, 1),
        "server": server,
        "jobs": [j.__dict__ for j in jobs],
    }
    report = build(results, findings, manifests, meta)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = {
        "trace": folder / "trace.jsonl",
        "json": folder / "report.json",
        "html": folder / "report.html",
    }
    lines = _write_trace(written["trace"], results)
    written["json"].write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str))
    written["html"].write_text(render_html(report), encoding="utf-8")
    if junit:
        written["junit"] = _write(junit, to_junit(report))
    if sarif:
        events = {(e["device"], e["seq"]): e for r in results for e in r.events}
        log = to_sarif(
            report,
            trace=written["trace"],
            lines=lines,
            events=events,
            manifests={app.manifest.id: app.manifest_path for app in apps.values()},
        )
        written["sarif"] = _write(sarif, json.dumps(log, ensure_ascii=False, indent=1).encode())
    return Outcome(report, folder, results, written)


def _write(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
