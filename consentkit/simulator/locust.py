"""Fleets on Locust: the simulator's devices as Locust users, over workers and hosts.

A locustfile imports this module (``examples/locustfile.py`` does nothing else); Locust
then runs it alone, or as a master with workers on this host or others::

    locust -f examples/locustfile.py --headless --master --expect-workers 2 \\
        -u 8 -r 8 --host http://127.0.0.1:8000 --ck-devices 20 --ck-out reports/locust
    locust -f examples/locustfile.py --worker --master-host 127.0.0.1     # twice

The plan is the one ``consentkit simulate`` makes from the same options and seed: the
same devices, each with the same persona, OS and random draws. The master hands each
worker its share of devices; a user runs one device after another, through the real SDK
against the server at ``--host``, every request reported to Locust's statistics. Each
finished device's trace goes to the master, which, once the last one is in, audits them
all like an in-process run, writes the same ``trace.jsonl``, ``report.json`` and
``report.html`` and ends the run with ``consentkit simulate``'s exit code.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

import gevent
import httpx
from gevent.event import Event
from locust import User, events, task
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import MasterRunner, WorkerRunner

from ..examples import examples_dir
from .exit_codes import ExitCode, for_summary
from .host import RemoteHost, ServerUnusable
from .run import (
    AppFileInvalid,
    DeviceError,
    DeviceResult,
    DeviceSpec,
    Job,
    jobs_from,
    load_app,
    lost_device,
    plan,
    run_device,
)
from .scenario import ScenarioInvalid
from .session import report_run
from .summary import print_summary

__all__ = ["SimulatedDevice"]

logging.getLogger("httpx").setLevel(logging.WARNING)  # Locust's statistics say it all

PLAN = "consentkit_plan"  # master → worker: the devices that worker runs
DEVICE = "consentkit_device"  # worker → master: one finished device
# Ids in request paths, folded so that Locust's statistics group by route.
_IDS = re.compile(r"/(?:[0-9a-f]{32}|[0-9]+|[0-9a-f-]{36})(?=/|$)")


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    group = parser.add_argument_group("consentkit", "The simulated fleet")
    group.add_argument(
        "--ck-apps",
        default=str(examples_dir() / "apps" / "seed_apps.py"),
        help="Python file defining the apps",
    )
    group.add_argument("--ck-app", default="", help="only these apps (comma-separated names)")
    group.add_argument(
        "--ck-scenario",
        default=str(examples_dir() / "scenarios" / "smoke.yaml"),
        help="scenario; one that travels in time needs the embedded server",
    )
    group.add_argument("--ck-devices", type=int, default=10, help="devices per app")
    group.add_argument("--ck-personas", default="mix")
    group.add_argument("--ck-os", default="mix")
    group.add_argument("--ck-seed", type=int, default=1)
    group.add_argument("--ck-out", default="reports/locust", help="where the master writes")


OPTIONS = ("ck_apps", "ck_app", "ck_scenario", "ck_devices", "ck_personas", "ck_os", "ck_seed")


@dataclass
class _Fleet:
    """This process's part of the run."""

    jobs: list[Job] = field(default_factory=list)
    specs: list[DeviceSpec] = field(default_factory=list)
    mine: list[DeviceSpec] = field(default_factory=list)  # not yet taken by a user
    ready: Event = field(default_factory=Event)
    results: list[DeviceResult] = field(default_factory=list)
    started: float = 0.0
    finished: bool = False

    def plan(self, options: dict[str, Any]) -> None:
        names = [n for n in options["ck_app"].split(",") if n] or None
        self.jobs = jobs_from(
            options["ck_apps"],
            options["ck_scenario"],
            options["ck_devices"],
            options["ck_personas"],
            options["ck_os"],
            names,
        )
        self.specs = plan(self.jobs, options["ck_seed"])
        self.results, self.finished, self.started = [], False, time.perf_counter()


FLEET = _Fleet()


