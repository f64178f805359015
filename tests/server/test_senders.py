"""Codes outside development: through an HTTP SMS gateway or SMTP, retried, never lost."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from consentkit.server import db
from consentkit.server.models import Incident, OtpCode
from consentkit.server.services.senders import (
    HttpSmsGateway,
    SenderConfigError,
    from_config,
)

from .conftest import Api, grant, new_phone
from .fakes import mail_server, sms_gateway

# The fake mail server checks a password over plain SMTP; aiosmtpd rightly warns about that.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

FAST = {"SENDER_TIMEOUT_SECONDS": 0.5, "SENDER_ATTEMPTS": 3}


def production(app_factory, **settings):
    return app_factory(ENV="production", **FAST, **settings)


def register(client, phone: str, code: str):
    return client.post(
        "/api/v1/auth/register",
        json={"phone": phone, "code": code, "password": "correct horse 1"},
    )


def stored_codes(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(OtpCode))


def test_sign_up_outside_development_through_an_http_gateway(app_factory):
    with sms_gateway() as gateway:
        app = production(
            app_factory,
            SMS_GATEWAY_URL=gateway.url,
            SMS_GATEWAY_AUTH_HEADER="Authorization: Bearer gw-secret",
        )
        client, phone = app.test_client(), new_phone()
        sent = client.post("/api/v1/auth/code", json={"phone": phone})
        assert sent.status_code == 202, sent.json
        (request,) = gateway.requests
        assert request["headers"]["Authorization"] == "Bearer gw-secret"
        assert request["headers"]["Content-Type"] == "application/json"
        assert request["json"]["to"] == phone
        assert register(client, phone, gateway.code()).status_code == 201
        # the development outbox stays closed
        assert client.get("/api/v1/dev/outbox", query_string={"phone": phone}).status_code == 404


def test_busy_or_slow_gateway_is_retried_with_the_same_message(app_factory):
    with sms_gateway([503, ("sleep", 1.5), 200]) as gateway:
        app = production(app_factory, SMS_GATEWAY_URL=gateway.url)
        client, phone = app.test_client(), new_phone()
        assert client.post("/api/v1/auth/code", json={"phone": phone}).status_code == 202
        assert [r["answered"] for r in gateway.requests] == [503, ("sleep", 1.5), 200]
        assert len({r["body"] for r in gateway.requests}) == 1
        assert register(client, phone, gateway.code()).status_code == 201


def test_gateway_down_is_a_503_problem_and_the_earlier_code_still_works(app_factory):
    with sms_gateway() as gateway:
        app = production(app_factory, SMS_GATEWAY_URL=gateway.url)
        client, phone = app.test_client(), new_phone()
        assert client.post("/api/v1/auth/code", json={"phone": phone}).status_code == 202
        first = gateway.code()
        gateway.script[:] = [503, 502, 500]
        down = client.post("/api/v1/auth/code", json={"phone": phone})
        assert down.status_code == 503
        assert down.mimetype == "application/problem+json"
        assert down.json["code"] == "sender_unavailable"
        assert int(down.headers["Retry-After"]) >= 30  # (or the rate limit's, if later)
        assert len(gateway.requests) == 4  # one, then three attempts
        assert stored_codes(app) == 1  # the undelivered code was rolled back
        assert register(client, phone, first).status_code == 201


def test_a_refusing_gateway_is_not_retried(app_factory):
    with sms_gateway([401]) as gateway:
        app = production(app_factory, SMS_GATEWAY_URL=gateway.url)
        r = app.test_client().post("/api/v1/auth/code", json={"phone": new_phone()})
        assert r.status_code == 503 and r.json["code"] == "sender_unavailable"
        assert len(gateway.requests) == 1
        assert stored_codes(app) == 0


def test_no_gateway_listening_is_a_503(app_factory):
    from .live import free_port

    app = production(app_factory, SMS_GATEWAY_URL=f"http://127.0.0.1:{free_port()}/send")
    r = app.test_client().post("/api/v1/auth/code", json={"phone": new_phone()})
    assert r.status_code == 503 and r.json["code"] == "sender_unavailable"


def test_incident_notices_that_cannot_go_out_record_nothing(app_factory):
    """An incident is recorded with its notices sent, or not at all (the admin retries)."""
    with sms_gateway() as gateway:
        app = production(app_factory, SMS_GATEWAY_URL=gateway.url)
        client, phone = app.test_client(), new_phone()
        client.post("/api/v1/auth/code", json={"phone": phone})
        user = register(client, phone, gateway.code()).json
        Api(client).consent(user["access_token"])  # a user of fieldnotes, notified of its breach
        grant(app, user["user"]["id"], "admin")
        gateway.script[:] = [503] * 3
        r = client.post(
            "/api/v1/admin/incidents",
            json={
                "app_id": "fieldnotes",
                "title": "Lost laptop",
                "description": "A laptop with an export was stolen.",
                "categories": ["user.contact.phone"],
                "affected_users": [user["user"]["id"]],
                "detected_at": "2024-01-01T00:00:00Z",
            },
            headers={"Authorization": f"Bearer {user['access_token']}"},
        )
        assert r.status_code == 503 and r.json["code"] == "sender_unavailable"
        with app.app_context():
            assert db.session().scalar(select(func.count()).select_from(Incident)) == 0


def test_body_templates_are_escaped_for_their_content_type():
    text = 'Your code is 123456. "Quoted"\n'
    as_json = HttpSmsGateway("https://sms.example/send", '{"to": "$phone", "msg": "$text"}')
    assert json.loads(as_json.render("+8613800138000", "otp.login", text)) == {
        "to": "+8613800138000",
        "msg": text,
    }
    form = HttpSmsGateway(
        "https://sms.example/send",
        "To=$phone&Body=$text",
        content_type="application/x-www-form-urlencoded",
    )
    rendered = form.render("+8613800138000", "otp.login", "a b&c")
    assert rendered == "To=%2B8613800138000&Body=a%20b%26c"


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"SMS_GATEWAY_BODY": '{"to": "$phone", "pin": "$code"}'}, "SMS_GATEWAY_BODY"),
        ({"SMS_GATEWAY_BODY": '{"to": $phone}'}, "not JSON once filled in"),
        ({"SMS_GATEWAY_URL": "sms.example/send"}, "SMS_GATEWAY_URL"),
        ({"SMS_GATEWAY_AUTH_HEADER": "Bearer x"}, "SMS_GATEWAY_AUTH_HEADER"),
        ({"SENDER": "pigeon"}, "CONSENTKIT_SENDER"),
        ({"SENDER": "smtp", "SMS_GATEWAY_URL": ""}, "SMTP_HOST"),
    ],
)
def test_settings_that_cannot_work_are_refused_by_name(settings, named):
    from consentkit.server.config import defaults

    config = {**defaults("/tmp"), "SMS_GATEWAY_URL": "https://sms.example/send", **settings}
    with pytest.raises(SenderConfigError, match=named):
        from_config(config)


def test_serve_names_a_broken_sender_setting(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from consentkit.cli import main

    monkeypatch.setenv("CONSENTKIT_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("CONSENTKIT_SMS_GATEWAY_URL", "sms.example")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 1
    assert "CONSENTKIT_SMS_GATEWAY_URL" in result.output and "Traceback" not in result.output


def test_sign_up_through_smtp_with_a_deferred_first_try(app_factory):
    with mail_server(["451 4.3.0 try again later"], password="mail-secret") as mail:
        app = production(
            app_factory,
            SMTP_HOST=mail.host,
            SMTP_PORT=mail.port,
            SMTP_SECURITY="none",
            SMTP_USERNAME="consentkit",
            SMTP_PASSWORD="mail-secret",
            SMTP_FROM="codes@consentkit.example",
            SMTP_TO="$digits@sms.example.net",
        )
        client, phone = app.test_client(), new_phone()
        assert client.post("/api/v1/auth/code", json={"phone": phone}).status_code == 202
        assert mail.attempts == 2
        (message,) = mail.messages
        assert message["To"] == f"{phone.lstrip('+')}@sms.example.net"
        assert message["From"] == "codes@consentkit.example"
        assert message["Subject"] == "Your login code"
        assert mail.logins == [("consentkit", "mail-secret")] * 2
        assert register(client, phone, mail.code()).status_code == 201


def test_smtp_refusal_is_a_503_without_retries(app_factory):
    with mail_server(["550 5.1.1 no such mailbox"]) as mail:
        app = production(
            app_factory,
            SMTP_HOST=mail.host,
            SMTP_PORT=mail.port,
            SMTP_SECURITY="none",
            SMTP_FROM="codes@consentkit.example",
            SMTP_TO="$digits@sms.example.net",
        )
        r = app.test_client().post("/api/v1/auth/code", json={"phone": new_phone()})
        assert r.status_code == 503 and r.json["code"] == "sender_unavailable"
        assert mail.attempts == 1 and mail.messages == []
