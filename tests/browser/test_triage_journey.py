"""A hub lead's triage in a real browser: password and TOTP, the dashboard, a new inquiry, the
checklist, a question to the submitter, the submitter's answer, closing. axe-core on every page."""

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from hubportal.models import HubMembership
from intake import services
from intake.models import Checklist, Criterion, Inquiry
from tests.factories import DraftFactory, UserFactory

from .conftest import assert_accessible, assert_no_csp_refusals, new_page
from .test_submission_journey import sign_in_from_sign_in_page

pytestmark = pytest.mark.browser

PASSWORD = "a-long-demo-password-for-tests"


def _code(device):
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def staff_sign_in(page, email, device):
    page.goto("/staff/sign-in/")
    expect(page.get_by_role("heading", level=1, name="Sign in as hub staff")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("Enter the 6-digit code"))).to_be_visible()
    assert_accessible(page)
    page.get_by_label(re.compile("Enter the 6-digit code")).fill(_code(device))
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def triage_world(demo_hubs):
    hub = demo_hubs["DOR"]
    lead = UserFactory(email="lead.dorset@example.nhs.uk", full_name="Sarah Whitfield")
    lead.set_password(PASSWORD)
    lead.save()
    HubMembership.objects.create(hub=hub, user=lead, role=HubMembership.Role.LEAD)
    device = TOTPDevice.objects.create(user=lead, name="Phone", confirmed=True)
    checklist = Checklist.objects.create(hub=hub, name="Dorset triage", slug="dorset-triage")
    Criterion.objects.create(checklist=checklist, position=0, question="Is it proven?", weight=2,
                             scale="yes_partly_no")
    Criterion.objects.create(checklist=checklist, position=1, question="Does it process patient data?",
                             scale="yes_no", follow_up_answer="yes", follow_up_text="A DPIA is needed")
    submitter = UserFactory(email="jo.bloggs@nhs.net", full_name="Jo Bloggs")
    inquiry = services.inquiry_submit(
        inquiry=DraftFactory(submitter=submitter, hub=hub, title="Falls sensors in care homes"), by=submitter)
    return {"hub": hub, "lead": lead, "device": device, "inquiry": inquiry, "submitter": submitter}


def test_a_hub_lead_triages_a_new_inquiry_from_sign_in_to_closing(page, browser, live_server, triage_world):
    inquiry = triage_world["inquiry"]
    staff_sign_in(page, "lead.dorset@example.nhs.uk", triage_world["device"])

    # The dashboard: the new inquiry is in "New and unassigned".
    expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=inquiry.reference).first.click()

    # The inquiry page: start review, then assess against the checklist.
    expect(page.get_by_role("heading", level=1, name="Falls sensors in care homes")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Start review").click()
    expect(page.get_by_text("Review started")).to_be_visible()
    page.get_by_role("link", name="Assess against Dorset triage").click()
    expect(page.get_by_role("heading", level=1, name="Dorset triage")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Save assessment").click()  # nothing answered: errors say which
    expect(page.get_by_role("alert").get_by_text("Answer “Is it proven?”")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("group", name="Is it proven?").get_by_label("Partly").check()
    page.get_by_role("group", name="Does it process patient data?").get_by_label("Yes").check()
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_text("Assessment saved: 66.7%. Follow-ups: A DPIA is needed")).to_be_visible()

    # Ask the submitter a question.
    page.get_by_role("button", name="Ask for information").click()
    expect(page.get_by_role("heading", level=1, name="What do you need to know?")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("What do you need to know?").fill("Which care homes took part?")
    page.get_by_role("button", name="Ask the submitter for information").click()
    expect(page.get_by_text("Question sent")).to_be_visible()
    assert Inquiry.objects.get(pk=inquiry.pk).status == "awaiting_info"

    # The submitter answers in their own browser.
    submitter_page, submitter_refusals = new_page(browser, base_url=live_server.url)
    submitter_context = submitter_page.context
    submitter_page.goto(f"/inquiries/{inquiry.public_id}/")
    sign_in_from_sign_in_page(submitter_page, email="jo.bloggs@nhs.net", check_accessible=False)
    expect(submitter_page.get_by_text("Which care homes took part?")).to_be_visible()
    assert_accessible(submitter_page)
    submitter_page.get_by_role("link", name="Answer the question").click()
    assert_accessible(submitter_page)
    submitter_page.get_by_label("Your answer").fill("Three homes in Weymouth")
    submitter_page.get_by_role("button", name="Send answer").click()
    expect(submitter_page.get_by_text("Your answer has been sent to the hub")).to_be_visible()
    submitter_context.close()
    assert_no_csp_refusals(submitter_refusals)

    # Back with the lead: the answer is there, with the time waited; close with an outcome.
    page.reload()
    expect(page.get_by_text("Three homes in Weymouth").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"after \d+ working days?"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_role("heading", level=1, name="What is the outcome?")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Progressing elsewhere").check()
    page.get_by_label("Reason").fill("Supported by the ICB's digital team")
    page.get_by_role("button", name="Close the inquiry").click()
    expect(page.get_by_text("Inquiry closed")).to_be_visible()
    assert_accessible(page)
    closed = Inquiry.objects.get(pk=inquiry.pk)
    assert (closed.status, closed.outcome) == ("closed", "progressing_elsewhere")

    # The list, the metrics, the failed emails and the account page are reachable and accessible too.
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_role("heading", level=1, name="All inquiries")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Search title and text").fill("falls")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("link", name=inquiry.reference)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^\d+ inquir(y|ies) match your filters"))).to_be_visible()
    assert_accessible(page)
    # The row's link (an address reversed once a page) opens that inquiry's case page.
    page.get_by_role("link", name=inquiry.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(inquiry.title)
    page.go_back()
    page.get_by_role("link", name="Metrics").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("Metrics"))).to_be_visible()
    expect(page.locator("svg[role=img]").first).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Failed emails").click()
    assert_accessible(page)
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", level=1, name="How often would you like a digest email?")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Daily").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your digest preference has been saved")).to_be_visible()
