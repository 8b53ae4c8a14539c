"""`short_date` writes what Django's `date:"j M Y"` writes, for dates and for aware date-times in London time."""

import datetime as dt

import pytest
from django.template import Context, Template

from intake.templatetags.nhs_dates import short_date

LONDON_EDGES = [
    dt.datetime(2026, 3, 28, 23, 59, tzinfo=dt.UTC),   # before the clocks go forward
    dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC),    # 01:30 or 02:30? London says 29 Mar
    dt.datetime(2026, 10, 24, 23, 30, tzinfo=dt.UTC),  # 00:30 on the 25th in London (BST)
    dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC),
    dt.datetime(2028, 2, 29, 12, 0, tzinfo=dt.UTC),
]


@pytest.mark.parametrize("value", [*LONDON_EDGES, dt.date(2026, 9, 1), dt.date(2027, 5, 9), None, ""])
def test_short_date_is_djangos_j_m_y(value):
    ours = Template("{% load nhs_dates %}{{ value|short_date }}").render(Context({"value": value}))
    django = Template('{{ value|date:"j M Y" }}').render(Context({"value": value}))
    assert ours == django


def test_every_month_and_not_a_date():
    assert [short_date(dt.date(2026, month, 5)) for month in (1, 6, 9, 12)] == [
        "5 Jan 2026", "5 Jun 2026", "5 Sep 2026", "5 Dec 2026"]
    assert short_date("not a date") == ""
