import re

import pytest
from django.urls import reverse

from hubportal.models import HubOrganisation
from intake.journey import STEPS
from intake.models import Inquiry, InquiryEvent
from tests.factories import DraftFactory, HubFactory


def step_url(inquiry, slug, change=False):
    url = reverse("intake:inquiry_step", args=[inquiry.public_id, slug])
    return url + ("?change=1" if change else "")


@pytest.mark.django_db
def test_the_start_page_explains_the_service_to_anyone(client, hub):
    body = client.get("/").content.decode()
    assert "Bring an innovation inquiry to your innovation hub" in body
    assert "working days" in body
    assert 'href="/inquiries/new/"' in body


@pytest.mark.django_db
def test_starting_without_signing_in_asks_for_sign_in_and_comes_back(client):
    response = client.get("/inquiries/new/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=/inquiries/new/"


@pytest.mark.django_db
def test_the_first_answer_creates_a_draft_and_nothing_before_it(submitter_client, submitter):
    assert submitter_client.get("/inquiries/new/").status_code == 200
    assert Inquiry.objects.count() == 0
    response = submitter_client.post("/inquiries/new/", {"kind_of_help": "adopt_proven"})
    draft = Inquiry.objects.get()
    assert draft.submitter == submitter
    assert draft.status == Inquiry.Status.DRAFT
    assert draft.kind_of_help == "adopt_proven"
    assert draft.reference is None
    assert response["Location"] == step_url(draft, "title")
    assert list(draft.events.values_list("kind", flat=True)) == [InquiryEvent.Kind.CREATED]


@pytest.mark.django_db
def test_each_step_saves_the_draft_and_goes_to_the_next_question(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter, title="", problem="")
    response = submitter_client.post(step_url(draft, "title"), {"title": "  Remote monitoring  "})
    assert response["Location"] == step_url(draft, "problem")
    draft.refresh_from_db()
    assert draft.title == "Remote monitoring"


@pytest.mark.django_db
def test_a_change_link_returns_to_check_your_answers(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter)
    response = submitter_client.post(step_url(draft, "title", change=True), {"title": "A better title"})
    assert response["Location"] == reverse("intake:inquiry_check", args=[draft.public_id])
    page = submitter_client.get(response["Location"]).content.decode()
    assert "A better title" in page


# One case per field: what is posted, and the message the person must see.
ERROR_CASES = [
    ("kind-of-help", {}, "Select what kind of help you need"),
    ("kind-of-help", {"kind_of_help": "world_domination"}, "Select what kind of help you need from the list"),
    ("title", {"title": ""}, "Enter a title for your inquiry"),
    ("title", {"title": "x" * 121}, "Title must be 120 characters or fewer"),
    ("problem", {"problem": "  "}, "Describe the problem you are trying to solve"),
    ("problem", {"problem": "x" * 2001}, "Problem must be 2000 characters or fewer"),
    ("innovation", {"proposed_innovation": ""}, "Describe the innovation, or what a good solution would do"),
    ("who-benefits", {"who_benefits": ""}, "Enter who would benefit and how"),
    ("innovation-type", {}, "Select the type of innovation"),
    ("stage", {"evidence": "We ran a pilot"}, "Select how far along the innovation is"),
    ("support", {}, "Select at least one kind of support"),
    ("support", {"support_needed": ["evaluation", "bribery"]}, "Select support from the list"),
    ("themes", {"themes": ["not_a_theme"]}, "Select themes from the list"),
    ("about-you", {"organisation": "Dorset County Hospital", "role": "Nurse"}, "Enter your full name"),
    ("about-you", {"contact_name": "Jo", "role": "Nurse"}, "Enter your organisation"),
    ("about-you", {"contact_name": "Jo", "organisation": "DCH"}, "Enter your job title or role"),
    ("about-you", {"contact_name": "Jo", "organisation": "DCH", "role": "Nurse", "phone": "call me"},
     "Enter a phone number, like 01632 960 001"),
    ("hub", {}, "Select the innovation hub for your area"),
    ("hub", {"hub": "999999"}, "Select an innovation hub from the list"),
    ("consent", {"consent_contact": "on"}, "Select yes if the hub can share your inquiry with partner organisations"),
    ("consent", {"consent_share_with_partners": "yes"}, "Confirm that the hub may contact you about this inquiry"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("slug, data, message", ERROR_CASES)
def test_each_field_says_what_is_wrong_in_the_error_summary_and_saves_nothing(
        submitter_client, submitter, slug, data, message):
    draft = DraftFactory(submitter=submitter, title="Kept title", consent_share_with_partners=None,
                         consent_contact=None)
    before = Inquiry.objects.values().get(pk=draft.pk)
    response = submitter_client.post(step_url(draft, slug), data)
    assert response.status_code == 400
    body = response.content.decode()
    summary = re.search(r'class="nhsuk-error-summary.*?</div>\s*</div>', body, re.S).group(0)
    assert message in summary
    assert 'class="nhsuk-error-message' in body
    assert "<title>Error:" in body
    after = Inquiry.objects.values().get(pk=draft.pk)
    assert after == before


@pytest.mark.django_db
def test_a_failed_step_keeps_everything_the_person_typed(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter)
    response = submitter_client.post(step_url(draft, "about-you"), {
        "contact_name": "Jo Bloggs", "organisation": "Dorset County Hospital", "role": "", "phone": "01632 960 001"})
    body = response.content.decode()
    assert 'value="Jo Bloggs"' in body
    assert 'value="Dorset County Hospital"' in body
    assert 'value="01632 960 001"' in body


@pytest.mark.django_db
def test_extra_and_tampered_fields_change_nothing(submitter_client, submitter, other_hub):
    draft = DraftFactory(submitter=submitter)
    submitter_client.post(step_url(draft, "title"), {
        "title": "New title", "status": "closed", "reference": "DOR-2026-99999", "hub": other_hub.pk,
        "submitter": 999, "problem": "overwritten?"})
    draft.refresh_from_db()
    assert draft.title == "New title"
    assert draft.status == Inquiry.Status.DRAFT
    assert draft.reference is None
    assert draft.hub != other_hub
    assert draft.submitter == submitter
    assert draft.problem != "overwritten?"


@pytest.mark.django_db
def test_the_hub_is_suggested_from_the_organisation(submitter_client, submitter, hub, other_hub):
    HubOrganisation.objects.create(hub=other_hub, name="Manchester University NHS Foundation Trust")
    draft = DraftFactory(submitter=submitter, hub=None, organisation="manchester university")
    body = submitter_client.get(step_url(draft, "hub")).content.decode()
    assert "We have suggested Manchester Innovation Hub from your organisation" in body
    checked = re.search(r'<input[^>]*name="hub"[^>]*value="(\d+)"[^>]*checked', body).group(1)
    assert int(checked) == other_hub.pk


@pytest.mark.django_db
def test_an_inactive_hub_cannot_be_chosen(submitter_client, submitter):
    closed = HubFactory(is_active=False)
    draft = DraftFactory(submitter=submitter)
    response = submitter_client.post(step_url(draft, "hub"), {"hub": closed.pk})
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.hub != closed


@pytest.mark.django_db
def test_consent_answers_are_saved_and_shown_back(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter, consent_share_with_partners=None, consent_contact=None)
    submitter_client.post(step_url(draft, "consent"), {"consent_share_with_partners": "no", "consent_contact": "on"})
    draft.refresh_from_db()
    assert draft.consent_share_with_partners is False
    assert draft.consent_contact is True
    body = submitter_client.get(step_url(draft, "consent")).content.decode()
    assert re.search(r'value="no"[^>]*checked', body)


@pytest.mark.django_db
def test_every_question_page_has_a_back_link_to_the_previous_one(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter)
    for previous, step in zip(STEPS, STEPS[1:], strict=False):
        body = submitter_client.get(step_url(draft, step.slug)).content.decode()
        assert f'href="{step_url(draft, previous.slug)}"' in body, step.slug


@pytest.mark.django_db
def test_check_your_answers_lists_what_is_missing_and_refuses_to_send(submitter_client, submitter, outbox):
    draft = DraftFactory(submitter=submitter, problem="", stage="")
    url = reverse("intake:inquiry_check", args=[draft.public_id])
    page = submitter_client.get(url).content.decode()
    assert "Some questions are not answered yet" in page
    response = submitter_client.post(url)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Describe the problem you are trying to solve" in body
    assert "Select how far along the innovation is" in body
    draft.refresh_from_db()
    assert draft.status == Inquiry.Status.DRAFT
    assert outbox == []


@pytest.mark.django_db
def test_a_person_can_leave_and_come_back_to_their_draft(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter, title="Half done")
    body = submitter_client.get("/inquiries/").content.decode()
    assert "Half done" in body
    assert reverse("intake:inquiry_check", args=[draft.public_id]) in body


@pytest.mark.django_db
def test_a_draft_can_be_deleted_after_confirming(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter)
    url = reverse("intake:inquiry_delete", args=[draft.public_id])
    assert "Delete this draft?" in submitter_client.get(url).content.decode()
    assert Inquiry.objects.filter(pk=draft.pk).exists()
    submitter_client.post(url)
    assert not Inquiry.objects.filter(pk=draft.pk).exists()
