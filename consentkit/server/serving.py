"""How ``consentkit serve`` runs the API: gunicorn workers, and one jobs runner beside them.

The API runs in gunicorn's worker processes, each building its own app (its own database
connections). Background jobs (exports, purges, retention) must run exactly once however
many workers there are, so they run in one separate process — ``consentkit jobs run
--every N`` — that the gunicorn master starts when it is ready and stops when it exits.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from .config_checks import worker_count_problem
from .logs import GUNICORN_SETTINGS

__all__ = ["GunicornServer", "worker_count_problem"]


class GunicornServer(BaseApplication):
    """gunicorn, configured from Python: ``GunicornServer(options, jobs_every).run()``.

    ``options`` are gunicorn settings (``bind``, ``workers``, ``threads``, …). Every worker
    calls ``load`` and builds its own app from the environment, as ``wsgi.py`` does."""

    def __init__(self, options: Mapping[str, Any], *, jobs_every: int = 0) -> None:
        self.options = dict(options)
        self.jobs_every = jobs_every
        self._jobs: subprocess.Popen | None = None
        super().__init__()

    def load_config(self) -> None:
        # No control socket: it lives at one path per user, and a second server would
        # take it over (older gunicorn releases have no such setting).
        # JSON logs with personal data redacted, the access log included (``logs``).
        options = {"control_socket_disable": True, **GUNICORN_SETTINGS, **self.options}
        for name, value in options.items():
            if name in self.cfg.settings:
                self.cfg.set(name, value)
        self.cfg.set("when_ready", self._start_jobs)
        self.cfg.set("on_exit", self._stop_jobs)

    def load(self) -> Flask:
        from . import create_app

        return create_app()

    def _start_jobs(self, arbiter) -> None:
        """One jobs runner for the whole server, started once the workers are up."""
        if self.jobs_every <= 0:
            return
        command = [sys.executable, "-m", "consentkit.cli", "jobs", "run"]
        self._jobs = subprocess.Popen([*command, "--every", str(self.jobs_every)])
        arbiter.log.info("jobs runner started (pid %s), every %ss", self._jobs.pid, self.jobs_every)

    def _stop_jobs(self, arbiter) -> None:
        if self._jobs is not None and self._jobs.poll() is None:
            self._jobs.terminate()
            try:
                self._jobs.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._jobs.kill()
