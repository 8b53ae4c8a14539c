"""The value report in a real browser: a hub lead reads the report of a seeded hub, writes and publishes
the narrative; then a network lead signs in with password and code, lands on the network view and sees
the published words. axe-core and 320 px reflow on every page state (assert_accessible)."""

import io
import os
import re

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from adoption.models import ValueReportNarrative
from hubportal.models import Hub, HubMembership, NetworkLead
from tests.factories import UserFactory

from .conftest import assert_accessible, assert_no_csp_refusals, new_page
from .test_triage_journey import PASSWORD, staff_sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(demo_hubs):
    call_command("seed_demo", inquiries=200, seed=3, stdout=io.StringIO())
    hub = Hub.objects.get(code="DOR")
    lead = UserFactory(email="lead.dorset@example.nhs.uk", full_name="Sarah Whitfield")
    network = UserFactory(email="ics.lead@example.nhs.uk", full_name="Nia Network")
    for user in (lead, network):
        user.set_password(PASSWORD)
        user.save()
    HubMembership.objects.create(hub=hub, user=lead, role=HubMembership.Role.LEAD)
    NetworkLead.objects.create(user=network, network_name="Dorset ICS").hubs.set(
        Hub.objects.filter(code__in=["DOR", "CAP"]))
    return {"hub": hub, "lead": TOTPDevice.objects.create(user=lead, name="Phone", confirmed=True),
            "network": TOTPDevice.objects.create(user=network, name="Phone", confirmed=True)}


def test_a_hub_lead_publishes_the_report_and_the_network_lead_reads_it_across_hubs(page, browser, live_server,
                                                                                   seeded):
    staff_sign_in(page, "lead.dorset@example.nhs.uk", seeded["lead"])
    page.goto("/staff/dorset/value-report/")
    expect(page.get_by_role("heading", level=1, name="Value report")).to_be_visible()
    expect(page.get_by_role("heading", name="Front door funnel")).to_be_visible()
    expect(page.get_by_role("heading", name="Benefits: baseline, actual and target")).to_be_visible()
    assert_accessible(page)
    # The figures say when they were worked out and how long they are kept; the link works them out again.
    expect(page.get_by_text("Figures worked out at")).to_contain_text("kept for up to 10 minutes")
    page.get_by_role("link", name="Work the figures out again now").click()
    expect(page).to_have_url(re.compile(r"[?&]fresh=1$"))
    expect(page.get_by_role("heading", name="Front door funnel")).to_be_visible()
    if os.environ.get("WALK_SCREENSHOTS"):  # a person's look at the page (not part of the test)
        page.screenshot(path=os.path.join(os.environ["WALK_SCREENSHOTS"], "value_report.png"))
    assert_accessible(page)

    # A period the wrong way round says so next to the field, and keeps the page.
    for name, (day, month, year) in {"From": ("1", "3", "2026"), "To": ("1", "1", "2026")}.items():
        dates = page.get_by_role("group", name=name, exact=True)  # the NHS.UK date input: three boxes
        dates.get_by_label("Day").fill(day)
        dates.get_by_label("Month").fill(month)
        dates.get_by_label("Year").fill(year)
    page.get_by_role("button", name="Show the report").click()
    expect(page.get_by_text("“To” must be the same as or after “From”").first).to_be_visible()
    assert_accessible(page)

    page.goto("/staff/dorset/value-report/")
    page.get_by_label("What the board should know about this period").fill("Falls fell on every pilot ward.")
    page.get_by_role("button", name="Save and publish the report").click()
    expect(page.get_by_text("The report is published")).to_be_visible()
    expect(page.get_by_text("Published", exact=True)).to_be_visible()
    assert_accessible(page)
    assert ValueReportNarrative.objects.get(hub=seeded["hub"]).published_at is not None

    # The network lead, in a browser of their own.
    network_page, violations = new_page(browser, base_url=live_server.url)
    staff_sign_in(network_page, "ics.lead@example.nhs.uk", seeded["network"])
    expect(network_page.get_by_role("heading", level=1, name="Value report across your hubs")).to_be_visible()
    expect(network_page.get_by_role("heading", name="Hubs side by side")).to_be_visible()
    expect(network_page.get_by_text("Falls fell on every pilot ward.")).to_be_visible()
    assert_accessible(network_page)
    # Never an inquiry: the hub's pages are a 404 for a network lead.
    response = network_page.goto("/staff/dorset/inquiries/")
    assert response.status == 404
    network_page.context.close()
    assert_no_csp_refusals(violations)
