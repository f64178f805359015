"""SDK fixtures: the real server in-process, and a transport that can go offline."""

from __future__ import annotations

import httpx
import pytest

from consentkit.device_sdk import ConsentKit, DeviceStore, in_process
from consentkit.device_sdk.testing import ScriptedPhone, ScriptedUI, VirtualClock
from consentkit.server.extensions import limiter
from consentkit.server.models import Base
from tests.server.conftest import make_app, publish_all


class SwitchableTransport(httpx.BaseTransport):
    """The in-process server behind a switch, counting what reaches it."""

    def __init__(self, app) -> None:
        self.inner = in_process(app)
        self.online = True
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.online:
            raise httpx.ConnectError("offline", request=request)
        self.requests.append(request)
        return self.inner.handle_request(request)


@pytest.fixture
def clock():
    return VirtualClock()


@pytest.fixture
def server(tmp_path, clock):
    app = make_app(f"sqlite:///{tmp_path / 'sdk.sqlite'}", tmp_path / "instance")
    app.extensions["consentkit.clock"] = clock.now  # one world clock for phone and server
    Base.metadata.create_all(app.extensions["consentkit.engine"])
    limiter.reset()
    publish_all(app)
    yield app
    app.extensions["consentkit.engine"].dispose()


@pytest.fixture
def transport(server):
    return SwitchableTransport(server)


@pytest.fixture
def make_sdk(transport, clock):
    """An SDK on a scripted phone, talking to the in-process server."""

    def build(os_name="android", os_version=14, answers=(), app_id="fieldnotes", **ui):
        phone = ScriptedPhone(os_name, os_version, answers=answers, app_id=app_id, clock=clock)
        sdk = ConsentKit(app_id, phone, ScriptedUI(**ui), transport=transport, store=DeviceStore())
        return sdk, phone

    return build


def register(sdk, phone_number: str, birth_date: str | None = None):
    sdk.client.send_code(phone_number)
    code = sdk.client.dev_outbox(phone_number)[0]["body"].split("code is ")[1][:6]
    return sdk.register(phone_number, code, "correct horse 1", birth_date=birth_date)


@pytest.fixture
def make_sdk_flow(make_sdk):
    return make_sdk
