"""Running devices: one through a scenario, and fleets of them across processes.

A device's persona, OS and every random draw come from ``Random(f"{seed}:{index}")``, and
every device starts at the same virtual moment on a server reset to its base policies,
so a device replays exactly from the run's seed, whatever process ran it.

Whatever an app's code raises is the device's error, never the run's: it is recorded in
the trace (``sim.error`` with its traceback, ``app.exit`` with reason ``crash``) and in
the device's result, the user opens the app again, and the scenario goes on.
"""

from __future__ import annotations

import gc
import importlib.util
import multiprocessing
import os
import random
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..device_sdk import ConsentKit, DeviceStore, ListSink, Tracer
from ..device_sdk.testing import VirtualClock
from .app import App, AppContext
from .host import EmbeddedHost, Host, RemoteHost, UnsupportedOnRemote
from .personas import PersonaUI, pick_persona
from .phone import VirtualPhone, pick_os
from .scenario import Scenario, ScenarioInvalid, load_scenario
from .steps import START, Steps

__all__ = [
    "AppFileInvalid",
    "DeviceError",
    "DeviceResult",
    "DeviceSpec",
    "Job",
    "load_app",
    "run_device",
    "run_fleet",
]

TRACEBACK_CHARS = 8000  # a traceback this long has said what it had to say
PAUSE_BETWEEN_STEPS = (1.0, 8.0)  # seconds a user takes between two steps (virtual time)
FREEZE_EVERY = 50  # devices per worker between two freezes of the long-lived heap
_PACKAGE = Path(__file__).resolve().parents[1]  # consentkit/: frames outside are the app's


@dataclass(frozen=True)
class Job:
    """An app and the scenario its devices walk through (files, so workers can load them)."""

    app_file: str
    app_name: str
    scenario_file: str
    devices: int
    personas: str = "mix"
    os_mix: str = "mix"


@dataclass(frozen=True)
class DeviceSpec:
    job: Job
    index: int
    seed: int

    @property
    def device(self) -> str:
        return f"{self.job.app_name}-{self.index:05d}"


@dataclass(frozen=True)
class DeviceError:
    """Something a device could not get through: a step, its exception, the traceback."""

    step: str
    exception: str
    message: str
    traceback: str = ""
    where: str = ""  # file:line where it was raised, in the app's own code when it was

    def __str__(self) -> str:
        return f"{self.step}: {self.exception}: {self.message}"

    @classmethod
    def of(cls, step: str, exc: BaseException) -> DeviceError:
        text = "".join(traceback.format_exception(exc))
        if len(text) > TRACEBACK_CHARS:
            text = "…\n" + text[-TRACEBACK_CHARS:]
        frames = traceback.extract_tb(exc.__traceback__)
        apps = [f for f in frames if not Path(f.filename).resolve().is_relative_to(_PACKAGE)]
        frame = (apps or frames or [None])[-1]
        where = f"{frame.filename}:{frame.lineno} in {frame.name}" if frame else ""
        return cls(step, type(exc).__name__, str(exc)[:500], text, where)

    def as_dict(self) -> dict[str, str]:
        return {
            "step": self.step,
            "exception": self.exception,
            "message": self.message,
            "where": self.where,
            "traceback": self.traceback,
        }


@dataclass
class DeviceResult:
    device: str
    app: str
    app_name: str
    persona: str
    os: str
    os_version: str
    events: list[dict[str, Any]] = field(default_factory=list)
    errors: list[DeviceError] = field(default_factory=list)
    expects: str | None = None
    os_label: str = ""  # "android 10 (no Play services)": the release and device profile
    seconds: float = 0.0  # wall-clock time the device took


class AppFileInvalid(ValueError):
    """An apps file that cannot be loaded: bad input, named by file and line."""


@cache
def apps_in(app_file: str) -> dict[str, App]:
    """The apps an apps file defines (``APPS``, or one ``APP``)."""
    try:
        spec = importlib.util.spec_from_file_location(
            f"consentkit_app_{abs(hash(app_file))}", app_file
        )
        if spec is None or spec.loader is None:
            raise AppFileInvalid(f"{app_file}: not a Python file")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        apps = getattr(module, "APPS", None) or [getattr(module, "APP", None)]
        found = {a.name: a for a in apps if isinstance(a, App)}
    except AppFileInvalid:
        raise
    except Exception as exc:
        raise AppFileInvalid(f"{_where(exc, app_file)}: {type(exc).__name__}: {exc}") from None
    if not found:
        raise AppFileInvalid(f"{app_file}: defines no APP or APPS (consentkit.simulator.App)")
    return found


