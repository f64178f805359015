"""consentkit server: a Flask JSON API that enforces the policy manifest.

``create_app`` is the only way to get an app: configuration comes from a mapping for
tests, else from ``CONSENTKIT_*`` environment variables, with secrets kept in the
instance folder.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as cfg
from . import config_checks, db, extensions, openapi, problems, response_headers
from .api import register_blueprints

__all__ = ["create_app"]


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, but a body nested too deeply to parse is malformed JSON (a 400), not
    a RecursionError (a 500)."""

    sort_keys = False  # a manifest keeps the order its authors gave it

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, database, API, error handling, and the policies to serve."""
    Flask.json_provider_class = JSONProvider
    app = Flask(__name__, instance_path=os.environ.get("CONSENTKIT_INSTANCE_PATH"))
    defaults = cfg.defaults(app.instance_path)
    app.config.update(defaults)
    if test_config is None:
        app.config.update(cfg.from_environment())
        cfg.coerce(app.config, defaults)
    else:
        app.config.update(test_config)
    for name, value in cfg.load_or_create_secrets(app.instance_path).items():
        app.config.setdefault(name, value)
        if not app.config.get(name):
            app.config[name] = value
    app.config.update(openapi.SETTINGS)
    if int(app.config.get("TRUSTED_PROXIES") or 0) > 0:
        # Behind N reverse proxies, the client's address (rate limits) and scheme come
        # from their X-Forwarded-* headers; without proxies those headers are ignored.
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    db.init_app(app)
    problems.init_app(app)
    response_headers.init_app(app)
    config_checks.init_app(app)
    extensions.init_app(app)
    register_blueprints(app)
    return app
