"""The phone's network: every request an app makes passes through it, and what a request
carries is recorded before it leaves the phone.

The app's server (the simulation's server stands in for the app's own domains) is reached
as configured. Any other host — an analytics SDK's collector, a tracker, a CDN — is one
the app contacted: the phone records a ``net.connect`` for it (once per host) and the
``domain`` of every upload to it, and answers the request itself (``204``), so a
simulation never sends traffic to the real internet.

The SDK's client and an app's own HTTP code use the same ``httpx`` transport, wrapped by
``PhoneNetwork``. For each request that carries personal data (by the shared detector,
``policy.detect``, with the values this phone handed to the app), the phone records a
``net.upload`` per declared purpose in it — endpoint, categories, items, contacts by
identity, photos with GPS — and then a ``net.response`` with the server's answer. An upload
the server refuses is as visible as one it accepts.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import httpx
import yaml

from ..device_sdk.sdk import FEATURE_HEADER, PURPOSE_HEADER
from ..policy.detect import detect_request

if TYPE_CHECKING:
    from .phone import VirtualPhone

__all__ = ["PhoneNetwork", "api_path", "flow_of"]

API_ROOT = "/api/v1/"


@cache
def _table() -> dict[str, Any]:
    text = resources.files("consentkit.simulator").joinpath("data/network.yaml").read_text()
    return yaml.safe_load(text)


def api_path(path: str) -> str:
    """``/api/v1/auth/login`` -> ``auth/login``."""
    return path.split(API_ROOT, 1)[1] if API_ROOT in path else path.lstrip("/")


def flow_of(path: str) -> str | None:
    """The account flow (``sign_in``, ``guardian``) a request belongs to, if any."""
    return _table()["flows"].get(api_path(path).rstrip("/"))


def _harness(path: str) -> bool:
    return any(api_path(path).startswith(prefix) for prefix in _table()["harness"])


def _problem_code(response: httpx.Response) -> str | None:
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


class PhoneNetwork(httpx.BaseTransport):
    """An ``httpx`` transport that observes, then hands the request to the real one."""

    def __init__(
        self,
        phone: VirtualPhone,
        inner: httpx.BaseTransport | None = None,
        *,
        server: str | None = None,
    ) -> None:
        self.phone = phone
        self.inner = inner or httpx.HTTPTransport()
        self.server = httpx.URL(server).host if server else None
        self.contacted: set[str] = set()
        self.requests = 0

    def _elsewhere(self, request: httpx.Request) -> str | None:
        """The host of a request to anywhere but the app's server (None: the server)."""
        host = request.url.host
        if self.server is None or host == self.server:
            return None
        if host not in self.contacted:
            self.contacted.add(host)
            self.phone.tracer.emit("net.connect", source="network", domain=host, initiated="app")
        return host

    def _send(self, request: httpx.Request, elsewhere: str | None) -> httpx.Response:
        if elsewhere is not None:
            return httpx.Response(204, request=request)  # the simulated internet answers
        return self.inner.handle_request(request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        elsewhere = self._elsewhere(request)
        if elsewhere is None and _harness(path):
            return self.inner.handle_request(request)
        body = request.read()
        found = detect_request(
            request.method,
            str(request.url),
            request.headers.get("content-type"),
            body,
            self.phone.known,
        )
        if not found.parts:
            return self._send(request, elsewhere)
        self.requests += 1
        number = self.requests
        feature, purpose = request.headers.get(FEATURE_HEADER), request.headers.get(PURPOSE_HEADER)
        for part in found.parts:
            if not (part.feature or part.purpose) and (feature or purpose):
                part.feature, part.purpose = feature, purpose  # declared by the SDK's headers
            flow = flow_of(path) if elsewhere is None else None
            self.phone.record_upload(number, request.method, path, part, flow, domain=elsewhere)
        tracer = self.phone.tracer
        try:
            response = self._send(request, elsewhere)
        except httpx.TransportError as exc:
            tracer.emit("net.response", source="network", request=number, error=type(exc).__name__)
            raise
        response.read()
        code = _problem_code(response)
        tracer.emit(
            "net.response",
            source="network",
            request=number,
            status=response.status_code,
            **({"code": code} if code else {}),
        )
        return response

    def close(self) -> None:
        self.inner.close()
