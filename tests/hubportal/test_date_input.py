"""The NHS.UK date input (hubportal.date_input): day, month and year boxes with the design system's
error messages, used wherever a person types a date (issue 9)."""

import datetime as dt
import re

import pytest
import time_machine
from django import forms
from django.urls import reverse

from hubportal.date_input import DateInputField
from intake import services
from tests.factories import DraftFactory


class PeriodForm(forms.Form):
    until = DateInputField(label="Until")


def typed(day="", month="", year=""):
    return {"until_day": day, "until_month": month, "until_year": year}


@pytest.mark.parametrize(("boxes", "message", "marked"), [
    (typed(), "Enter the date", {"day", "month", "year"}),
    (typed(month="3", year="2027"), "Date must include a day", {"day"}),
    (typed(day="27", year="2027"), "Date must include a month", {"month"}),
    (typed(day="27", month="3"), "Date must include a year", {"year"}),
    (typed(year="2027"), "Date must include a day and month", {"day", "month"}),
    (typed(day="27", month="March", year="2027"), "Date must be a real date", {"month"}),
    (typed(day="31", month="2", year="2027"), "Date must be a real date", {"day"}),
    (typed(day="1", month="13", year="2027"), "Date must be a real date", {"month"}),
    (typed(day="1", month="3", year="27"), "Year must include 4 numbers", {"year"}),
])
def test_it_gives_the_nhs_message_and_marks_only_the_boxes_it_is_about(boxes, message, marked):
    form = PeriodForm(boxes)
    assert not form.is_valid()
    assert form.errors["until"] == [message]
    html = _render(form)
    for part in ("day", "month", "year"):
        box = re.search(rf'<input class="([^"]*)" id="id_until_\d" name="until_{part}"', html).group(1)
        assert ("nhsuk-input--error" in box) == (part in marked), part


def _render(form):
    from django.template import Context, Template

    return Template("{% load crispy_forms_filters %}{{ form.until|as_crispy_field }}").render(Context({"form": form}))


def test_it_reads_the_three_boxes_and_shows_what_was_typed_as_typed():
    form = PeriodForm(typed(day=" 7 ", month="03", year="2027"))
    assert form.is_valid()
    assert form.cleaned_data["until"] == dt.date(2027, 3, 7)
    html = _render(PeriodForm(typed(day="7", month="Mar", year="2027")))
    assert 'name="until_month" type="text" value="Mar"' in html
    assert html.count('inputmode="numeric"') == 3
    assert re.search(r"<legend[^>]*>\s*Until\s*</legend>", html)
    assert [label.strip() for label in re.findall(r'nhsuk-date-input__label"[^>]*>\s*(\w+)', html)] == [
        "Day", "Month", "Year"]


def test_a_link_with_the_date_in_one_value_still_works_and_a_bad_one_is_refused():
    form = PeriodForm({"until": "2027-03-07"})
    assert form.is_valid()
    assert form.cleaned_data["until"] == dt.date(2027, 3, 7)
    for bad in ("2027-02-30", "07/03/2027", "9" * 30):
        form = PeriodForm({"until": bad})
        assert form.errors["until"] == ["Date must be a real date"], bad


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), tick=False)
def test_parking_takes_the_date_from_the_boxes_and_keeps_the_reason_on_an_error(lead_client, hub, submitter):
    inquiry = services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=hub), by=submitter)
    url = reverse("intake:staff_inquiry_decide", args=[hub.slug, inquiry.reference, "park"])
    page = lead_client.get(url).content.decode()
    assert 'class="nhsuk-date-input"' in page and 'type="date"' not in page
    response = lead_client.post(url, {"version": inquiry.version, "until_day": "27", "until_month": "",
                                      "until_year": "2026", "reason": "Funding round in April"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Date must include a month" in body
    assert 'href="#id_until_0"' in body  # the error summary links to the boxes
    assert 'value="Funding round in April"' in body
    inquiry.refresh_from_db()
    assert inquiry.parked_until is None
    response = lead_client.post(url, {"version": inquiry.version, "until_day": "27", "until_month": "3",
                                      "until_year": "2026", "reason": "Funding round in April"})
    assert response.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.parked_until == dt.date(2026, 3, 27)


@pytest.mark.django_db
def test_the_list_filters_by_dates_typed_in_boxes_and_one_click_removes_the_filter(lead_client, hub, submitter):
    with time_machine.travel(dt.datetime(2026, 1, 10, 10, tzinfo=dt.UTC), tick=False):
        old = services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=hub), by=submitter)
    new = services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=hub), by=submitter)
    url = reverse("intake:staff_inquiry_list", args=[hub.slug])
    response = lead_client.get(url, {"submitted_from_day": "1", "submitted_from_month": "2",
                                     "submitted_from_year": "2026"})
    page = response.content.decode()
    assert new.reference in page and old.reference not in page
    assert "Sent from: 1 February 2026" in page  # in the summary of active filters
    remove = re.search(r'href="\?([^"]*)"><span class="nhsuk-u-visually-hidden">Remove this filter: </span>Sent from',
                       page).group(1)
    assert "submitted_from" not in remove
    unfiltered = lead_client.get(f"{url}?{remove}").content.decode()
    assert new.reference in unfiltered and old.reference in unfiltered