def _where(exc: BaseException, app_file: str) -> str:
    """``file:line`` of the deepest frame of the apps file in ``exc``'s traceback."""
    line = getattr(exc, "lineno", None) if isinstance(exc, SyntaxError) else None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve() == Path(app_file).resolve():
            line = frame.lineno
    return f"{app_file}:{line}" if line else app_file


def load_app(app_file: str, name: str) -> App:
    apps = apps_in(app_file)
    if name not in apps:
        raise KeyError(f"{app_file} defines no app {name!r}; it has {sorted(apps)}")
    return apps[name]


@cache
def _scenario(path: str) -> Scenario:
    return load_scenario(path)


def run_device(spec: DeviceSpec, host: Host) -> DeviceResult:
    """One device, start to end; whatever goes wrong is recorded, never fatal to the fleet."""
    started = time.perf_counter()
    job = spec.job
    app = load_app(job.app_file, job.app_name)
    scenario = _scenario(job.scenario_file)
    rng = random.Random(f"{spec.seed}:{job.app_name}:{spec.index}")
    timing = random.Random(f"{spec.seed}:{job.app_name}:{spec.index}:time")
    who = pick_persona(job.personas, rng)
    profile = pick_os(job.os_mix, rng, spec.index)
    result = DeviceResult(
        spec.device,
        app.manifest.id,
        app.name,
        who.name,
        profile.os,
        profile.version,
        expects=app.expects,
        os_label=profile.label,
    )
    host.begin_device(START)
    sink = ListSink()
    tracer = Tracer(sink, spec.device, app.manifest.id, host.clock.now)
    result.events = sink.events
    try:
        steps = _device(spec, app, host, rng, who, profile, tracer)
    except Exception as exc:
        _record(result, tracer, DeviceError.of("setup", exc))
        result.seconds = time.perf_counter() - started
        return result
    host.drain_log()
    crashed = False
    for number, step in enumerate(scenario.steps):
        if number:
            host.pause(timing.uniform(*PAUSE_BETWEEN_STEPS))
        kind = step.kind
        if crashed and kind == "restart":
            kind = "launch"  # the process is gone already: a cold start is what remains
        elif crashed and kind != "launch" and _try(result, tracer, steps, "launch", None):
            continue  # the user opened the app again, and it crashed again
        crashed = _try(result, tracer, steps, kind, step.arg)
    try:
        for log, line in host.drain_logs():
            tracer.emit("log.line", source="server", log=log, text=line)
        host.reset(app.manifest.id)
    except Exception as exc:
        _record(result, tracer, DeviceError.of("teardown", exc))
    result.seconds = time.perf_counter() - started
    return result


def _device(spec, app, host, rng, who, profile, tracer) -> Steps:
    """The phone, its user and the app's SDK, ready for the scenario's first step."""
    phone = VirtualPhone(
        profile,
        who,
        rng,
        device_id=spec.device,
        app_id=app.manifest.id,
        clock=host.clock,
        tracer=tracer,
        build=app.build,
    )
    salted = random.Random(f"{host.salt}:{rng.random()}") if host.salt else rng
    number = f"+86{salted.choice(['135', '136', '137', '138', '139'])}{salted.randrange(10**8):08d}"
    guardian = f"+86150{salted.randrange(10**8):08d}"
    ui = PersonaUI(who, rng, guardian)
    sdk = ConsentKit(
        app.manifest.id,
        phone,
        ui,
        base_url=host.base_url,
        transport=phone.network(host.transport, server=host.base_url),
        store=DeviceStore(),
        tracer=tracer,
    )
    return Steps(app, AppContext(sdk, phone, rng), host, number)


def _try(result: DeviceResult, tracer: Tracer, steps: Steps, kind: str, arg: Any) -> bool:
    """Run one step; True when an exception escaped it and so ended the app's process."""
    try:
        getattr(steps, kind)(arg)
    except UnsupportedOnRemote as exc:
        _record(result, tracer, DeviceError.of(kind, exc))  # nothing ran on the device
        return False
    except (Exception, SystemExit) as exc:
        _record(result, tracer, DeviceError.of(kind, exc))
        steps.ctx.phone.exit_app("crash")
        return True
    return False


def _record(result: DeviceResult, tracer: Tracer, error: DeviceError) -> None:
    result.errors.append(error)
    tracer.emit(
        "sim.error",
        source="app",
        step=error.step,
        error=error.message[:300],
        exception=error.exception,
        traceback=error.traceback,
    )


