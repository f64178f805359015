"""WSGI entry point for gunicorn: ``gunicorn 'consentkit.server.wsgi:app'``.

Run ``consentkit db upgrade`` and publish manifests before starting workers. Several
workers need a shared rate-limit store (Redis); without one a worker refuses to boot,
saying so (see ``config_checks``). ``-c python:consentkit.server.gunicorn_conf`` adds the
JSON logs with personal data redacted (see ``logs``).
"""

from . import create_app, logs
from .config_checks import refuse_unshared_limits

logs.guard_handlers()  # whatever logging gunicorn was given: nothing personal in it
app = create_app()
refuse_unshared_limits(app)
