"""Headers every answer carries, so that a browser or a proxy never does more with it than
the API means.

- ``X-Content-Type-Options: nosniff``: an image or a JSON body is never run as a script.
- ``Referrer-Policy: no-referrer``: no URL of ours travels to another site.
- ``Content-Security-Policy``: JSON may load nothing; the HTML of the API docs only its
  own scripts and styles; neither may be framed (``frame-ancestors 'none'``, with
  ``X-Frame-Options: DENY`` for older browsers).
- ``Cache-Control: no-store`` on every answer except the public ones (policy documents,
  the OpenAPI document and its viewer): nothing personal stays in a shared cache or on a
  shared computer's disk, errors included.
"""

from __future__ import annotations

from flask import Flask, Response, request

# Blueprints whose answers are the same for everyone and hold nothing personal: the
# published policies, the OpenAPI document, its viewer and the viewer's files.
PUBLIC_BLUEPRINTS = frozenset({"policy", "api-docs", "swagger_ui_files"})

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# The docs viewer loads Swagger UI's script and style (served here, or from wherever
# OPENAPI_SWAGGER_UI_URL points) and runs one inline script that starts it.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'{ui}; style-src 'self'{ui}; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def _docs_policy(app: Flask) -> str:
    ui = app.config.get("OPENAPI_SWAGGER_UI_URL") or ""
    origin = " " + "/".join(ui.split("/")[:3]) if ui.startswith("http") else ""
    return DOCS_POLICY.format(ui=origin)


def harden(response: Response) -> Response:
    """Add the headers to one answer (an ``after_request`` hook)."""
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    if response.mimetype == "text/html":
        from flask import current_app

        headers["Content-Security-Policy"] = _docs_policy(current_app)
    else:
        headers["Content-Security-Policy"] = API_POLICY
    if request.blueprint not in PUBLIC_BLUEPRINTS or response.status_code >= 400:
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
        headers.pop("Last-Modified", None)
        headers.pop("ETag", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(harden)
