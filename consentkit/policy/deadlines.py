"""When a promised deadline falls: working days on a holiday calendar, days, months.

Working days follow the manifest's calendar with the ``holidays`` package, which knows
China's make-up working days (a Saturday that is worked is a working day). Months are
calendar months: 31 January + 1 month is the last day of February.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache

import holidays
import isodate

from .manifest import Deadline

__all__ = ["due", "is_working_day"]


@cache
def _calendar(country: str | None, year: int):
    if not country:
        return None
    return holidays.country_holidays(country, years=range(year - 1, year + 3))


def is_working_day(day: date, country: str | None) -> bool:
    """Monday to Friday without holidays; a calendar may add worked weekend days."""
    cal = _calendar(country, day.year)
    if cal is None:
        return day.weekday() < 5
    return cal.is_working_day(day)


def due(
    start: datetime,
    deadline: Deadline,
    calendar: str | None = None,
    extension: Deadline | None = None,
) -> datetime:
    """The moment a request made at ``start`` must be done by (end of the due day)."""
    day = _add(start.date(), deadline, calendar)
    if extension is not None:
        day = _add(day, extension, calendar)
    end_of_day = datetime.combine(day, datetime.max.time().replace(microsecond=0))
    return end_of_day.replace(tzinfo=start.tzinfo)


def _add(day: date, deadline: Deadline, calendar: str | None) -> date:
    if deadline.unit == "days":
        return day + timedelta(days=deadline.within)
    if deadline.unit == "months":
        return day + isodate.Duration(months=deadline.within)
    if deadline.unit == "working_days":
        left = deadline.within
        while left:
            day += timedelta(days=1)
            if is_working_day(day, calendar):
                left -= 1
        return day
    raise ValueError(f"unknown deadline unit {deadline.unit!r}")
