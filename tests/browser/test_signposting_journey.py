"""Signposting in a real browser: a submission shows instant signposting on its confirmation page, a hub
lead sends a suggested referral from the inquiry's page, and the partner accepts it through the
emailed link. axe-core checks every page on the way."""

import re

import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from devtools import demo_directory as demo
from hubportal.models import HubMembership
from intake.models import Inquiry
from signposting.models import Referral
from tests.factories import DraftFactory, UserFactory

from .conftest import assert_accessible, assert_no_csp_refusals, new_page
from .test_submission_journey import sign_in_from_sign_in_page
from .test_triage_journey import PASSWORD, staff_sign_in

pytestmark = pytest.mark.browser

SUBMITTER = "jo.bloggs@nhs.net"
LEAD = "lead.dorset@example.nhs.uk"
IG_TEAM = "ig.team@dorset.icb.example.nhs.uk"
REFERRAL_LINK = re.compile(r"https?://[^/\s]+(/partner/referrals/[0-9a-f-]{36}/link/[^/\s]+/)")


@pytest.fixture
def signposting_world(demo_hubs):
    """The demo directory, resources and routing rules on the demo's Dorset and Manchester hubs; a Dorset
    lead with an authenticator; Jo's draft, ready to send, asking for help with information governance."""
    demo.load()
    hub = demo_hubs["DOR"]
    lead = UserFactory(email=LEAD, full_name="Sarah Whitfield")
    lead.set_password(PASSWORD)
    lead.save()
    HubMembership.objects.create(hub=hub, user=lead, role=HubMembership.Role.LEAD)
    device = TOTPDevice.objects.create(user=lead, name="Phone", confirmed=True)
    submitter = UserFactory(email=SUBMITTER, full_name="Jo Bloggs")
    draft = DraftFactory(submitter=submitter, hub=hub, title="Remote monitoring for heart failure",
                         kind_of_help="digital", support_needed=["information_governance", "evaluation"],
                         themes=["health_inequalities"], innovation_type="digital", stage="piloted",
                         consent_share_with_partners=True)
    return {"hub": hub, "device": device, "draft": draft}


def _referral_link_path(address):
    links = [REFERRAL_LINK.search(m.body) for m in mail.outbox if address in m.to]
    links = [link for link in links if link]
    assert links, f"no referral link emailed to {address}: {[m.subject for m in mail.outbox]}"
    return links[-1].group(1)


