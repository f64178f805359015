"""Settings that cannot work together with the way the server is run.

Rate limits and login back-off count in ``RATELIMIT_STORAGE_URI``. The in-memory store is
one per process: with several worker processes each counts on its own, and N workers let
N times every limit through. So a server with several workers needs a shared store
(Redis), and refuses to run without one:

- ``consentkit serve --workers N`` asks ``worker_count_problem`` before starting;
- ``gunicorn … consentkit.server.wsgi:app`` (any config file, ``GUNICORN_CMD_ARGS`` or
  ``WEB_CONCURRENCY``): the worker refuses to boot (``refuse_unshared_limits``);
- any other server that runs several processes says so in every request's WSGI
  environment (``wsgi.multiprocess``): the app answers 503 and logs why.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, request

from .problems import problem_response

log = logging.getLogger(__name__)


class UnsharedLimits(RuntimeError):
    """Several workers with the in-memory rate-limit store."""


REMEDY = (
    "Set CONSENTKIT_RATELIMIT_STORAGE_URI to Redis (redis://host:6379/0) or run a single worker."
)


def limits_unshared(config: Mapping[str, Any]) -> bool:
    """Whether rate limits are on and counted in this process's memory."""
    return bool(config.get("RATELIMIT_ENABLED", True)) and str(
        config.get("RATELIMIT_STORAGE_URI", "memory://")
    ).startswith("memory://")


def worker_count_problem(config: Mapping[str, Any], workers: int) -> str | None:
    """Why ``workers`` processes cannot share this configuration, or None."""
    if workers <= 1 or not limits_unshared(config):
        return None
    return (
        f"--workers {workers} needs a shared rate-limit store: with the in-memory one "
        f"each worker counts on its own and lets {workers}× the limits through.\n{REMEDY}"
    )


def gunicorn_workers() -> int | None:
    """How many workers the gunicorn command running this process starts, read by
    gunicorn's own configuration loader (arguments, config file, environment); None when
    this process was not started by the ``gunicorn`` command."""
    if Path(sys.argv[0]).name != "gunicorn":
        return None
    from gunicorn.app.wsgiapp import WSGIApplication

    try:
        return int(WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg.workers)
    except (Exception, SystemExit):  # not a command line gunicorn can read: not ours to judge
        return None


def refuse_unshared_limits(app: Flask) -> None:
    """Raise ``UnsharedLimits`` when this process is one of several gunicorn workers
    counting rate limits in memory."""
    workers = gunicorn_workers()
    problem = worker_count_problem(app.config, workers or 1)
    if problem:
        raise UnsharedLimits(problem)


def init_app(app: Flask) -> None:
    """Refuse requests when the WSGI server says it runs several processes and the limits
    are counted in memory."""

    @app.before_request
    def _limits_are_shared():
        if not request.environ.get("wsgi.multiprocess") or not limits_unshared(app.config):
            return None
        log.error(
            "refusing requests: several worker processes count rate limits in memory, "
            "each on its own. %s",
            REMEDY,
        )
        return problem_response(
            503,
            "server_misconfigured",
            "This server runs several processes without a shared rate-limit store; "
            "its operator must configure one.",
        )
