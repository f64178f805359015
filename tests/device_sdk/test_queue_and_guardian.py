"""The offline queue (retry, backoff, idempotency) and a minor's guardian flow, via the SDK."""

import httpx
from sqlalchemy import func, select

from consentkit.device_sdk import ConsentKit, DeviceStore
from consentkit.device_sdk.testing import ScriptedPhone, ScriptedUI
from consentkit.server import db
from consentkit.server.models import CollectedItem

from .conftest import register


def _stored(server) -> int:
    with server.app_context():
        return db.session().scalar(select(func.count()).select_from(CollectedItem))


def _located_sdk(make_sdk):
    sdk, phone = make_sdk(answers=["allow"], purposes=["customer_positioning"])
    sdk.start()
    register(sdk, "+8613800000301")
    with sdk.feature("add_customer"):
        sdk.request_permission("location.precise", "add_customer")
        assert sdk.location.locate("add_customer", "customer_positioning").ok
    return sdk, phone


def test_offline_flush_backs_off_and_sends_later(make_sdk, transport, server, clock):
    sdk, _ = _located_sdk(make_sdk)
    transport.online = False
    assert sdk.flush() == {"sent": 0, "accepted": 0, "queued": 1}
    transport.online = True
    assert sdk.flush()["sent"] == 0  # backing off: not due yet
    clock.advance(seconds=31)
    assert sdk.flush() == {"sent": 1, "accepted": 1, "queued": 0}
    assert _stored(server) == 1


def test_a_rate_limited_flush_waits_as_long_as_the_server_asks(make_sdk, transport, server, clock):
    sdk, _ = _located_sdk(make_sdk)
    inner = transport.handle_request

    def limited(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/collect"):
            problem = {
                "type": "x",
                "title": "Rate limited",
                "status": 429,
                "detail": "wait",
                "code": "rate_limited",
            }
            return httpx.Response(429, json=problem, headers={"Retry-After": "600"})
        return inner(request)

    transport.handle_request = limited
    assert sdk.flush() == {"sent": 0, "accepted": 0, "queued": 1}
    transport.handle_request = inner
    clock.advance(seconds=31)  # its own back-off has passed, the server's wait has not
    assert sdk.flush()["sent"] == 0
    clock.advance(seconds=600)
    assert sdk.flush() == {"sent": 1, "accepted": 1, "queued": 0}


def test_a_lost_answer_is_retried_with_the_same_key_and_adds_nothing(
    make_sdk, transport, server, clock
):
    sdk, _ = _located_sdk(make_sdk)
    inner = transport.handle_request

    def lose_answer(request: httpx.Request) -> httpx.Response:
        inner(request)  # the server stores the batch...
        raise httpx.ReadTimeout("answer lost", request=request)  # ...the phone never hears back

    transport.handle_request = lose_answer
    sdk.flush()
    assert _stored(server) == 1
    transport.handle_request = inner
    clock.advance(seconds=31)
    assert sdk.flush()["sent"] == 1
    keys = [
        r.headers["Idempotency-Key"] for r in transport.requests if r.url.path.endswith("/collect")
    ]
    assert len(keys) == 2 and keys[0] == keys[1]
    assert _stored(server) == 1  # no duplicate


def test_minor_waits_for_a_guardian_then_collects(transport, clock, server):
    phone = ScriptedPhone("android", 14, answers=["allow"], app_id="fieldnotes", clock=clock)
    ui = ScriptedUI(purposes=["customer_positioning"], guardian=("+8615000000301", "outbox"))
    sdk = ConsentKit("fieldnotes", phone, ui, transport=transport, store=DeviceStore())
    sdk.start()
    register(sdk, "+8613800000302", birth_date="2016-05-01")
    assert sdk.consents.needs_guardian
    with sdk.feature("add_customer"):
        refused = sdk.location.locate("add_customer", "customer_positioning")
    assert refused.decision.reason == "guardian_required"
    assert sdk.consents.run_guardian_flow() is True
    assert not sdk.consents.needs_guardian
    with sdk.feature("add_customer"):
        sdk.request_permission("location.precise", "add_customer")
        assert sdk.location.locate("add_customer", "customer_positioning").ok
    assert sdk.flush()["accepted"] == 1
    types = [e["type"] for e in phone.tracer.sink.events]
    assert types.index("guardian.consented") < types.index("net.upload")
