"""Schemathesis against our own OpenAPI: any request the schema allows — and many it does
not — gets an answer below 500, and every error is a problem detail."""

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from consentkit.server.models import Base

from .conftest import EVERY_PURPOSE, Api, make_app, publish_all

_folder = Path(tempfile.mkdtemp(prefix="consentkit-fuzz-"))
APP = make_app(
    f"sqlite:///{_folder / 'fuzz.sqlite'}", _folder / "instance", RATELIMIT_ENABLED=False
)
Base.metadata.create_all(APP.extensions["consentkit.engine"])
publish_all(APP)
_api = Api(APP.test_client())
_tokens = _api.register()
_api.consent(
    _tokens["access_token"],
    purposes=dict(EVERY_PURPOSE),
)
AUTH = {"Authorization": f"Bearer {_tokens['access_token']}"}
APP.test_client().post("/api/v1/orgs", json={"name": "Fuzz"}, headers=AUTH)

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(case):
    if case.path in ("/api/v1/auth/logout", "/api/v1/me/cancellation"):
        case.headers = {
            **(case.headers or {}),
            "Authorization": "Bearer not-ours",
        }  # keep the session
    else:
        case.headers = {**(case.headers or {}), **AUTH}
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.text[:300])
    if response.status_code >= 400:
        headers = {k.lower(): v for k, v in response.headers.items()}
        kind = headers.get("content-type", "")
        kind = kind[0] if isinstance(kind, list) else kind
        assert kind.startswith("application/problem+json"), (
            case.method,
            case.path,
            response.status_code,
            kind,
        )