# fleets ---------------------------------------------------------------------------------

_HOSTS: dict[str, Host] = {}
_DONE_HERE = [0]  # devices this process has run


def _worker_host(run_id: str, manifest_files: tuple[str, ...], server_url: str | None) -> Host:
    """One server per run and process: a new run never meets an earlier run's accounts."""
    if run_id not in _HOSTS:
        from ..policy import load_manifest

        _HOSTS.clear()
        if server_url:
            _HOSTS[run_id] = RemoteHost(server_url)
        else:
            _HOSTS[run_id] = EmbeddedHost(
                VirtualClock(START), [load_manifest(p) for p in manifest_files]
            )
    return _HOSTS[run_id]


def _run_one(args: tuple[str, DeviceSpec, tuple[str, ...], str | None]) -> DeviceResult:
    run_id, spec, manifests, server_url = args
    try:
        host = _worker_host(run_id, manifests, server_url)
    except Exception as exc:
        return lost_device(spec, DeviceError.of("server", exc))
    result = run_device(spec, host)
    _DONE_HERE[0] += 1
    if multiprocessing.parent_process() is not None and _DONE_HERE[0] % FREEZE_EVERY == 1:
        # In a pool worker, what outlived the first devices lives for the whole run (the
        # server, its caches, the gazetteer): freeze it, so the cycle collector stops
        # rescanning it.
        gc.collect()
        gc.freeze()
    return result


def lost_device(spec: DeviceSpec, error: DeviceError) -> DeviceResult:
    """The result of a device that never ran, or whose process died under it."""
    app = load_app(spec.job.app_file, spec.job.app_name)
    return DeviceResult(
        spec.device, app.manifest.id, app.name, "", "", "", errors=[error], expects=app.expects
    )


def plan(jobs: list[Job], seed: int) -> list[DeviceSpec]:
    """Every device of every job, once each app loads and each scenario fits its app."""
    problems = []
    for job in jobs:
        app = load_app(job.app_file, job.app_name)
        try:
            load_scenario(job.scenario_file, app.manifest)
        except ScenarioInvalid as exc:
            problems += [p for p in exc.problems if p not in problems]
    if problems:
        raise ScenarioInvalid(problems)
    return [DeviceSpec(job, i, seed) for job in jobs for i in range(job.devices)]


def run_fleet(
    jobs: list[Job],
    *,
    seed: int = 1,
    workers: int | None = None,
    server_url: str | None = None,
    on_device: Callable[[DeviceResult], None] = lambda result: None,
) -> list[DeviceResult]:
    """Every device of every job, in ``workers`` processes, each with its own server;
    ``on_device`` hears of each device as it finishes, in the order they finish."""
    specs = plan(jobs, seed)
    manifests = tuple(sorted({str(load_app(j.app_file, j.app_name).manifest_path) for j in jobs}))
    if server_url:
        RemoteHost(server_url).check(
            sorted({load_app(j.app_file, j.app_name).manifest.id for j in jobs})
        )
    workers = max(1, min(workers or os.cpu_count() or 1, len(specs)))
    run_id = uuid.uuid4().hex
    order = {spec.device: n for n, spec in enumerate(specs)}
    results: list[DeviceResult] = []
    if workers == 1:
        for spec in specs:
            results.append(_run_one((run_id, spec, manifests, server_url)))
            on_device(results[-1])
        return results
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_run_one, (run_id, s, manifests, server_url)): s for s in specs}
        for future in as_completed(futures):
            try:
                result = future.result()
            except Exception as exc:  # the worker process died (os._exit, a native crash)
                result = lost_device(futures[future], DeviceError.of("worker", exc))
            results.append(result)
            on_device(result)
    return sorted(results, key=lambda r: order[r.device])


def jobs_from(
    app_file: str | Path,
    scenario_file: str | Path,
    devices: int,
    personas: str,
    os_mix: str,
    names: list[str] | None = None,
) -> list[Job]:
    """Jobs for the apps of one file (an app that names its persona keeps it)."""
    apps = apps_in(str(app_file))
    chosen = names or list(apps)
    missing = [n for n in chosen if n not in apps]
    if missing:
        raise KeyError(f"{app_file} has no app {missing}; it has {sorted(apps)}")
    return [
        Job(str(app_file), n, str(scenario_file), devices, apps[n].persona or personas, os_mix)
        for n in chosen
    ]
