"""Staff pages of issue 9 in Chromium: an edit conflict keeps the typed reason beside what the other
person changed, and the park form's NHS.UK date input with its error. axe-core and the 320 px reflow
check run on every state."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hubportal.models import HubMembership
from intake import services
from intake.models import Inquiry
from tests.factories import DraftFactory, UserFactory

from .conftest import assert_accessible
from .test_triage_journey import staff_sign_in, triage_world  # noqa: F401 - the fixture is used below

pytestmark = pytest.mark.browser


def test_a_conflict_keeps_the_typed_reason_and_the_date_input_explains_a_missing_month(
        page, triage_world):  # noqa: F811 - the imported fixture
    hub, inquiry = triage_world["hub"], triage_world["inquiry"]
    member = UserFactory(email="priya.patel@example.nhs.uk", full_name="Priya Patel")
    HubMembership.objects.create(hub=hub, user=member, role=HubMembership.Role.MEMBER)
    staff_sign_in(page, triage_world["lead"].email, triage_world["device"])
    expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()

    page.goto(f"/staff/dorset/inquiries/{inquiry.reference}/decide/close/")
    expect(page.get_by_role("heading", level=1, name="What is the outcome?")).to_be_visible()
    page.get_by_label("Not progressed").check()
    page.get_by_label("Reason").fill("Out of scope: a national procurement covers this")
    # Meanwhile a colleague starts the review.
    services.inquiry_start_review(inquiry=inquiry, by=member, version=inquiry.version)
    page.get_by_role("button", name="Close the inquiry").click()

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Someone else changed this inquiry")).to_be_visible()
    expect(page.get_by_label("Reason")).to_have_value("Out of scope: a national procurement covers this")
    expect(page.get_by_label("Not progressed")).to_be_checked()
    changes = page.locator("#what-changed")
    expect(changes).to_contain_text("In review")
    expect(changes).to_contain_text("Priya Patel started reviewing the inquiry")
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    page.get_by_role("button", name="Close the inquiry").click()  # having seen it, close it after all
    expect(page.get_by_text("Inquiry closed")).to_be_visible()
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.CLOSED

    other = services.inquiry_submit(inquiry=DraftFactory(submitter=inquiry.submitter, hub=hub,
                                                         title="Sensor trial later"), by=inquiry.submitter)
    page.goto(f"/staff/dorset/inquiries/{other.reference}/decide/park/")
    expect(page.get_by_role("heading", level=1, name="Park until")).to_be_visible()
    assert_accessible(page)
    until = timezone.localdate() + dt.timedelta(days=40)
    page.get_by_label("Day").fill(str(until.day))
    page.get_by_label("Year").fill(str(until.year))
    page.get_by_role("button", name="Park the inquiry").click()
    expect(page.locator(".nhsuk-error-message")).to_have_text("Error: Date must include a month")
    expect(page.get_by_label("Day")).to_have_value(str(until.day))
    assert_accessible(page)
    page.get_by_label("Month").fill(str(until.month))
    page.get_by_role("button", name="Park the inquiry").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(f"Parked until {until:%-d %B %Y}")
    other.refresh_from_db()
    assert other.parked_until == until