def test_a_submission_is_signposted_referred_and_accepted(page, browser, live_server, signposting_world):
    draft = signposting_world["draft"]

    # The submitter sends the inquiry from "Check your answers".
    page.goto(f"/inquiries/{draft.public_id}/check-your-answers/")
    sign_in_from_sign_in_page(page, SUBMITTER, check_accessible=False)
    page.goto(f"/inquiries/{draft.public_id}/check-your-answers/")
    expect(page.get_by_role("heading", level=1, name="Check your answers before sending your inquiry")).to_be_visible()
    page.get_by_role("button", name="Send inquiry").click()

    # The confirmation page: instant signposting, resources to use today and kinds of partner.
    expect(page.locator(".nhsuk-panel").get_by_role("heading", level=1, name="Inquiry sent")).to_be_visible()
    signposting = page.locator("section.app-instant-signposting")
    expect(signposting.get_by_role("heading", level=2, name="Help you can use today")).to_be_visible()
    expect(signposting.get_by_role("link", name="Dorset information governance checklist for innovators")
           ).to_be_visible()
    expect(signposting.get_by_role("link", name="Digital Technology Assessment Criteria (DTAC)")).to_be_visible()
    expect(signposting).to_contain_text("Organisations that usually help with inquiries like yours")
    expect(signposting).to_contain_text("NHS trust and integrated care board teams")
    assert_accessible(page)
    inquiry = Inquiry.objects.get(public_id=draft.public_id)

    # The hub lead signs in (password and code) and opens the inquiry.
    staff, staff_refusals = new_page(browser, base_url=live_server.url)
    staff_sign_in(staff, LEAD, signposting_world["device"])
    staff.goto(f"/staff/dorset/inquiries/{inquiry.reference}/")
    expect(staff.get_by_role("heading", level=1, name="Remote monitoring for heart failure")).to_be_visible()
    panel = staff.locator("section.app-triage-panel")
    expect(panel.get_by_role("heading", level=2, name="Partners and referrals")).to_be_visible()
    # The referral form waits behind "Refer to partners" (a details element: no JavaScript needed).
    panel.get_by_text("Refer to partners").click()
    ig_team = panel.get_by_label("NHS Dorset Information Governance team", exact=True)
    expect(ig_team).to_be_visible()
    expect(panel).to_contain_text(
        "Hub rule: Every information governance question in Dorset goes to NHS Dorset's IG team")
    assert_accessible(staff)

    # Sending with no partner chosen: an error, nothing sent.
    panel.get_by_label("Message to the partner").fill("Could you advise on the DPIA for this pilot?")
    panel.get_by_role("button", name="Send referrals").click()
    expect(staff.locator(".nhsuk-error-summary").get_by_role(
        "link", name="Select at least one partner to refer the inquiry to")).to_be_visible()
    assert_accessible(staff)
    assert Referral.objects.count() == 0

    # Sending the suggested IG team, with the message kept.
    staff.get_by_label("NHS Dorset Information Governance team", exact=True).check()
    expect(staff.get_by_label("Message to the partner")).to_have_value("Could you advise on the DPIA for this pilot?")
    staff.get_by_role("button", name="Send referrals").click()
    expect(staff.get_by_text("Referral sent to NHS Dorset Information Governance team")).to_be_visible()
    referrals = staff.locator("section.app-triage-panel table")
    expect(referrals).to_contain_text("NHS Dorset Information Governance team")
    expect(referrals).to_contain_text("Sent")
    assert_accessible(staff)
    referral = Referral.objects.get()
    assert referral.status == Referral.Status.SENT

    # The partner opens the emailed link: a confirmation page, then the referral.
    partner, partner_refusals = new_page(browser, base_url=live_server.url)
    partner.goto(_referral_link_path(IG_TEAM))
    expect(partner.get_by_role("heading", level=1, name="Open the referral from Dorset Innovation Hub")).to_be_visible()
    assert_accessible(partner)
    partner.get_by_role("button", name="Open the referral").click()
    expect(partner.get_by_role("heading", level=1, name="Remote monitoring for heart failure")).to_be_visible()
    expect(partner.get_by_text("Could you advise on the DPIA for this pilot?")).to_be_visible()
    assert_accessible(partner)

    # Declining without a reason shows an error; then the partner goes back and accepts.
    partner.get_by_role("link", name="Decline the referral").click()
    expect(partner.get_by_role("heading", level=1, name="Decline the referral")).to_be_visible()
    assert_accessible(partner)
    partner.get_by_role("button", name="Decline the referral").click()
    expect(partner.locator(".nhsuk-error-summary").get_by_role(
        "link", name="Select why you are declining the referral")).to_be_visible()
    assert_accessible(partner)
    partner.get_by_role("link", name="Back").click()
    partner.get_by_role("button", name="Accept the referral").click()
    expect(partner.get_by_text("You accepted the referral")).to_be_visible()
    expect(partner.get_by_role("button", name="Record the outcome")).to_be_visible()
    assert_accessible(partner)

    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.IN_SUPPORT
    told = [m for m in mail.outbox if SUBMITTER in m.to and "will help" in m.subject]
    assert [m.subject for m in told] == [
        f"NHS Dorset Information Governance team will help with your inquiry {inquiry.reference}"]

    # The hub lead sees it accepted.
    staff.reload()
    expect(staff.locator("section.app-triage-panel table")).to_contain_text("Accepted")
    assert_accessible(staff)
    assert_no_csp_refusals(staff_refusals + partner_refusals)
