"""Logs that hold no personal data: one JSON object a line, with personal values redacted.

The API keeps personal data out of URLs (coordinates travel in request bodies) and never
logs a body. What can still reach a log line — a query string a client chose to send, a
malformed request line gunicorn complains about, a value inside an exception — passes
through ``Redact`` before any handler writes it:

- a query string becomes ``?[redacted]`` (gunicorn's access log keeps the method, the path
  and the status, never the query, the referrer's query or a header);
- phone numbers and other long digit runs (IMEI), e-mail addresses, coordinates,
  device identifiers (UUIDs, 16-hex Android ids) are replaced, and client addresses lose
  their last IPv4 octet (their IPv6 interface part);
- fields passed with ``extra=`` whose name is personal (``phone``, ``lat``, …) are
  replaced whole.

Three ways in:

- gunicorn: ``gunicorn -c python:consentkit.server.gunicorn_conf 'consentkit.server.wsgi:app'``
  (``GunicornLogger``: JSON on gunicorn's own error and access logs, wherever
  ``--error-logfile`` / ``--access-logfile`` send them, the app's logs with them);
- any other process (``consentkit serve --dev``, ``jobs run``): ``configure()``;
- a gunicorn started without our config still gets ``Redact`` on every handler
  (``guard_handlers()``, called by ``wsgi.py``): plain text, but nothing personal.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gunicorn import glogging

__all__ = [
    "GUNICORN_SETTINGS",
    "GunicornLogger",
    "JsonFormatter",
    "Redact",
    "configure",
    "guard_handlers",
    "redact",
]

R = "[redacted]"
# (what, pattern, replacement) — applied in this order to every message and traceback.
PATTERNS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("query string", re.compile(r"\?[^\s\"'<>]+"), "?" + R),
    ("e-mail", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[e-mail]"),
    (
        "uuid",
        re.compile(
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
        ),
        "[device-id]",
    ),
    ("android id", re.compile(r"(?<![0-9a-zA-Z])[0-9a-fA-F]{16}(?![0-9a-zA-Z])"), "[device-id]"),
    ("client address", re.compile(r"\b(ip=(?:\d{1,3}\.){3})\d{1,3}\b"), r"\g<1>0"),
    ("coordinate", re.compile(r"(?<![\w.])-?\d{1,3}\.\d{4,}(?![\w.])"), "[coordinate]"),
    ("long number", re.compile(r"(?<![\w.])\+?\d(?:[ \-]?\d){6,}(?![\w.])"), "[number]"),
)
PERSONAL_FIELDS = frozenset(
    {
        "phone",
        "guardian_phone",
        "email",
        "lat",
        "lon",
        "latitude",
        "longitude",
        "location",
        "imei",
        "device_id",
        "install_id",
        "password",
        "code",
        "token",
        "authorization",
        "name",
        "address",
        "payload",
    }
)
# What a LogRecord carries by itself; anything else came with ``extra=``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "http"}


def redact(text: str) -> str:
    """``text`` with every personal-looking value replaced."""
    for _what, pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _mask_client(address: str) -> str:
    if ":" in address:  # IPv6: keep the network, drop the interface
        return ":".join(address.split(":")[:3]) + "::"
    return re.sub(r"\.\d{1,3}$", ".0", address)


class _SafeAtoms(dict):
    """gunicorn's access-log atoms, reduced to what is not personal; anything else a
    format string asks for (a header, the query) is ``-``."""

    def __missing__(self, key: str) -> str:
        return "-"


def _access_atoms(atoms: Mapping[str, Any]) -> tuple[_SafeAtoms, dict[str, Any]]:
    method = str(atoms.get("m") or "-")
    path = redact(str(atoms.get("U") or "-"))
    status = str(atoms.get("s") or "-")
    try:
        duration_ms = round(int(atoms.get("D")) / 1000, 1)
    except (TypeError, ValueError):
        duration_ms = None
    client = _mask_client(str(atoms.get("h") or "-"))
    safe = _SafeAtoms(
        h=client,
        l="-",
        u="-",
        t=atoms.get("t", "-"),
        r=f"{method} {path} {atoms.get('H', '-')}",
        m=method,
        U=path,
        q="",
        H=atoms.get("H", "-"),
        s=status,
        b=atoms.get("b", "-"),
        B=atoms.get("B", "-"),
        f="-",
        a="-",
        T=atoms.get("T", "-"),
        D=atoms.get("D", "-"),
        M=atoms.get("M", "-"),
        L=atoms.get("L", "-"),
        p=atoms.get("p", "-"),
    )
    http = {
        "method": method,
        "path": path,
        "status": int(status) if status.isdigit() else status,
        "bytes": atoms.get("B"),
        "duration_ms": duration_ms,
        "client": client,
    }
    return safe, http


class Redact(logging.Filter):
    """Rewrites a record in place so that no handler can write anything personal."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            record.args, record.http = _access_atoms(record.args)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep its parts, not its values
            message = f"{record.msg!s} (unformattable arguments)"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key in _STANDARD or key.startswith("_"):
                continue
            if key.lower() in PERSONAL_FIELDS:
                setattr(record, key, R)
            elif isinstance(value, str):
                setattr(record, key, redact(value))
        record._redacted = True
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, process, and the access
    log's ``http`` fields or a record's ``extra=`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        http = getattr(record, "http", None)
        if http:
            entry["http"] = http
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value if isinstance(value, int | float | bool) else str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(self.formatException(record.exc_info))
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


def _own(handler: logging.Handler) -> None:
    if not any(isinstance(f, Redact) for f in handler.filters):
        handler.addFilter(Redact())


def configure(level: str | int = "INFO", stream=None) -> logging.Handler:
    """JSON lines with redaction on ``stream`` (stderr) for every logger of the process."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    _own(handler)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)
    return handler


def guard_handlers() -> None:
    """``Redact`` on every handler this process already has (a server configured by
    someone else): whatever the format, nothing personal is written."""
    loggers = [
        logging.getLogger(),
        *map(logging.getLogger, list(logging.Logger.manager.loggerDict)),
    ]
    for logger in loggers:
        for handler in logger.handlers:
            _own(handler)


# gunicorn settings for these logs (``gunicorn_conf`` and ``consentkit serve`` use them);
# ``--access-logfile`` / ``--error-logfile`` still choose where they go.
GUNICORN_SETTINGS: dict[str, Any] = {
    "logger_class": "consentkit.server.logs.GunicornLogger",
    "accesslog": "-",
    "errorlog": "-",
    "access_log_format": "%(m)s %(U)s %(s)s %(M)sms",
}


class GunicornLogger(glogging.Logger):
    """gunicorn's logger, writing JSON lines through ``Redact`` to wherever gunicorn's
    settings send its error and access logs; the app's own logs go with the error log."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        formatter = JsonFormatter()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)
                _own(handler)
        root = logging.getLogger()
        root.handlers = list(self.error_log.handlers)
        root.setLevel(self.loglevel)
        logging.captureWarnings(True)
