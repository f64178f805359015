"""gunicorn settings for consentkit, read with ``-c python:consentkit.server.gunicorn_conf``::

    gunicorn -c python:consentkit.server.gunicorn_conf --workers 4 'consentkit.server.wsgi:app'

- Logs: JSON lines, personal data redacted (``consentkit.server.logs``). The access log
  (on stdout unless ``--access-logfile`` says otherwise) has the method, the path without
  its query, the status, the time taken and a masked client address; the error log (stderr
  unless ``--error-logfile``) carries the app's own logs too.
- Several workers need a shared rate-limit store: without one the server refuses to start
  and says why, before any worker is forked (``config_checks``).

Command-line options given after ``-c`` override these.
"""

from consentkit.server import config as _config
from consentkit.server.config_checks import worker_count_problem as _worker_count_problem
from consentkit.server.logs import GUNICORN_SETTINGS as _LOGS

logger_class = _LOGS["logger_class"]
accesslog = _LOGS["accesslog"]
errorlog = _LOGS["errorlog"]
access_log_format = _LOGS["access_log_format"]
# No control socket: it lives at one path per user, and a second server would take it over.
control_socket_disable = True


def on_starting(server) -> None:
    """Refuse several workers counting rate limits each in its own memory."""
    settings = _config.defaults("")
    settings.update(_config.from_environment())
    _config.coerce(settings, _config.defaults(""))
    problem = _worker_count_problem(settings, server.cfg.workers)
    if problem:
        server.log.error(problem)
        raise SystemExit(problem)
