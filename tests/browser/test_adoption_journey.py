"""A case from a partner's acceptance through Explore, Test and Adopt to a recorded benefit, in a real
browser: the hub lead's gate decisions, a milestone, a benefit line, the sponsor's emailed link. axe-core
on every page, and each page reflows at 320 CSS pixels (no horizontal scrolling)."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from adoption import services as adoption_services
from adoption.models import BenefitActual, BenefitFollowUp, Case
from hubportal.models import HubMembership
from intake import services
from signposting import services as signposting_services
from tests.factories import DraftFactory, UserFactory
from tests.partners.factories import PartnerContactFactory, PartnerFactory

from .conftest import assert_accessible, assert_no_csp_refusals, new_page
from .test_triage_journey import PASSWORD, staff_sign_in

pytestmark = pytest.mark.browser


def check(page):
    """axe-core, then WCAG 1.4.10 reflow: at 320 px wide nothing scrolls sideways."""
    assert_accessible(page)
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    page.set_viewport_size(size)
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways at 320 px: {widths}"


@pytest.fixture
def accepted_world(demo_hubs):
    hub = demo_hubs["DOR"]
    lead = UserFactory(email="lead.dorset@example.nhs.uk", full_name="Sarah Whitfield")
    lead.set_password(PASSWORD)
    lead.save()
    HubMembership.objects.create(hub=hub, user=lead, role=HubMembership.Role.LEAD)
    device = TOTPDevice.objects.create(user=lead, name="Phone", confirmed=True)
    submitter = UserFactory(email="jo.bloggs@nhs.net", full_name="Jo Bloggs")
    inquiry = services.inquiry_submit(
        inquiry=DraftFactory(submitter=submitter, hub=hub, title="Falls sensors in care homes"), by=submitter)
    partner = PartnerFactory(name="Health Innovation Wessex", hubs=[hub])
    contact = PartnerContactFactory(partner=partner, email="priya@wessex.example.org")
    referral = signposting_services.referral_send(inquiry=inquiry, partner=partner, by=lead)
    signposting_services.referral_accept(referral=referral, contact=contact)
    return {"hub": hub, "device": device, "inquiry": inquiry}


def test_a_case_goes_from_acceptance_through_explore_test_and_adopt_to_a_recorded_benefit(
        page, browser, live_server, accepted_world):
    inquiry = accepted_world["inquiry"]
    staff_sign_in(page, "lead.dorset@example.nhs.uk", accepted_world["device"])

    # The stage board: the accepted inquiry is in Explore.
    page.goto("/staff/dorset/stages/")
    expect(page.get_by_role("heading", level=1, name="Stage board")).to_be_visible()
    explore = page.get_by_role("region", name=re.compile("^Explore"))
    expect(explore.get_by_role("link", name=inquiry.reference)).to_be_visible()
    check(page)
    explore.get_by_role("link", name=inquiry.reference).click()

    # The case: a milestone, then a benefit line (a target without a baseline is refused first).
    expect(page.get_by_role("heading", level=1, name="Falls sensors in care homes")).to_be_visible()
    check(page)
    page.get_by_role("link", name="Add a milestone").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("Add a milestone"))).to_be_visible()
    check(page)
    page.get_by_label("What").fill("Pilot care home chosen")
    page.get_by_label("Owner", exact=True).fill("Care home manager")
    page.get_by_label("Due date").fill("2099-01-05")
    page.get_by_role("button", name="Add milestone").click()
    expect(page.get_by_text("Milestone added: Pilot care home chosen")).to_be_visible()

    page.get_by_role("link", name="Add a benefit line").click()
    check(page)
    page.get_by_label("What is measured").fill("Falls per 1,000 bed days")
    page.get_by_label("Unit").select_option("per_1000_bed_days")
    page.get_by_label("Target").fill("4")
    page.get_by_role("button", name="Add benefit line").click()
    expect(page.get_by_role("alert").get_by_text("Enter a baseline before a target")).to_be_visible()
    check(page)
    page.get_by_label("Baseline").fill("6.5")
    page.get_by_role("button", name="Add benefit line").click()
    expect(page.get_by_text("Benefit line added: Falls per 1,000 bed days")).to_be_visible()

    # Explore -> Test -> Adopt and spread, each by a gate decision with its rationale.
    for to_stage in ("Test", "Adopt and spread"):
        page.get_by_role("link", name="Progress to the next stage").click()
        expect(page.get_by_role("heading", level=1, name="Progress to the next stage")).to_be_visible()
        check(page)
        page.get_by_label("Rationale").fill(f"Exit criteria met; on to {to_stage}")
        page.get_by_role("button", name="Record the decision").click()
        expect(page.get_by_text("Decision recorded: Progress to the next stage")).to_be_visible()
        expect(page.get_by_text(f"{to_stage} (current)")).to_be_visible()
    check(page)
    expect(page.get_by_text(re.compile("3 months, due"))).to_be_visible()

    # The sponsor's emailed link for the 3-month follow-up, in their own browser.
    case = Case.objects.get(inquiry=inquiry)
    follow_up = BenefitFollowUp.objects.get(case=case, months=3)
    raw_token = adoption_services.benefit_link_issue(follow_up=follow_up).raw_token
    # Their own browser, with axe-core loaded and the console watched for CSP refusals like every page.
    sponsor, sponsor_refusals = new_page(browser, base_url=live_server.url)
    sponsor.goto(f"/benefits/link/{raw_token}/")
    expect(sponsor.get_by_role("heading", level=1, name="Record benefit actuals")).to_be_visible()
    check(sponsor)
    sponsor.get_by_role("button", name="Continue").click()
    expect(sponsor.get_by_role("heading", level=1, name="Record the actuals")).to_be_visible()
    check(sponsor)
    sponsor.get_by_label("Falls per 1,000 bed days (Per 1,000 bed days)").fill("about five")
    sponsor.get_by_role("button", name="Save the actuals").click()
    expect(sponsor.get_by_role("alert").get_by_text(re.compile("as a number"))).to_be_visible()
    check(sponsor)
    sponsor.get_by_label("Falls per 1,000 bed days (Per 1,000 bed days)").fill("5.2")
    sponsor.get_by_role("button", name="Save the actuals").click()
    expect(sponsor.get_by_role("heading", level=1, name="Thank you: the actuals are recorded")).to_be_visible()
    check(sponsor)
    sponsor.context.close()
    assert_no_csp_refusals(sponsor_refusals)

    actual = BenefitActual.objects.get()
    assert (str(actual.value), actual.recorded_by_email) == ("5.20", "jo.bloggs@nhs.net")
    page.reload()
    expect(page.get_by_text(re.compile(r"recorded .*Falls per 1,000 bed days 5\.20"))).to_be_visible()
    check(page)
