"""A whole simulation: run the fleet, audit each app's traces, write the report."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..policy import Manifest
from .report import build, render_html
from .rules import audit
from .run import DeviceResult, Job, load_app, run_fleet

__all__ = ["Outcome", "simulate"]


@dataclass
class Outcome:
    report: dict[str, Any]
    folder: Path
    results: list[DeviceResult]

    @property
    def html(self) -> Path:
        return self.folder / "report.html"


def _audit_results(results: list[DeviceResult], manifests: dict[str, Manifest]):
    events = []
    for r in results:
        for e in r.events:
            events.append({**e, "_t": datetime.fromisoformat(e["t"])})
    return audit(events, manifests)


def simulate(
    jobs: list[Job],
    *,
    out: str | Path,
    seed: int = 1,
    workers: int | None = None,
    server_url: str | None = None,
    title: str = "simulation",
    show_progress: bool = True,
) -> Outcome:
    started = time.perf_counter()
    total = sum(j.devices for j in jobs)
    manifests = {
        load_app(j.app_file, j.app_name).manifest.id: load_app(j.app_file, j.app_name).manifest
        for j in jobs
    }
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not show_progress,
        transient=True,
    ) as progress:
        task = progress.add_task(f"{title}: devices", total=total)
        results = run_fleet(
            jobs,
            seed=seed,
            workers=workers,
            server_url=server_url,
            on_progress=lambda n: progress.advance(task, n),
        )
    results.sort(key=lambda r: r.device)
    findings = _audit_results(results, manifests)
    meta = {
        "title": title,
        "seed": seed,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - started, 1),
        "server": server_url or "embedded",
        "jobs": [j.__dict__ for j in jobs],
    }
    report = build(results, findings, manifests, meta)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "trace.jsonl").open("w", encoding="utf-8") as fh:
        for r in results:
            for e in r.events:
                fh.write(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n")
    (folder / "report.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=1, default=str)
    )
    (folder / "report.html").write_text(render_html(report), encoding="utf-8")
    return Outcome(report, folder, results)
