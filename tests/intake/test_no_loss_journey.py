"""The submitter's journey never loses a word: "Save and come back later" saves the page first, a file
chosen before "Continue" is uploaded, "Continue" on a draft resumes at the first unanswered question, and
each question page says how far along it is."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from intake.journey import STEPS
from intake.models import Attachment, Inquiry
from tests.factories import DraftFactory

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def step_url(draft, slug):
    return reverse("intake:inquiry_step", args=[draft.public_id, slug])


@pytest.mark.django_db
def test_save_and_come_back_later_saves_what_was_typed_on_the_page(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter, problem="")
    response = submitter_client.post(step_url(draft, "problem"),
                                     {"problem": "Ward staff re-key observations twice", "later": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("intake:inquiry_list")
    assert Inquiry.objects.get(pk=draft.pk).problem == "Ward staff re-key observations twice"


@pytest.mark.django_db
def test_save_and_come_back_later_is_a_button_in_the_pages_form(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter)
    html = submitter_client.get(step_url(draft, "title")).content.decode()
    main = html[html.index('id="maincontent"'):]
    form = main[main.index("<form"):main.index("</form>")]
    assert re.search(r'<button[^>]*name="later"[^>]*>Save and come back later</button>', form)


@pytest.mark.django_db
def test_a_file_chosen_then_continue_is_uploaded_and_the_journey_moves_on(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter)
    response = submitter_client.post(step_url(draft, "attachments"), {
        "file": SimpleUploadedFile("pilot.pdf", PDF, content_type="application/pdf"), "continue": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:inquiry_check", args=[draft.public_id])
    assert list(Attachment.objects.filter(inquiry=draft).values_list("original_name", flat=True)) == ["pilot.pdf"]


@pytest.mark.django_db
def test_continue_with_a_file_that_is_refused_says_why_and_stays(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter)
    response = submitter_client.post(step_url(draft, "attachments"), {
        "file": SimpleUploadedFile("run.exe", b"MZ\x90\x00" + b"\x00" * 60), "continue": "1"})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_continue_with_no_file_goes_on(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter)
    response = submitter_client.post(step_url(draft, "attachments"), {"continue": "1"})
    assert response["Location"] == reverse("intake:inquiry_check", args=[draft.public_id])


@pytest.mark.django_db
def test_continue_on_a_draft_goes_to_the_first_unanswered_question(submitter_client, submitter):
    unfinished = DraftFactory(submitter=submitter, title="Half done", stage="", support_needed=[])
    finished = DraftFactory(submitter=submitter, title="All done")
    html = submitter_client.get(reverse("intake:inquiry_list")).content.decode()
    assert f'href="{step_url(unfinished, "stage")}">Continue' in html
    assert f'href="{reverse("intake:inquiry_check", args=[finished.public_id])}">Continue' in html


@pytest.mark.django_db
def test_each_question_page_says_which_question_it_is(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter)
    html = submitter_client.get(step_url(draft, "problem")).content.decode()
    assert f"Question 3 of {len(STEPS)}" in html


@pytest.mark.django_db
def test_the_check_your_answers_error_summary_takes_focus(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter, title="")
    html = submitter_client.post(reverse("intake:inquiry_check", args=[draft.public_id])).content.decode()
    # nhsuk-frontend moves focus to an error summary that has its data-module (as every other form's does).
    assert re.search(r'class="nhsuk-error-summary" data-module="nhsuk-error-summary"[^>]*tabindex="-1"', html)


@pytest.mark.parametrize("form, field, limit, message", [
    ("ParkForm", "reason", 200, "Reason must be 200 characters or fewer"),
    ("BulkForm", "reason", 2000, "Reason must be 2000 characters or fewer"),
])
@pytest.mark.django_db
def test_length_errors_read_the_same_everywhere(hub, form, field, limit, message):
    from intake import triage_forms

    kwargs = {"hub": hub, "references": []} if form == "BulkForm" else {}
    bound = getattr(triage_forms, form)({field: "x" * (limit + 1)}, **kwargs)
    bound.is_valid()
    assert bound.errors[field] == [message]
