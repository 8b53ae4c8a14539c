"""Parking an inquiry until a date: it comes back on a working day, at 09:00 London."""

import datetime as dt

import holidays
import pytest
import time_machine
from django.urls import reverse

from hubportal.models import Reminder
from hubportal.reminders import reminders_send
from hubportal.workdays import LONDON
from intake import services
from intake.models import Inquiry
from tests.conftest import sign_in_staff
from tests.factories import DraftFactory

# Monday 21 December 2026. Christmas Day is Friday 25, Boxing Day Saturday 26, so the Boxing Day bank
# holiday moves to Monday 28: an inquiry parked until Saturday 26 is back on Tuesday 29.
BEFORE_CHRISTMAS = dt.datetime(2026, 12, 21, 10, 0, tzinfo=LONDON)
SATURDAY = dt.date(2026, 12, 26)
BACK = dt.datetime(2026, 12, 29, 9, 0, tzinfo=LONDON)


def test_it_relies_on_the_holidays_package_moving_boxing_day_2026_to_monday_28():
    england = holidays.country_holidays("GB", subdiv="ENG", years=2026)
    assert england.get(dt.date(2026, 12, 28)) == "Boxing Day (observed)"


@pytest.mark.django_db
def test_it_brings_an_inquiry_parked_until_a_holiday_weekend_back_on_the_next_working_day(
        client, hub, submitter, hub_lead, outbox, django_capture_on_commit_callbacks):
    with time_machine.travel(BEFORE_CHRISTMAS, tick=False):
        # The submission's follow-up (acknowledgement, triage reminders) runs on commit, as in production.
        with django_capture_on_commit_callbacks(execute=True):
            inquiry = services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=hub), by=submitter)
        lead_client = sign_in_staff(client, hub_lead)
        url = reverse("intake:staff_inquiry_decide", args=[hub.slug, inquiry.reference, "park"])
        response = lead_client.post(url, {"version": inquiry.version, "until": SATURDAY.isoformat(),
                                          "reason": "Funding round"}, follow=True)
    # The person parking it is told the day it really comes back.
    assert ("Parked until 26 December 2026. It comes back to the hub on Tuesday 29 December 2026 at 9am"
            in response.content.decode())
    inquiry.refresh_from_db()
    assert inquiry.parked_until == SATURDAY
    reminder = Reminder.objects.get(kind="inquiry.parked")
    assert reminder.due_at.astimezone(LONDON) == BACK

    outbox.clear()
    for moment in (dt.datetime(2026, 12, 26, 9, 0, tzinfo=LONDON), dt.datetime(2026, 12, 28, 17, 0, tzinfo=LONDON)):
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            assert [r for r, _ in reminders_send() if r.kind == "inquiry.parked"] == []
        assert Inquiry.objects.get(pk=inquiry.pk).parked_until == SATURDAY
    with time_machine.travel(BACK, tick=False), django_capture_on_commit_callbacks(execute=True):
        results = reminders_send()
    assert [outcome for r, outcome in results if r.kind == "inquiry.parked"] == ["unparked; sent to 1"]
    assert Inquiry.objects.get(pk=inquiry.pk).parked_until is None
    assert [m.subject for m in outbox] == [f"{inquiry.reference} is back from parking"]


@pytest.mark.django_db
def test_it_brings_an_inquiry_parked_until_a_working_day_back_that_day_at_nine(hub, submitter, hub_lead):
    with time_machine.travel(BEFORE_CHRISTMAS, tick=False):
        inquiry = services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=hub), by=submitter)
        services.inquiry_park(inquiry=inquiry, by=hub_lead, until=dt.date(2026, 12, 24), reason="",
                              version=inquiry.version)
    reminder = Reminder.objects.get(kind="inquiry.parked")
    assert reminder.due_at.astimezone(LONDON) == dt.datetime(2026, 12, 24, 9, 0, tzinfo=LONDON)
