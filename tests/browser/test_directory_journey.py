"""A new hub lead runs the directory in a real browser (issue 10, part B): adds a partner, a service and
a contact on staff pages, records an inquiry that came by phone on the person's behalf, and sees the
matcher suggest the new partner on the case page with its reasons and eligibility. axe-core and 320 px
reflow on every page state."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from hubportal.models import HubMembership, OutboundEmail
from intake.models import Inquiry
from partners.models import Partner, PartnerService
from tests.factories import UserFactory

from .conftest import assert_accessible
from .test_triage_journey import PASSWORD, staff_sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def lead(demo_hubs):
    user = UserFactory(email="new.lead@example.nhs.uk", full_name="Nadia Hussain")
    user.set_password(PASSWORD)
    user.save()
    HubMembership.objects.create(hub=demo_hubs["DOR"], user=user, role=HubMembership.Role.LEAD)
    return user, TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


def test_a_hub_lead_adds_a_partner_service_the_matcher_suggests_and_records_an_inquiry_for_someone(page, lead):
    user, device = lead
    staff_sign_in(page, user.email, device)
    expect(page.get_by_role("link", name="Directory")).to_be_visible()
    page.get_by_role("link", name="Directory").click()
    expect(page.get_by_role("heading", level=1, name="Directory")).to_be_visible()
    assert_accessible(page)

    # A partner.
    page.get_by_role("link", name="Add a partner").click()
    page.get_by_role("button", name="Add the partner").click()
    expect(page.locator(".nhsuk-error-summary").get_by_role("link", name="Enter the organisation's name")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Name", exact=True).fill("Dorset Evaluation Collaborative")
    page.get_by_label("University", exact=True).check()
    page.get_by_role("button", name="Add the partner").click()
    expect(page.get_by_role("heading", level=1, name="Dorset Evaluation Collaborative")).to_be_visible()
    assert_accessible(page)

    # Its service: refused without the plain-words fields, then added.
    page.get_by_role("link", name="Add a service").click()
    page.get_by_label("Name of the service").fill("Pilot evaluation clinic")
    page.get_by_role("button", name="Save the service").click()
    expect(page.locator(".nhsuk-error-summary").get_by_role("link", name="Say who can use the service")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Evaluation and evidence", exact=True).check()
    page.get_by_label("Who can use it, in plain words").fill("NHS teams in Dorset with a pilot running")
    page.get_by_label("Piloted or tested on a small scale", exact=True).check()
    page.get_by_label("Area it covers").fill("Dorset")
    page.get_by_label("How to refer someone").fill("The hub refers through this portal")
    page.get_by_role("button", name="Save the service").click()
    expect(page.get_by_role("heading", level=3, name="Pilot evaluation clinic")).to_be_visible()
    assert_accessible(page)
    assert PartnerService.objects.get().tag_index == "|need:evaluation|stage:piloted|"

    # A contact who gets its referrals.
    page.get_by_role("link", name="Add a contact").click()
    page.get_by_label("Name", exact=True).fill("Dr Tom Reid")
    page.get_by_label("Email", exact=True).fill("tom.reid@dec.example.ac.uk")
    assert_accessible(page)
    page.get_by_role("button", name="Save the contact").click()
    expect(page.get_by_text("tom.reid@dec.example.ac.uk", exact=True)).to_be_visible()
    assert_accessible(page)

    # An inquiry that came by phone, recorded for the person with their consent.
    page.get_by_role("link", name="Back").click()
    page.get_by_role("link", name="Record an inquiry").click()
    expect(page.get_by_role("heading", level=1, name="Record an inquiry for someone")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Their email address").fill("alex.carter@nhs.net")
    page.get_by_role("group", name="How did the inquiry reach the hub?").get_by_label(
        "Recorded by the hub from a phone call").check()
    page.get_by_role("button", name="Record the inquiry").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert_accessible(page)
    assert not Inquiry.objects.exists()
    page.get_by_role("group", name=re.compile("Did they agree that the hub may share")).get_by_label(
        "Yes", exact=True).check()
    page.get_by_label(re.compile("They agreed that the hub and")).check()
    page.get_by_label("They said so on the phone or in a meeting").check()
    page.get_by_label(re.compile("I want to adopt an innovation")).check()
    page.locator('[name="title-title"]').fill("Virtual ward pilot evaluation")
    page.locator('[name="problem-problem"]').fill("We need to know if our virtual ward pilot works.")
    page.locator('[name="innovation-proposed_innovation"]').fill("A virtual ward for frail patients.")
    page.locator('[name="who-benefits-who_benefits"]').fill("Frail patients and the community team.")
    page.get_by_label("Digital (software, app, data or AI)").check()
    page.get_by_label("Piloted or tested on a small scale", exact=True).check()
    page.locator('input[name="support-support_needed"][value="evaluation"]').check()
    page.locator('[name="about-you-contact_name"]').fill("Alex Carter")
    page.locator('[name="about-you-organisation"]').fill("Dorset County Hospital NHS Foundation Trust")
    page.locator('[name="about-you-role"]').fill("Virtual ward lead")
    page.get_by_role("button", name="Record the inquiry").click()

    inquiry = Inquiry.objects.get()
    expect(page.get_by_role("heading", level=1, name="Virtual ward pilot evaluation")).to_be_visible()
    assert (inquiry.source, inquiry.consent_method, inquiry.consent_share_with_partners) == ("phone", "spoken", True)
    assert OutboundEmail.objects.filter(to="alex.carter@nhs.net", template="inquiry_acknowledgement").exists()

    # The case page suggests the new partner with its reasons and who can use its service.
    panel = page.locator("section.app-triage-panel")
    panel.get_by_text("Refer to partners").click()
    expect(panel.get_by_label("Dorset Evaluation Collaborative", exact=True)).to_be_visible()
    expect(panel).to_contain_text("Helps with Evaluation and evidence")
    expect(panel).to_contain_text("Through: Pilot evaluation clinic")
    expect(panel).to_contain_text("Who can use Pilot evaluation clinic: NHS teams in Dorset with a pilot running")
    assert_accessible(page)
    assert Partner.objects.get().hubs.get().slug == "dorset"
