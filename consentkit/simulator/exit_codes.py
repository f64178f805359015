"""The exit codes of the commands that judge apps (``simulate``, ``demo``, ``audit``).

CI scripts branch on them, so each outcome has its own code and they never change:

| code | meaning |
|---|---|
| 0 | clean: every app behaved as expected |
| 1 | findings: an app broke a rule it should keep (or a misbehaving app was not caught) |
| 2 | bad input: a file, an option or a name could not be used; nothing ran |
| 3 | devices errored: app code raised, or a step could not run |

A run with errored devices exits 3 even when it has findings too: it did not happen as
written, so its findings are incomplete. The summary names both.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

__all__ = ["ExitCode", "for_summary"]


class ExitCode(IntEnum):
    CLEAN = 0
    FINDINGS = 1
    BAD_INPUT = 2
    DEVICE_ERRORS = 3


def for_summary(summary: dict[str, Any]) -> ExitCode:
    """The code of a report's summary (``build``'s ``summary``)."""
    if summary.get("errored_devices"):
        return ExitCode.DEVICE_ERRORS
    if not summary["passed"]:
        return ExitCode.FINDINGS
    return ExitCode.CLEAN
