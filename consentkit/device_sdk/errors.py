"""Every error the SDK raises, as one tree.

ConsentKitError
├── ConfigurationError          the app is built wrong (e.g. an undeclared feature)
├── NotAllowed                  a gate decision said no (carries the Decision)
├── ServerError                 the server answered with a problem detail
│   └── AuthError
└── OfflineError                the server could not be reached (queued work waits)
"""

from __future__ import annotations

from typing import Any


class ConsentKitError(Exception):
    """Base of every SDK error."""


class ConfigurationError(ConsentKitError):
    """The app or its manifest is set up in a way that cannot work."""


class NotAllowed(ConsentKitError):
    """A gate decision refused the action; ``decision.reason`` says why."""

    def __init__(self, decision: Any) -> None:
        super().__init__(f"{decision.reason}: {decision.detail}")
        self.decision = decision


class ServerError(ConsentKitError):
    """The server refused a request with an RFC 9457 problem detail."""

    def __init__(
        self, status: int, problem: dict[str, Any], retry_after: float | None = None
    ) -> None:
        super().__init__(f"{status} {problem.get('code')}: {problem.get('detail')}")
        self.status = status
        self.problem = problem
        self.code = problem.get("code", "")
        self.retry_after = retry_after  # seconds the server asked to wait (429, 503)


class AuthError(ServerError):
    """Not logged in, or the session ended."""


class OfflineError(ConsentKitError):
    """No answer from the server; queued uploads stay queued."""
