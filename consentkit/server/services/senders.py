"""Where one-time codes and notices go: an HTTP SMS gateway, SMTP, or the development outbox.

A message that cannot be delivered is never dropped quietly: each sender retries what may
pass on a second try (timeouts, refused connections, HTTP 429 and 5xx, SMTP 4xx) a few
times with jittered exponential back-off, and then raises a 503 ``sender_unavailable``
problem. The caller's transaction is rolled back with it — no code is stored that nobody
received — and the client is told to try again later.

Retries come from tenacity: httpx's transport retries cover only failed connections, while
a gateway answering 503 or timing out mid-request needs the same treatment, and SMTP too.
Log lines name the gateway's answer, never the phone number or the text.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from string import Template
from typing import Any, Protocol
from urllib.parse import quote

import httpx
from sqlalchemy.orm import Session
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from ..models import OutboxMessage
from ..problems import Problem

__all__ = [
    "HttpSmsGateway",
    "OutboxSender",
    "RefusingSender",
    "Sender",
    "SenderConfigError",
    "SmtpSender",
    "from_config",
]

log = logging.getLogger(__name__)

# Seconds a client is asked to wait before trying again after a failed delivery.
RETRY_AFTER = 30
# Placeholders a body or address template may use.
PLACEHOLDERS = {"phone", "digits", "text", "kind"}
SUBJECTS = {"otp.login": "Your login code", "otp.verify": "Your verification code"}


class Sender(Protocol):
    """Delivers ``text`` to ``phone``; raises a 503 problem when it cannot."""

    def send(self, db: Session, phone: str, kind: str, text: str) -> None: ...


class SenderConfigError(ValueError):
    """A sender setting cannot work; the message names the setting."""


class Transient(Exception):
    """A failure that a later attempt may not meet."""


class Refused(Exception):
    """The other side refused the message for good; retrying would not help."""


def unavailable(detail: str) -> Problem:
    return Problem(503, "sender_unavailable", detail, headers={"Retry-After": str(RETRY_AFTER)})


def _retrying(attempts: int, what: str) -> Retrying:
    """``attempts`` tries of transient failures, waits drawn from a growing window."""

    def note(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning("%s: attempt %d failed (%s); retrying", what, state.attempt_number, error)

    return Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_random_exponential(multiplier=0.25, max=4),
        retry=retry_if_exception(lambda exc: isinstance(exc, Transient)),
        before_sleep=note,
        reraise=True,
    )


def _values(phone: str, kind: str, text: str) -> dict[str, str]:
    return {"phone": phone, "digits": phone.lstrip("+"), "text": text, "kind": kind}


def _check_template(setting: str, template: str) -> Template:
    parsed = Template(template)
    unknown = set(parsed.get_identifiers()) - PLACEHOLDERS
    if not parsed.is_valid() or unknown:
        raise SenderConfigError(
            f"CONSENTKIT_{setting}: use only ${', $'.join(sorted(PLACEHOLDERS))}"
            + (f" (not ${', $'.join(sorted(unknown))})" if unknown else "")
        )
    return parsed


class OutboxSender:
    """Development sender: keeps messages in a table readable at ``/api/v1/dev/outbox``."""

    def send(self, db: Session, phone: str, kind: str, text: str) -> None:
        db.add(OutboxMessage(phone=phone, kind=kind, body=text))


class RefusingSender:
    """Outside development, until a gateway is configured: says so instead of pretending."""

    def send(self, db: Session, phone: str, kind: str, text: str) -> None:
        raise unavailable(
            "No SMS gateway is configured on this server "
            "(CONSENTKIT_SMS_GATEWAY_URL or CONSENTKIT_SMTP_HOST)."
        )


@dataclass
class HttpSmsGateway:
    """A generic HTTP SMS gateway: POST a body made from a template, 2xx means accepted.

    The template's ``$phone``, ``$digits``, ``$text`` and ``$kind`` are escaped for the
    content type: JSON string escapes for JSON, percent-encoding for a form."""

    url: str
    body: str
    content_type: str = "application/json"
    auth_header: str = ""
    timeout: float = 5.0
    attempts: int = 3
    _template: Template = field(init=False, repr=False)
    _client: httpx.Client | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise SenderConfigError("CONSENTKIT_SMS_GATEWAY_URL: an http:// or https:// URL")
        self._template = _check_template("SMS_GATEWAY_BODY", self.body)
        if self.auth_header and ":" not in self.auth_header:
            raise SenderConfigError(
                "CONSENTKIT_SMS_GATEWAY_AUTH_HEADER: 'Name: value', e.g. 'Authorization: Bearer …'"
            )
        if self._is_json():
            try:
                json.loads(self.render("+8613800138000", "otp.login", 'a "quoted"\ntext'))
            except ValueError as exc:
                raise SenderConfigError(
                    f"CONSENTKIT_SMS_GATEWAY_BODY: not JSON once filled in ({exc})"
                ) from None

    def _is_json(self) -> bool:
        kind = self.content_type.split(";")[0].strip().lower()
        return kind == "application/json" or kind.endswith("+json")

    def render(self, phone: str, kind: str, text: str) -> str:
        values = _values(phone, kind, text)
        if self._is_json():
            values = {k: json.dumps(v)[1:-1] for k, v in values.items()}
        elif self.content_type.startswith("application/x-www-form-urlencoded"):
            values = {k: quote(v, safe="") for k, v in values.items()}
        return self._template.substitute(values)

    def _http(self) -> httpx.Client:
        # Made on first use, in the worker process that sends (never across a fork).
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self.timeout)
            return self._client

    def send(self, db: Session, phone: str, kind: str, text: str) -> None:
        headers = {"Content-Type": self.content_type}
        if self.auth_header:
            name, _, value = self.auth_header.partition(":")
            headers[name.strip()] = value.strip()
        content = self.render(phone, kind, text).encode("utf-8")
        try:
            for attempt in _retrying(self.attempts, "SMS gateway"):
                with attempt:
                    self._post(content, headers)
        except (Transient, Refused) as exc:
            log.error("SMS gateway: %s message not delivered: %s", kind, exc)
            raise unavailable("The SMS gateway did not accept the message; try again.") from None

    def _post(self, content: bytes, headers: dict[str, str]) -> None:
        try:
            answer = self._http().post(self.url, content=content, headers=headers)
        except httpx.TimeoutException as exc:
            raise Transient(f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise Transient(f"no connection ({type(exc).__name__})") from None
        if answer.status_code == 429 or answer.status_code >= 500:
            raise Transient(f"HTTP {answer.status_code}")
        if not answer.is_success:
            raise Refused(f"HTTP {answer.status_code}")  # our request is wrong: no retry


@dataclass
class SmtpSender:
    """E-mail through an SMTP server, to an address made from ``to`` (an e-mail-to-SMS
    gateway's ``$digits@sms.example.net``, or a mailbox)."""

    host: str
    sender: str
    to: str
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    username: str = ""
    password: str = ""
    timeout: float = 5.0
    attempts: int = 3
    _to: Template = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.security not in {"starttls", "ssl", "none"}:
            raise SenderConfigError("CONSENTKIT_SMTP_SECURITY: starttls, ssl or none")
        if "@" not in self.sender:
            raise SenderConfigError("CONSENTKIT_SMTP_FROM: the sender's e-mail address")
        if "@" not in self.to:
            raise SenderConfigError(
                "CONSENTKIT_SMTP_TO: the recipient's address, e.g. $digits@sms.example.net"
            )
        self._to = _check_template("SMTP_TO", self.to)

    def message(self, phone: str, kind: str, text: str) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = self._to.substitute(_values(phone, kind, text))
        mail["Subject"] = SUBJECTS.get(kind, "A message from consentkit")
        mail.set_content(text)
        return mail

    def send(self, db: Session, phone: str, kind: str, text: str) -> None:
        mail = self.message(phone, kind, text)
        try:
            for attempt in _retrying(self.attempts, "SMTP"):
                with attempt:
                    self._deliver(mail)
        except (Transient, Refused) as exc:
            log.error("SMTP: %s message not delivered: %s", kind, exc)
            raise unavailable("The mail server did not accept the message; try again.") from None

    def _deliver(self, mail: EmailMessage) -> None:
        try:
            if self.security == "ssl":
                client = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.username:
                    client.login(self.username, self.password)
                client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(400 <= code < 500 for code in codes):
                raise Transient(f"recipient deferred ({codes})") from None
            raise Refused(f"recipient refused ({codes})") from None
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise Transient(f"SMTP {exc.smtp_code}") from None
            raise Refused(f"SMTP {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as exc:  # disconnects, refusals, timeouts
            raise Transient(type(exc).__name__) from None


def from_config(config: Mapping[str, Any]) -> Sender:
    """The sender the settings ask for.

    ``SENDER`` picks one (``http``, ``smtp``, ``outbox``, ``none``); left empty, a
    configured gateway wins, then SMTP, then the outbox in development and test, and
    otherwise a sender that refuses with a 503 — never a quiet no-op."""
    choice = (config.get("SENDER") or "").strip().lower()
    if not choice:
        if config.get("SMS_GATEWAY_URL"):
            choice = "http"
        elif config.get("SMTP_HOST"):
            choice = "smtp"
        elif config.get("ENV") in ("development", "test"):
            choice = "outbox"
        else:
            choice = "none"
    timeout = float(config.get("SENDER_TIMEOUT_SECONDS", 5))
    attempts = int(config.get("SENDER_ATTEMPTS", 3))
    if attempts < 1 or timeout <= 0:
        raise SenderConfigError("CONSENTKIT_SENDER_ATTEMPTS and _TIMEOUT_SECONDS must be > 0")
    if choice == "http":
        return HttpSmsGateway(
            url=config.get("SMS_GATEWAY_URL") or "",
            body=config["SMS_GATEWAY_BODY"],
            content_type=config["SMS_GATEWAY_CONTENT_TYPE"],
            auth_header=config.get("SMS_GATEWAY_AUTH_HEADER") or "",
            timeout=timeout,
            attempts=attempts,
        )
    if choice == "smtp":
        if not config.get("SMTP_HOST"):
            raise SenderConfigError("CONSENTKIT_SMTP_HOST: the mail server's host name")
        return SmtpSender(
            host=config["SMTP_HOST"],
            port=int(config["SMTP_PORT"]),
            security=config["SMTP_SECURITY"],
            username=config.get("SMTP_USERNAME") or "",
            password=config.get("SMTP_PASSWORD") or "",
            sender=config.get("SMTP_FROM") or "",
            to=config.get("SMTP_TO") or "",
            timeout=timeout,
            attempts=attempts,
        )
    if choice == "outbox":
        return OutboxSender()
    if choice == "none":
        return RefusingSender()
    raise SenderConfigError("CONSENTKIT_SENDER: http, smtp, outbox or none")
