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
    page.locator('[name="about-you-sector"][value="nhs"]').check()
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


def test_the_resources_routing_retire_and_proposal_pages_are_accessible_in_every_state(page, lead, demo_hubs, browser,
                                                                                        live_server):
    from partners.models import PartnerContact
    from tests.partners.factories import PartnerFactory

    from .conftest import new_page

    user, device = lead
    wessex = PartnerFactory(name="Health Innovation Wessex", kind="hin", hubs=[demo_hubs["DOR"]])
    PartnerContact.objects.create(partner=wessex, name="Priya", email="priya@wessex.example.org")
    staff_sign_in(page, user.email, device)
    page.goto("/staff/dorset/resources/")
    assert_accessible(page)
    page.get_by_role("link", name="Add a resource").click()
    page.get_by_role("button", name="Save the resource").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.goto("/staff/dorset/routing/new/")
    page.get_by_role("button", name="Save the rule").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.goto(f"/staff/dorset/directory/{wessex.public_id}/retire/")
    expect(page.get_by_role("heading", level=1, name="Retire Health Innovation Wessex")).to_be_visible()
    assert_accessible(page)

    # The partner contact's side: suggest a change to their record.
    partner_page, _ = new_page(browser, base_url=live_server.url)
    from hubportal.models import EmailLink
    from hubportal.services import email_link_create

    token = email_link_create(purpose=EmailLink.Purpose.PARTNER_SIGN_IN, email="priya@wessex.example.org").raw_token
    partner_page.goto(f"/partner/sign-in/link/{token}/")
    partner_page.get_by_role("button").filter(has_text=re.compile("Sign in|Continue")).first.click()
    partner_page.get_by_role("link", name=re.compile("Suggest changes to Health Innovation Wessex")).click()
    partner_page.get_by_role("button", name="Send to the hub").click()
    expect(partner_page.locator(".nhsuk-error-summary")).to_be_visible()
    assert_accessible(partner_page)
    partner_page.get_by_label("Website (optional)").fill("https://wessexahsn.org.uk/")
    partner_page.get_by_role("button", name="Send to the hub").click()
    expect(partner_page.get_by_text("have been sent to the hub")).to_be_visible()
    assert_accessible(partner_page)
    partner_page.context.close()

    page.goto(f"/staff/dorset/directory/{wessex.public_id}/")
    page.get_by_role("link", name="Review the proposed changes").click()
    assert_accessible(page)
    page.get_by_label(re.compile("Approve")).check()
    page.get_by_role("button", name="Save the decision").click()
    expect(page.get_by_text("https://wessexahsn.org.uk/", exact=True)).to_be_visible()
    assert_accessible(page)
