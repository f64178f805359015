"""Local stand-ins for the outside world a server talks to: an SMS gateway and a mail server.

Both listen on 127.0.0.1 and answer from a script, so a test can make them fail the way
real ones do (503, 429, a slow answer, a deferred recipient) and see every attempt.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .live import free_port


@dataclass
class Gateway:
    """What the fake gateway received, and what it answers next (then 200 for ever)."""

    url: str
    script: list[int | tuple[str, float]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def texts(self) -> list[str]:
        return [r["json"]["text"] for r in self.requests if r["json"]]

    def code(self) -> str:
        """The code in the last message that got through."""
        return self.texts()[-1].split("code is ")[1][:6]


@contextmanager
def sms_gateway(script: list[int | tuple[str, float]] | None = None) -> Iterator[Gateway]:
    """A gateway at ``gateway.url``; ``script`` items are statuses or ("sleep", seconds)."""
    port = free_port()
    gateway = Gateway(f"http://127.0.0.1:{port}/send", list(script or []))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                step = gateway.script.pop(0) if gateway.script else 200
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                gateway.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": body.decode(),
                        "json": parsed,
                        "answered": step,
                    }
                )
            if isinstance(step, tuple):  # too slow: the client gives up first
                time.sleep(step[1])
                step = 200
            payload = b'{"ok": true}'
            try:
                self.send_response(step)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except BrokenPipeError:  # the client stopped waiting, as it should
                pass

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class MailServer:
    """What the fake SMTP server accepted; ``script`` holds replies to DATA before a 250."""

    host: str
    port: int
    script: list[str] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    attempts: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)

    def code(self) -> str:
        body = self.messages[-1].get_payload(decode=True).decode()
        return body.split("code is ")[1][:6]


@contextmanager
def mail_server(script: list[str] | None = None, *, password: str | None = None):
    """An SMTP server on 127.0.0.1 (plain, no TLS); with ``password``, AUTH is required."""
    server = MailServer("127.0.0.1", free_port(), list(script or []))

    class Handler:
        async def handle_DATA(self, smtp, session, envelope) -> str:
            server.attempts += 1
            if server.script:
                return server.script.pop(0)
            server.messages.append(message_from_bytes(envelope.content))
            return "250 OK"

    def authenticate(smtp, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == password
        if ok:
            server.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=ok)

    options: dict[str, Any] = {}
    if password is not None:
        options = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
    controller = Controller(Handler(), hostname=server.host, port=server.port, **options)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
