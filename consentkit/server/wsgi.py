"""WSGI entry point for gunicorn: ``gunicorn 'consentkit.server.wsgi:app'``.

Run ``consentkit db upgrade`` and publish manifests before starting workers.
"""

from . import create_app

app = create_app()
