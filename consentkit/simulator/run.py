"""Running devices: one through a scenario, and fleets of them across processes.

A device's persona, OS and every random draw come from ``Random(f"{seed}:{index}")``, and
every device starts at the same virtual moment on a server reset to its base policies,
so a device replays exactly from the run's seed, whatever process ran it.
"""

from __future__ import annotations

import gc
import importlib.util
import multiprocessing
import os
import random
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from ..device_sdk import ConsentKit, DeviceStore, ListSink, Tracer
from ..device_sdk.errors import ConsentKitError
from ..device_sdk.testing import VirtualClock
from ..policy.durations import parse_duration
from .app import App, AppContext
from .host import EmbeddedHost, Host, RemoteHost
from .personas import PersonaUI, pick_persona
from .phone import VirtualPhone, pick_os
from .scenario import Scenario, check_against, load_scenario

__all__ = ["DeviceResult", "DeviceSpec", "Job", "load_app", "run_device", "run_fleet"]

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in China, a Monday
PASSWORD = "correct horse battery"


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


@dataclass
class DeviceResult:
    device: str
    app: str
    app_name: str
    persona: str
    os: str
    os_version: int
    events: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    expects: str | None = None


@cache
def apps_in(app_file: str) -> dict[str, App]:
    spec = importlib.util.spec_from_file_location(f"consentkit_app_{abs(hash(app_file))}", app_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {a.name: a for a in getattr(module, "APPS", [getattr(module, "APP", None)]) if a}


def load_app(app_file: str, name: str) -> App:
    apps = apps_in(app_file)
    if name not in apps:
        raise KeyError(f"{app_file} defines no app {name!r}; it has {sorted(apps)}")
    return apps[name]


@cache
def _scenario(path: str) -> Scenario:
    return load_scenario(path)


class _Steps:
    """What each scenario step does to the device."""

    def __init__(self, app: App, ctx: AppContext, host: Host, phone_number: str) -> None:
        self.app, self.ctx, self.host, self.phone_number = app, ctx, host, phone_number

    def launch(self, _arg: None) -> None:
        self.ctx.phone.launch_app()
        self.app.launch(self.ctx)

    def restart(self, _arg: None) -> None:
        self.ctx.phone.exit_app("user")
        self.launch(None)

    def register(self, _arg: None) -> None:
        sdk = self.ctx.sdk
        if not sdk.consents.agreed:
            return  # a user who declined the policy does not sign up
        sdk.client.send_code(self.phone_number)
        code = sdk.client.dev_outbox(self.phone_number)[0]["body"].split("code is ")[1][:6]
        persona = self.ctx.phone.persona
        birth = None
        if persona.minor_age:
            now = self.ctx.phone.now()
            birth = now.replace(year=now.year - persona.minor_age).date().isoformat()
        sdk.register(self.phone_number, code, PASSWORD, birth_date=birth)
        if sdk.consents.needs_guardian:
            sdk.consents.run_guardian_flow()

    def logout(self, _arg: None) -> None:
        if self.ctx.sdk.client.tokens:
            self.ctx.sdk.logout()

    def login(self, _arg: None) -> None:
        if self.ctx.sdk.store.get("user") and not self.ctx.sdk.client.tokens:
            self.ctx.sdk.login(self.phone_number, password=PASSWORD)

    def use(self, feature: str) -> None:
        if self.ctx.sdk.consents.agreed:
            self.app.use(self.ctx, feature)

    def use_all(self, _arg: None) -> None:
        for feature in self.ctx.manifest.features:
            self.use(feature)

    def advance(self, duration: str) -> None:
        self.host.advance(_seconds(duration))

    def settings(self, arg: dict) -> None:
        self.ctx.phone.change_setting(arg["permission"], arg["status"])

    def revoke(self, _arg: None) -> None:
        phone = self.ctx.phone
        if not phone.persona.revokes:
            return
        granted = [
            p
            for p in self.ctx.manifest.permissions
            if phone.os.true_status(p) in ("granted", "limited")
            and phone.rules.availability(p) == "runtime"
        ]
        if granted:
            phone.change_setting(phone.rng.choice(sorted(granted)), "denied")

    def withdraw(self, purposes: list[str]) -> None:
        if self.ctx.sdk.consents.agreed:
            self.ctx.sdk.withdraw(purposes)
            self._probe("withdrawal", purposes)

    def withdraw_optional(self, _arg: None) -> None:
        consents = self.ctx.sdk.consents
        granted = [p for p in self.ctx.manifest.optional_purposes() if consents.consented(p)]
        if granted:
            self.withdraw([self.ctx.rng.choice(granted)])

    def _probe(self, after: str, purposes: list[str] = ()) -> None:
        """What the server still holds of the user after a withdrawal or the purge."""
        user = (self.ctx.sdk.store.get("user") or {}).get("id")
        held = self.host.holdings(user) if user else None
        if held is None:
            return
        extra = {"purposes": list(purposes)} if purposes else {}
        self.ctx.sdk.tracer.emit(
            "server.residue",
            source="server",
            user=user,
            after=after,
            categories=sorted({h["category"] for h in held}),
            items=held,
            **extra,
        )

    def grant(self, purposes: list[str]) -> None:
        if self.ctx.sdk.consents.agreed:
            self.ctx.sdk.grant(purposes)

    def publish_policy(self, change: str) -> None:
        version = self.host.publish_version(self.ctx.manifest, change)
        self.ctx.sdk.tracer.emit(
            "policy.published", source="server", version=version, change=change
        )

    def update_app(self, version: str) -> None:
        self.ctx.phone.update_app(version)

    def flush(self, _arg: None) -> None:
        self.ctx.sdk.flush()

    def export(self, _arg: None) -> None:
        if self.ctx.sdk.client.tokens:
            self.ctx.sdk.export_data()

    def cancel_account(self, _arg: None) -> None:
        if self.ctx.sdk.client.tokens:
            self.app.cancel_account(self.ctx, PASSWORD)

    def wait_deadline(self, _arg: None) -> None:
        """Day by day until the promised date: the server's jobs run, the device checks."""
        sdk = self.ctx.sdk
        status = sdk.cancellation_status()
        if status is None:
            return
        due = datetime.fromisoformat(status["due_at"])
        while status["status"] != "done" and self.ctx.phone.now() <= due:
            self.host.run_jobs()
            status = sdk.cancellation_status()
            if status["status"] != "done":
                self.host.advance(86400)
        self._probe("purge")


def _seconds(duration: str) -> float:
    value = parse_duration(duration, words=False)
    return ((START + value) - START).total_seconds()


def run_device(spec: DeviceSpec, host: Host) -> DeviceResult:
    """One device, start to end; a failing step is recorded, never fatal to the fleet."""
    job = spec.job
    app = load_app(job.app_file, job.app_name)
    scenario = _scenario(job.scenario_file)
    rng = random.Random(f"{spec.seed}:{job.app_name}:{spec.index}")
    who = pick_persona(job.personas, rng)
    profile = pick_os(job.os_mix, rng)
    device_id = f"{job.app_name}-{spec.index:05d}"
    host.clock.current = host.start_time(START)
    sink = ListSink()
    tracer = Tracer(sink, device_id, app.manifest.id, host.clock.now)
    phone = VirtualPhone(
        profile,
        who,
        rng,
        device_id=device_id,
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
        transport=phone.network(host.transport),
        store=DeviceStore(),
        tracer=tracer,
    )
    ctx = AppContext(sdk, phone, rng)
    steps = _Steps(app, ctx, host, number)
    result = DeviceResult(
        device_id,
        app.manifest.id,
        app.name,
        who.name,
        profile.os,
        profile.version,
        expects=app.expects,
    )
    host.drain_log()
    for step in scenario.steps:
        try:
            getattr(steps, step.kind)(step.arg)
        except (ConsentKitError, RuntimeError, ValueError) as exc:
            result.errors.append(f"{step.kind}: {type(exc).__name__}: {exc}")
            tracer.emit("sim.error", source="app", step=step.kind, error=str(exc)[:300])
    for log, line in host.drain_logs():
        tracer.emit("log.line", source="server", log=log, text=line)
    host.reset(app.manifest.id)
    result.events = sink.events
    return result


# fleets ---------------------------------------------------------------------------------

_HOSTS: dict[str, Host] = {}


def _worker_host(run_id: str, manifest_files: tuple[str, ...], server_url: str | None) -> Host:
    """One server per run and process: a new run never meets an earlier run's accounts."""
    if run_id not in _HOSTS:
        from ..policy import load_manifest

        _HOSTS.clear()
        clock = VirtualClock(START)
        if server_url:
            _HOSTS[run_id] = RemoteHost(clock, server_url)
        else:
            _HOSTS[run_id] = EmbeddedHost(clock, [load_manifest(p) for p in manifest_files])
    return _HOSTS[run_id]


def _run_chunk(
    args: tuple[str, list[DeviceSpec], tuple[str, ...], str | None],
) -> list[DeviceResult]:
    run_id, specs, manifests, server_url = args
    host = _worker_host(run_id, manifests, server_url)
    results = [run_device(spec, host) for spec in specs]
    if multiprocessing.parent_process() is not None:
        # In a pool worker, what outlived a chunk lives for the whole run (the server, its
        # caches, the gazetteer): freeze it, so the cycle collector stops rescanning it.
        gc.collect()
        gc.freeze()
    return results


def plan(jobs: list[Job], seed: int) -> list[DeviceSpec]:
    for job in jobs:
        app = load_app(job.app_file, job.app_name)
        check_against(_scenario(job.scenario_file), app.manifest)
    return [DeviceSpec(job, i, seed) for job in jobs for i in range(job.devices)]


def run_fleet(
    jobs: list[Job],
    *,
    seed: int = 1,
    workers: int | None = None,
    server_url: str | None = None,
    on_progress: Callable[[int], None] = lambda n: None,
) -> list[DeviceResult]:
    """Every device of every job; in ``workers`` processes, each with its own server."""
    specs = plan(jobs, seed)
    manifests = tuple(sorted({str(load_app(j.app_file, j.app_name).manifest_path) for j in jobs}))
    workers = max(1, min(workers or os.cpu_count() or 1, len(specs)))
    size = max(1, min(50, len(specs) // (workers * 4) or 1))
    chunks = [specs[i : i + size] for i in range(0, len(specs), size)]
    run_id = uuid.uuid4().hex
    results: list[DeviceResult] = []
    if workers == 1:
        for chunk in chunks:
            results += _run_chunk((run_id, chunk, manifests, server_url))
            on_progress(len(chunk))
        return results
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for done in pool.map(_run_chunk, [(run_id, c, manifests, server_url) for c in chunks]):
            results += done
            on_progress(len(done))
    return results


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
