"""An edit conflict keeps what was typed and shows it beside the other person's change (issue 9)."""

import datetime as dt
import html
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from hubportal.models import OutboundEmail
from intake import services
from intake.models import Inquiry, InquiryEvent
from tests.factories import DraftFactory

MONDAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def sent(hub, submitter):
    return services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=hub, title="Falls sensor"),
                                   by=submitter)


def hidden(content, name):
    return html.unescape(re.search(rf'name="{name}" value="([^"]*)"', content).group(1))


def what_changed(content):
    start = content.index('id="what-changed"')
    return content[start:content.index("</ol>", start)]


def decide_url(hub, inquiry, decision):
    return reverse("intake:staff_inquiry_decide", args=[hub.slug, inquiry.reference, decision])


@pytest.mark.django_db
def test_it_keeps_the_typed_reason_and_shows_what_the_other_person_changed(lead_client, hub, hub_member, submitter):
    with time_machine.travel(MONDAY - dt.timedelta(hours=1), tick=False):
        sent = services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=hub), by=submitter)
    with time_machine.travel(MONDAY, tick=False):
        page = lead_client.get(decide_url(hub, sent, "close")).content.decode()
        seen_version, seen_at = int(hidden(page, "version")), hidden(page, "seen_at")
    with time_machine.travel(MONDAY + dt.timedelta(minutes=5), tick=False):
        # The member starts the review while the lead is typing.
        services.inquiry_start_review(inquiry=sent, by=hub_member, version=seen_version)
    emails_before = OutboundEmail.objects.count()
    with time_machine.travel(MONDAY + dt.timedelta(minutes=9), tick=False):
        response = lead_client.post(decide_url(hub, sent, "close"), {
            "version": seen_version, "seen_at": seen_at, "outcome": "not_progressed",
            "reason": "Out of scope for the hub: a national procurement already covers this"})
    content = response.content.decode()
    assert response.status_code == 409  # no redirect: the page is shown again
    assert "Out of scope for the hub: a national procurement already covers this" in content
    assert re.search(r'value="not_progressed"[^>]*checked', content)
    assert "nhsuk-error-summary" in content and 'href="#what-changed"' in content
    assert "Someone else changed this inquiry while you were looking at it" in content
    changes = what_changed(content)
    assert "In review" in changes
    assert "Priya Patel started reviewing the inquiry" in changes
    assert "sent the inquiry to the hub" not in changes  # before the lead opened the page
    sent.refresh_from_db()
    assert sent.status == Inquiry.Status.IN_REVIEW
    assert not sent.events.filter(kind=InquiryEvent.Kind.CLOSED).exists()
    assert OutboundEmail.objects.count() == emails_before
    # The form now carries the current version: sending it again, having seen the change, closes it.
    assert int(hidden(content, "version")) == sent.version
    with time_machine.travel(MONDAY + dt.timedelta(minutes=12), tick=False):
        again = lead_client.post(decide_url(hub, sent, "close"), {
            "version": hidden(content, "version"), "outcome": "not_progressed", "reason": "Out of scope"})
    assert again.status_code == 302
    sent.refresh_from_db()
    assert sent.status == Inquiry.Status.CLOSED


@pytest.mark.django_db
def test_it_keeps_the_typed_question_when_the_inquiry_was_assigned_meanwhile(
        lead_client, hub, hub_lead, hub_member, sent):
    seen_version = sent.version
    seen_at = timezone.now().isoformat()
    services.inquiry_assign(inquiry=sent, by=hub_member, assignee=hub_member, version=seen_version)
    response = lead_client.post(decide_url(hub, sent, "request-info"), {
        "version": seen_version, "seen_at": seen_at, "question": "Which wards would trial the sensor?"})
    content = response.content.decode()
    assert response.status_code == 409
    assert "Which wards would trial the sensor?</textarea>" in content
    changes = what_changed(content)
    assert "Assigned to now" in changes and "Priya Patel" in changes
    assert "Priya Patel assigned the inquiry" in changes
    assert not sent.information_requests.exists()


@pytest.mark.django_db
def test_it_shows_the_case_page_with_the_chosen_assignee_when_assigning_conflicts(
        lead_client, hub, hub_lead, hub_member, sent):
    seen_version = sent.version
    services.inquiry_start_review(inquiry=sent, by=hub_member, version=seen_version)
    response = lead_client.post(reverse("intake:staff_inquiry_assign", args=[hub.slug, sent.reference]),
                                {"version": seen_version, "assignee": hub_lead.pk})
    content = response.content.decode()
    assert response.status_code == 409
    assert '<details class="app-case-band__details" open>' in content
    assert re.search(rf'<option value="{hub_lead.pk}" selected>', content)
    assert "Priya Patel started reviewing the inquiry" in what_changed(content)
    sent.refresh_from_db()
    assert sent.assignee is None


@pytest.mark.django_db
def test_a_button_decision_that_conflicts_shows_what_changed_on_the_case_page(lead_client, hub, hub_member, sent):
    seen_version = sent.version
    services.inquiry_close(inquiry=sent, by=hub_member, outcome="withdrawn", reason="Asked to", version=seen_version)
    response = lead_client.post(decide_url(hub, sent, "start-review"), {"version": seen_version})
    content = response.content.decode()
    assert response.status_code == 409
    assert "Someone else changed this inquiry while you were looking at it" in content
    assert "Priya Patel closed the inquiry" in what_changed(content)
    sent.refresh_from_db()
    assert sent.status == Inquiry.Status.CLOSED
    assert not sent.events.filter(kind=InquiryEvent.Kind.REVIEW_STARTED).exists()
