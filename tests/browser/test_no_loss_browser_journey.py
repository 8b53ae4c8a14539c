"""The submitter's journey that never loses a word, in Chromium with JavaScript and without it (issue 9):
progress per question, "Save and come back later" saves the page, Continue on a draft goes to the first
unanswered question, a file chosen on the attachments page is uploaded on Continue, and an answer to
the hub's question goes with a file. axe-core and the 320 px reflow check run on every state."""

import re

import pytest
from playwright.sync_api import expect

from hubportal.models import HubMembership, User
from intake import services
from intake.models import Attachment, InformationRequest, Inquiry
from tests.factories import DraftFactory

from .conftest import assert_accessible, new_page
from .test_submission_journey import EMAIL, sign_in_from_sign_in_page

pytestmark = pytest.mark.browser

BOTH = pytest.mark.parametrize("page", [{"java_script_enabled": True}, {"java_script_enabled": False}],
                               indirect=True, ids=["with-javascript", "without-javascript"])
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def check(request, page, browser):
    """assert_accessible for the page as it is now. axe-core is JavaScript, so on a page without
    JavaScript it runs on a copy: the same HTML at the same address (its scripts taken out, as they
    never ran) served to a JavaScript-enabled page of its own, at the same viewport for the reflow check.
    """
    javascript = request.node.callspec.params["page"]["java_script_enabled"]

    def run():
        assert page.evaluate("() => document.body.classList.contains('js-enabled')") is javascript
        if javascript:
            assert_accessible(page)
            return
        html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.S | re.I)
        url = page.url
        copy, refusals = new_page(browser, java_script_enabled=True, viewport=page.viewport_size)
        try:
            copy.route(url, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8",
                                                        body=html))
            copy.goto(url)
            assert copy.evaluate("() => document.body.classList.contains('js-enabled')") is False
            assert_accessible(copy)
        finally:
            copy.context.close()

    run.javascript = javascript
    return run


def heading(page, text):
    return page.get_by_role("heading", level=1, name=text)


def signed_in(page, check):
    page.goto("/sign-in/")
    # The sign-in pages are checked by the submission journey; here only with JavaScript (axe needs it).
    sign_in_from_sign_in_page(page, check_accessible=check.javascript)
    expect(heading(page, "Your inquiries")).to_be_visible()


@BOTH
def test_progress_save_and_come_back_later_and_continue_to_the_first_unanswered_question(page, check, demo_hubs):
    signed_in(page, check)
    page.goto("/inquiries/new/")

    expect(page.get_by_text("Question 1 of 13")).to_be_visible()
    expect(heading(page, "What kind of help do you need?")).to_be_visible()
    check()
    page.get_by_label("I have a new idea", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_text("Question 2 of 13")).to_be_visible()
    check()
    page.get_by_label("What is the title of your inquiry?").fill("Falls sensors in care homes")
    # Saves this page first: the title typed is kept.
    page.get_by_role("button", name="Save and come back later").click()
    expect(heading(page, "Your inquiries")).to_be_visible()
    expect(page.get_by_text("Your answers have been saved")).to_be_visible()
    check()
    draft = Inquiry.objects.get(submitter__email=EMAIL)
    assert draft.title == "Falls sensors in care homes" and draft.kind_of_help == "new_idea"

    # Continue goes to the first question not answered yet, not to check your answers.
    page.get_by_role("link", name=re.compile(r"^Continue\s+Falls sensors in care homes")).click()
    expect(page).to_have_url(re.compile(rf"/inquiries/{draft.public_id}/questions/problem/$"))
    expect(page.get_by_text("Question 3 of 13")).to_be_visible()
    expect(heading(page, "What problem are you trying to solve?")).to_be_visible()
    check()


@BOTH
def test_a_file_chosen_is_uploaded_on_continue_and_an_answer_to_the_hub_goes_with_a_file(
        page, check, demo_hubs, tmp_path):
    signed_in(page, check)
    submitter = User.objects.get(email=EMAIL)
    draft = DraftFactory(submitter=submitter, hub=demo_hubs["DOR"], title="Falls sensors in care homes")
    pilot = tmp_path / "pilot-report.pdf"
    pilot.write_bytes(PDF)

    page.goto(f"/inquiries/{draft.public_id}/questions/attachments/")
    expect(heading(page, "Attachments (optional)")).to_be_visible()
    check()
    page.get_by_label("Upload a file").set_input_files(str(pilot))
    page.get_by_role("button", name="Continue", exact=True).click()  # not "Upload and add another file"
    expect(heading(page, "Check your answers before sending your inquiry")).to_be_visible()
    expect(page.get_by_role("link", name="pilot-report.pdf")).to_be_visible()
    check()
    assert list(draft.attachments.values_list("original_name", flat=True)) == ["pilot-report.pdf"]
    page.get_by_role("button", name="Send inquiry").click()
    expect(page.locator(".nhsuk-panel")).to_contain_text(re.compile(r"DOR-\d{4}-\d{5}"))

    # The hub asks a question; the submitter answers it with a file.
    lead = User.objects.create_user("lead.dorset@example.nhs.uk", full_name="Sarah Whitfield")
    HubMembership.objects.create(hub=demo_hubs["DOR"], user=lead, role=HubMembership.Role.LEAD)
    draft.refresh_from_db()
    services.inquiry_request_info(inquiry=draft, by=lead, question="Can you share the ward's falls figures?",
                                  version=draft.version)
    page.goto(f"/inquiries/{draft.public_id}/")
    check()
    page.get_by_role("link", name="Answer the question").click()
    expect(page.get_by_text("Can you share the ward's falls figures?")).to_be_visible()
    check()
    figures = tmp_path / "falls-figures.pdf"
    figures.write_bytes(PDF)
    page.get_by_label("Your answer").fill("Falls fell from 14 to 6 a month; the figures are attached.")
    page.get_by_label("Attach files (optional)").set_input_files(str(figures))
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_text("Your answer has been sent to the hub with 1 file")).to_be_visible()
    check()

    question = InformationRequest.objects.get(inquiry=draft)
    assert question.answer.startswith("Falls fell from 14 to 6")
    assert [a.original_name for a in question.attachments.all()] == ["falls-figures.pdf"]
    assert Attachment.objects.filter(inquiry=draft).count() == 2
    draft.refresh_from_db()
    assert draft.status == Inquiry.Status.IN_REVIEW
