"""A submitter's journey in a real browser: start page, sign-in by emailed link, every question page,
check your answers, sending, and their inquiries. axe-core checks every page on the way."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from intake.models import Inquiry
from tests.factories import DraftFactory

from .conftest import assert_accessible

pytestmark = pytest.mark.browser

EMAIL = "jo.bloggs@nhs.net"
REFERENCE = re.compile(r"DOR-\d{4}-\d{5}")
SIGN_IN_LINK = re.compile(r"https?://[^/\s]+(/sign-in/link/[^/\s]+/)")


def _emails_to(address):
    return [message for message in mail.outbox if address in message.to]


def _sign_in_link_path(address):
    links = [SIGN_IN_LINK.search(message.body) for message in _emails_to(address)]
    links = [link for link in links if link]
    assert links, (
        f"no sign-in link was emailed to {address}; outbox: {[m.subject for m in mail.outbox]}"
    )
    return links[-1].group(1)


def _heading(page, text):
    return page.get_by_role("heading", level=1, name=text)


def _check(page, check_accessible):
    if check_accessible:
        assert_accessible(page)


def sign_in_from_sign_in_page(page, email=EMAIL, check_accessible=True):
    """From the sign-in page: type the address, follow the emailed link, select the button."""
    expect(_heading(page, "What is your work email address?")).to_be_visible()
    _check(page, check_accessible)
    page.get_by_label("What is your work email address?").fill(email)
    page.get_by_role("button", name="Email me a link").click()

    expect(_heading(page, "Check your email")).to_be_visible()
    expect(page.get_by_text(email, exact=True)).to_be_visible()
    _check(page, check_accessible)

    page.goto(_sign_in_link_path(email))
    expect(_heading(page, re.compile(r"^Sign in to "))).to_be_visible()
    expect(page.get_by_text(email, exact=True)).to_be_visible()
    _check(page, check_accessible)
    page.get_by_role("button", name="Continue to sign in").click()


def save_and_continue(page):
    page.get_by_role("button", name="Save and continue").click()


def _answer_text(page, label, text):
    expect(_heading(page, label)).to_be_visible()
    assert_accessible(page)
    page.get_by_label(label).fill(text)
    save_and_continue(page)


def _answer_choices(page, question, *choices):
    expect(_heading(page, question)).to_be_visible()
    assert_accessible(page)
    for choice in choices:
        page.get_by_label(choice, exact=True).check()
    save_and_continue(page)


def _expect_field_error(page, message):
    """NHS.UK error state: "Error:" title, focused summary linking to the field, message by it."""
    assert page.title().startswith("Error: "), page.title()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # nhsuk-frontend's error summary moves focus to itself
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary.get_by_role("link", name=message)).to_be_visible()
    expect(page.locator(".nhsuk-error-message").filter(has_text=message)).to_be_visible()
    expect(page.locator(".nhsuk-error-message")).to_have_text(f"Error: {message}")


def test_a_new_user_brings_an_inquiry_from_the_start_page_to_your_inquiries(
    page, demo_hubs, tmp_path
):
    # Start page.
    page.goto("/")
    expect(_heading(page, "Bring an innovation inquiry to your innovation hub")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Start now").click()

    # Not signed in yet: the sign-in page, which brings us back to the first question afterwards.
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/inquiries/new/$"))
    sign_in_from_sign_in_page(page)

    # Kind of help.
    expect(page).to_have_url(re.compile(r"/inquiries/new/$"))
    expect(page.locator(".app-header__account-email")).to_contain_text(EMAIL)
    _answer_choices(page, "What kind of help do you need?", "I have a new idea")

    # Title: first sent empty, to see the error, then answered.
    expect(page).to_have_url(re.compile(r"/inquiries/[0-9a-f-]{36}/questions/title/$"))
    expect(_heading(page, "What is the title of your inquiry?")).to_be_visible()
    assert_accessible(page)
    save_and_continue(page)
    _expect_field_error(page, "Enter a title for your inquiry")
    assert_accessible(page)
    summary_link = page.locator(".nhsuk-error-summary").get_by_role(
        "link", name="Enter a title for your inquiry"
    )
    summary_link.click()
    expect(page.get_by_label("What is the title of your inquiry?")).to_be_focused()
    page.get_by_label("What is the title of your inquiry?").fill(
        "Remote monitoring for heart failure"
    )
    save_and_continue(page)

    _answer_text(
        page,
        "What problem are you trying to solve?",
        "Patients wait in hospital for observations that could be done at home.",
    )
    _answer_text(
        page, "What is the innovation?", "A remote monitoring kit with a clinician dashboard."
    )
    _answer_text(page, "Who would benefit, and how?", "Patients with heart failure and ward staff.")
    _answer_choices(page, "What type of innovation is it?", "Digital (software, app, data or AI)")

    # Stage and evidence: a choice and an optional text on one page.
    expect(_heading(page, "How far along is it?")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Piloted or tested on a small scale", exact=True).check()
    page.get_by_label("What evidence do you have so far? (optional)").fill(
        "A three-month pilot on one ward."
    )
    save_and_continue(page)

    _answer_choices(
        page, "What support do you need?", "Evaluation and evidence", "Funding and bid writing"
    )

    # About you: a partial organisation name is enough to suggest the hub.
    expect(_heading(page, "About you")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Full name").fill("Jo Bloggs")
    page.get_by_label("Organisation").fill("Dorset County Hospital")
    page.get_by_label("Job title or role").fill("Ward manager")
    page.get_by_label("The NHS", exact=True).check()
    save_and_continue(page)

    # Hub: Dorset is suggested and already selected.
    expect(_heading(page, "Which innovation hub should look at your inquiry?")).to_be_visible()
    assert_accessible(page)
    expect(
        page.get_by_text("We have suggested Dorset Innovation Hub from your organisation")
    ).to_be_visible()
    expect(page.get_by_label("Dorset Innovation Hub", exact=True)).to_be_checked()
    expect(page.get_by_label("Manchester Innovation Hub", exact=True)).not_to_be_checked()
    save_and_continue(page)

    # Priority themes come after the hub, so the hub's own priorities can be offered (issue 10).
    _answer_choices(
        page, "Which priority themes does it address? (optional)", "Reducing health inequalities"
    )

    # Consent.
    expect(
        _heading(page, "Can the hub share your inquiry with partner organisations?")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label(
        "I agree that the hub and, if I said yes above, its partners may contact me"
    ).check()
    save_and_continue(page)

    # Attachments: upload a small PDF and see it listed.
    expect(_heading(page, "Attachments (optional)")).to_be_visible()
    assert_accessible(page)
    pdf = tmp_path / "pilot-report.pdf"
    pdf.write_bytes(
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    page.get_by_label("Upload a file").set_input_files(str(pdf))
    page.get_by_role("button", name="Upload and add another file", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="pilot-report.pdf uploaded")).to_be_visible()
    files = page.locator(".nhsuk-summary-list")
    expect(files.locator(".nhsuk-summary-list__key")).to_have_text(["pilot-report.pdf"])
    expect(page.get_by_role("button", name="Remove pilot-report.pdf")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()

    # Check your answers, then change the title through its "Change" link.
    expect(_heading(page, "Check your answers before sending your inquiry")).to_be_visible()
    assert_accessible(page)
    answers = page.locator(".nhsuk-summary-list").first
    expect(answers).to_contain_text("Remote monitoring for heart failure")
    expect(answers).to_contain_text("Dorset Innovation Hub")
    expect(page.get_by_text("pilot-report.pdf")).to_be_visible()
    page.get_by_role("link", name="Change title", exact=True).click()

    expect(page).to_have_url(re.compile(r"/questions/title/\?change=1$"))
    title = page.get_by_label("What is the title of your inquiry?")
    expect(title).to_have_value("Remote monitoring for heart failure")
    assert_accessible(page)
    title.fill("Virtual ward for heart failure")
    page.get_by_role("button", name="Save and return to check your answers").click()

    expect(_heading(page, "Check your answers before sending your inquiry")).to_be_visible()
    expect(answers).to_contain_text("Virtual ward for heart failure")
    expect(answers).not_to_contain_text("Remote monitoring for heart failure")
    assert_accessible(page)
    page.get_by_role("button", name="Send inquiry").click()

    # Sent: the confirmation panel with the Dorset reference.
    panel = page.locator(".nhsuk-panel")
    expect(panel.get_by_role("heading", level=1, name="Inquiry sent")).to_be_visible()
    expect(panel).to_contain_text(REFERENCE)
    reference = REFERENCE.search(panel.inner_text()).group(0)
    assert_accessible(page)

    # Your inquiries: listed with its reference and status.
    page.get_by_role("main").get_by_role("link", name="your inquiries", exact=True).click()
    expect(_heading(page, "Your inquiries")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=reference, exact=True))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Virtual ward for heart failure")
    expect(row).to_contain_text("Dorset Innovation Hub")
    # The responsive table repeats its heading in each cell for phones (hidden from screen readers).
    expect(row.get_by_role("cell").last).to_have_text(re.compile(r"^Status\s+Submitted\s*$"))
    assert_accessible(page)

    inquiry = Inquiry.objects.get(reference=reference)
    assert inquiry.status == Inquiry.Status.SUBMITTED
    assert inquiry.submitter.email == EMAIL
    assert inquiry.attachments.count() == 1

    # The acknowledgement: the reference and a link, but not what the inquiry is about.
    acknowledgements = [m for m in _emails_to(EMAIL) if reference in m.body]
    assert len(acknowledgements) == 1, [m.subject for m in mail.outbox]
    acknowledgement = acknowledgements[0]
    assert re.search(rf"https?://\S+/inquiries/{inquiry.public_id}/", acknowledgement.body)
    for private in (
        "Virtual ward for heart failure",
        "Remote monitoring for heart failure",
        "heart failure",
    ):
        assert private not in acknowledgement.body
        assert private not in acknowledgement.subject
        for content, _mimetype in getattr(acknowledgement, "alternatives", []):
            assert private not in content


@pytest.mark.parametrize("page", [{"java_script_enabled": False}], indirect=True)
def test_the_journey_works_without_javascript(page, demo_hubs):
    page.goto("/")
    assert page.evaluate("() => document.body.classList.contains('js-enabled')") is False
    page.get_by_role("button", name="Start now").click()
    sign_in_from_sign_in_page(page, check_accessible=False)

    expect(_heading(page, "What kind of help do you need?")).to_be_visible()
    page.get_by_label("I need help with evaluation", exact=True).check()
    save_and_continue(page)

    # The server's error page works without the frontend's JavaScript too.
    expect(_heading(page, "What is the title of your inquiry?")).to_be_visible()
    save_and_continue(page)
    assert page.title().startswith("Error: ")
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    page.get_by_label("What is the title of your inquiry?").fill("Evaluating a falls pathway")
    save_and_continue(page)

    expect(page).to_have_url(re.compile(r"/inquiries/[0-9a-f-]{36}/questions/problem/$"))
    expect(_heading(page, "What problem are you trying to solve?")).to_be_visible()
    inquiry = Inquiry.objects.get(submitter__email=EMAIL)
    assert inquiry.kind_of_help == "evaluation"
    assert inquiry.title == "Evaluating a falls pathway"


def test_it_warns_about_an_nhs_number_before_saving(page, demo_hubs):
    page.goto("/sign-in/")
    sign_in_from_sign_in_page(page, check_accessible=False)
    expect(_heading(page, "Your inquiries")).to_be_visible()
    draft = DraftFactory(submitter__email=EMAIL, hub=demo_hubs["DOR"], problem="")

    page.goto(f"/inquiries/{draft.public_id}/questions/problem/")
    problem = page.get_by_label("What problem are you trying to solve?")
    problem.fill("Mrs Smith, NHS number 943 476 5919, waited three days for a scan.")
    save_and_continue(page)

    _expect_field_error(
        page,
        "Remove the NHS number from your answer. Do not include anything that could "
        "identify a patient",
    )
    assert_accessible(page)
    draft.refresh_from_db()
    assert draft.problem == ""
