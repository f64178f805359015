from datetime import UTC, date, datetime

import pytest

from consentkit.policy.deadlines import due, is_working_day
from consentkit.policy.manifest import Deadline


def at(*ymd):
    return datetime(*ymd, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "deadline", "calendar", "expected"),
    [
        # Friday + 1 working day skips the weekend
        (at(2026, 3, 6), Deadline(1, "working_days"), None, date(2026, 3, 9)),
        # 7 working days from Thursday 24 Sep 2026 across China's National Day week
        (at(2026, 9, 24), Deadline(7, "working_days"), "CN", date(2026, 10, 12)),
        # a Saturday worked in China (Spring Festival make-up day) counts
        (at(2026, 2, 13), Deadline(1, "working_days"), "CN", date(2026, 2, 14)),
        (at(2026, 1, 31), Deadline(1, "months"), None, date(2026, 2, 28)),
        (at(2028, 1, 31), Deadline(1, "months"), None, date(2028, 2, 29)),
        (at(2026, 12, 25), Deadline(15, "days"), None, date(2027, 1, 9)),
    ],
)
def test_due_dates(start, deadline, calendar, expected):
    moment = due(start, deadline, calendar)
    assert moment.date() == expected
    assert moment.tzinfo is UTC and (moment.hour, moment.minute) == (23, 59)


def test_extension_is_added_after_the_deadline():
    moment = due(at(2026, 1, 31), Deadline(1, "months"), None, extension=Deadline(2, "months"))
    assert moment.date() == date(2026, 4, 28)


def test_working_day_calendar():
    assert not is_working_day(date(2026, 10, 1), "CN")  # National Day
    assert is_working_day(date(2026, 2, 14), "CN")  # a worked Saturday
    assert not is_working_day(date(2026, 2, 14), None)
