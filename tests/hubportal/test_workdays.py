import datetime as dt

import pytest

from hubportal.workdays import (
    LONDON,
    add_working_days,
    end_of_day,
    is_working_day,
    working_days_between,
)

D = dt.date


def test_weekends_and_bank_holidays_are_not_working_days():
    assert not is_working_day(D(2026, 11, 21))  # Saturday
    assert not is_working_day(D(2026, 12, 25))  # Christmas Day
    assert not is_working_day(D(2026, 12, 28))  # Boxing Day (substitute), a Monday
    assert not is_working_day(D(2027, 3, 29))  # Easter Monday
    assert is_working_day(D(2026, 11, 23))


def test_adding_working_days_skips_weekends():
    assert add_working_days(D(2026, 11, 20), 5) == D(2026, 11, 27)  # Friday -> next Friday


def test_adding_working_days_skips_christmas_and_the_substitute_boxing_day():
    # Wed 23 Dec 2026 + 3: Thu 24, (Fri 25, Sat, Sun, Mon 28 off) Tue 29, Wed 30.
    assert add_working_days(D(2026, 12, 23), 3) == D(2026, 12, 30)


def test_something_arriving_at_the_weekend_starts_counting_on_monday():
    assert add_working_days(D(2026, 11, 21), 0) == D(2026, 11, 23)
    assert add_working_days(D(2026, 11, 21), 1) == D(2026, 11, 24)


def test_daylight_saving_changes_do_not_move_a_deadline():
    # Clocks go back at 02:00 on Sunday 25 October 2026; a late-evening arrival is still Friday.
    friday_night = dt.datetime(2026, 10, 23, 23, 30, tzinfo=LONDON)
    assert add_working_days(friday_night, 5) == D(2026, 10, 30)
    # The same moment expressed in UTC is already Friday 22:30: the same London date, same answer.
    assert add_working_days(friday_night.astimezone(dt.UTC), 5) == D(2026, 10, 30)
    # 23:30 UTC on Friday 27 March 2026 is Friday in London (GMT); the clocks change on Sunday.
    assert add_working_days(dt.datetime(2026, 3, 27, 23, 30, tzinfo=dt.UTC), 1) == D(2026, 3, 30)
    # 23:30 UTC on Sunday 29 March 2026 is already Monday 00:30 in London (BST).
    assert add_working_days(dt.datetime(2026, 3, 29, 23, 30, tzinfo=dt.UTC), 0) == D(2026, 3, 30)


@pytest.mark.parametrize("start, end, expected", [
    (D(2026, 11, 20), D(2026, 11, 27), 5),
    (D(2026, 11, 23), D(2026, 11, 23), 0),
    (D(2026, 12, 23), D(2026, 12, 30), 3),
    (D(2026, 12, 30), D(2026, 12, 23), -3),
    (D(2026, 1, 1), D(2027, 1, 1), 253),  # 261 weekdays less 8 bank holidays
])
def test_working_days_between_counts_like_adding(start, end, expected):
    assert working_days_between(start, end) == expected


def test_working_days_between_agrees_with_adding_for_every_start_in_a_year():
    start = D(2026, 1, 1)
    for offset in range(365):
        day = start + dt.timedelta(days=offset)
        for n in (1, 3, 5, 10):
            due = add_working_days(day, n)
            first = add_working_days(day, 0)
            assert working_days_between(first, due) == n, (day, n)


def test_the_end_of_a_day_is_in_london_time_whatever_the_season():
    assert end_of_day(D(2026, 7, 1)).utcoffset() == dt.timedelta(hours=1)
    assert end_of_day(D(2026, 12, 1)).utcoffset() == dt.timedelta(0)
