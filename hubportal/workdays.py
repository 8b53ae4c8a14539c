"""Working days in England and Wales: weekends and bank holidays from the maintained `holidays` package.

Service levels count whole working days on the calendar in Europe/London. We convert a moment to its
London date first and then count dates, never hours, so a daylight-saving change cannot move a
deadline: a target of 5 working days from a Friday is the next Friday whatever the clocks do.
"""

import bisect
import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


@lru_cache(maxsize=64)
def _bank_holidays(year):
    # England and Wales share one list of bank holidays; the union keeps us right if they ever differ.
    england = holidays.country_holidays("GB", subdiv="ENG", years=year)
    wales = holidays.country_holidays("GB", subdiv="WLS", years=year)
    return frozenset(england) | frozenset(wales)


@lru_cache(maxsize=32)
def _sorted_holidays(first_year, last_year):
    days = set()
    for year in range(first_year, last_year + 1):
        days |= _bank_holidays(year)
    return tuple(sorted(day for day in days if day.weekday() < 5))


def is_bank_holiday(day):
    return day in _bank_holidays(day.year)


def is_working_day(day):
    return day.weekday() < 5 and not is_bank_holiday(day)


def london_date(moment):
    """The calendar date in London of an aware datetime (or a date, returned as it is)."""
    if isinstance(moment, dt.datetime):
        return moment.astimezone(LONDON).date()
    return moment


def add_working_days(start, days):
    """The date `days` working days after `start` (a date or an aware datetime).

    Day 0 is `start` itself if it is a working day, else the next working day; so something that
    arrives on a Saturday with a 1-day target is due on Tuesday (Monday being its first day).
    """
    day = london_date(start)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start, end):
    """Working days from `start` to `end` (dates or aware datetimes): how many working days have
    begun after `start`'s date up to and including `end`'s date. Negative if `end` is earlier.

    Constant time apart from a binary search over bank holidays, so metrics can call it for every
    row of a large hub.
    """
    first, last = london_date(start), london_date(end)
    if last < first:
        return -working_days_between(end, start)
    weekdays = _weekdays_through(last) - _weekdays_through(first)
    holidays_in = _sorted_holidays(first.year, last.year)
    lo = bisect.bisect_right(holidays_in, first)
    hi = bisect.bisect_right(holidays_in, last)
    return weekdays - (hi - lo)


def _weekdays_through(day):
    """Monday-to-Friday days from a fixed Monday up to and including `day`."""
    ordinal = day.toordinal() - dt.date(1, 1, 1).toordinal()  # 0001-01-01 was a Monday
    weeks, rest = divmod(ordinal + 1, 7)
    return weeks * 5 + min(rest, 5)


def end_of_day(day):
    """The last moment of a London calendar day, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=LONDON)