@events.test_start.add_listener
def _plan(environment: Environment, **_: Any) -> None:
    """The master (or a single process) plans the devices and deals them out; a worker
    waits for its share, planned from the master's options."""
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        return
    options = {name: getattr(environment.parsed_options, name) for name in OPTIONS}
    try:
        FLEET.plan(options)
        apps = sorted({load_app(j.app_file, j.app_name).manifest.id for j in FLEET.jobs})
        RemoteHost(environment.host or "").check(apps)
    except (ScenarioInvalid, AppFileInvalid, ServerUnusable, KeyError, OSError) as exc:
        logging.getLogger(__name__).error("consentkit: cannot run this fleet: %s", exc)
        environment.process_exit_code = int(ExitCode.BAD_INPUT)
        gevent.spawn_later(0.1, runner.quit)
        return
    if isinstance(runner, MasterRunner):
        workers = sorted(runner.clients.values(), key=lambda c: runner.get_worker_index(c.id))
        for n, client in enumerate(workers):
            share = [s.index for s in FLEET.specs][n :: len(workers)]
            data = {"options": options, "devices": share}
            runner.send_message(PLAN, data, client_id=client.id)
        return
    FLEET.mine = list(FLEET.specs)
    FLEET.ready.set()


@events.init.add_listener
def _messages(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner):

        def take_share(environment: Environment, msg, **_: Any) -> None:
            FLEET.plan(msg.data["options"])
            wanted = set(msg.data["devices"])
            FLEET.mine = [s for s in FLEET.specs if s.index in wanted]
            FLEET.ready.set()

        runner.register_message(PLAN, take_share)
    elif isinstance(runner, MasterRunner):

        def device_done(environment: Environment, msg, **_: Any) -> None:
            _collect(environment, _result(msg.data))

        runner.register_message(DEVICE, device_done)


def _result(data: dict[str, Any]) -> DeviceResult:
    errors = [DeviceError(**e) for e in data.pop("errors")]
    return DeviceResult(**data, errors=errors)


def _collect(environment: Environment, result: DeviceResult) -> None:
    """One more device is in; after the last, audit them all and end the run."""
    FLEET.results.append(result)
    if FLEET.finished or len(FLEET.results) < len(FLEET.specs):
        return
    FLEET.finished = True
    options = environment.parsed_options
    outcome = report_run(
        FLEET.jobs,
        FLEET.results,
        out=options.ck_out,
        seed=options.ck_seed,
        server=environment.host,
        title="locust",
        seconds=time.perf_counter() - FLEET.started,
    )
    print_summary(outcome)
    environment.process_exit_code = int(for_summary(outcome.report["summary"]))
    gevent.spawn_later(0.1, environment.runner.quit)


class _Reporting(httpx.HTTPTransport):
    """The phone's network: every request the device makes, in Locust's statistics."""

    def __init__(self, environment: Environment) -> None:
        super().__init__()
        self.environment = environment

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        name = _IDS.sub("/:id", request.url.path)
        try:
            response = super().handle_request(request)
            response.read()
        except Exception as exc:
            self._fire(request.method, name, started, 0, exc)
            raise
        failed = None if response.status_code < 500 else RuntimeError(response.status_code)
        self._fire(request.method, name, started, len(response.content), failed)
        return response

    def _fire(self, method: str, name: str, started: float, size: int, exc) -> None:
        self.environment.events.request.fire(
            request_type=method,
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=size,
            exception=exc,
            context={},
        )


class SimulatedDevice(User):
    """A user that runs the plan's devices one after another until its share is done.

    Each user has its own connection to the server (its own clock, its own phone numbers):
    the devices it runs never share a phone with another user's."""

    def on_start(self) -> None:
        self.server = RemoteHost(self.environment.host)
        self.server.transport = _Reporting(self.environment)
        FLEET.ready.wait()

    @task
    def run_next_device(self) -> None:
        if not FLEET.mine:
            raise StopUser()
        spec = FLEET.mine.pop(0)
        try:
            result = run_device(spec, self.server)
        except Exception as exc:  # never lose a device: the master waits for every one
            result = lost_device(spec, DeviceError.of("locust", exc))
        runner = self.environment.runner
        if isinstance(runner, WorkerRunner):
            runner.send_message(DEVICE, dataclasses.asdict(result))
        else:
            _collect(self.environment, result)
