"""Durations and deadline units of the manifest.

Retention and cooldowns are ISO-8601 durations (``P7D``, ``P3Y``, ``PT48H``) or one of
three words; deadlines are a number and a unit. Parsing lives here so that the
manifest validator, the server's jobs and the SDK's cooldowns agree.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import isodate

__all__ = [
    "DEADLINE_UNITS",
    "DURATION_WORDS",
    "DurationError",
    "add_duration",
    "parse_duration",
    "to_timedelta",
]

DURATION_WORDS = frozenset({"session", "until_withdrawn", "until_account_closed"})
DEADLINE_UNITS = frozenset({"days", "working_days", "months"})


class DurationError(ValueError):
    """A duration that is neither ISO-8601 nor one of the words."""


def parse_duration(text: str, *, words: bool = True) -> timedelta | isodate.Duration | str:
    """Parse a manifest duration; words come back as themselves."""
    if not isinstance(text, str):
        raise DurationError(f"expected an ISO-8601 duration such as P7D, got {text!r}")
    return _parse(text, words)


@lru_cache(maxsize=512)
def _parse(text: str, words: bool) -> timedelta | isodate.Duration | str:
    """Cached: a manifest names a handful of durations, read for every item collected."""
    if words and text in DURATION_WORDS:
        return text
    if not text.startswith("P"):
        allowed = ", ".join(sorted(DURATION_WORDS)) if words else ""
        hint = f" or one of {allowed}" if allowed else ""
        raise DurationError(f"{text!r} is not an ISO-8601 duration (e.g. P7D, PT48H){hint}")
    try:
        value = isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError) as exc:
        raise DurationError(f"{text!r} is not an ISO-8601 duration (e.g. P7D, PT48H)") from exc
    if to_timedelta(value, reference=datetime(2000, 1, 1)) < timedelta(0):
        raise DurationError(f"{text!r} is negative")
    return value


def add_duration(moment: datetime | date, text: str) -> datetime | date | None:
    """When a duration starting at ``moment`` ends; None for the open-ended words."""
    value = parse_duration(text)
    if isinstance(value, str):
        return None
    return moment + value


def to_timedelta(value: timedelta | isodate.Duration, *, reference: datetime) -> timedelta:
    """A calendar duration (months, years) measured from ``reference``."""
    if isinstance(value, timedelta):
        return value
    return (reference + value) - reference
