import re

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from hubportal.models import OutboundEmail
from intake import services
from intake.models import Inquiry, InquiryEvent
from tests.factories import DraftFactory


def _send(client, draft):
    return client.post(reverse("intake:inquiry_check", args=[draft.public_id]))


@pytest.mark.django_db
def test_sending_gives_a_reference_a_confirmation_page_and_one_acknowledgement(
        submitter_client, submitter, hub, outbox, django_capture_on_commit_callbacks):
    draft = DraftFactory(submitter=submitter, hub=hub, title="Virtual ward for frailty")
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(submitter_client, draft)
    assert response["Location"] == reverse("intake:inquiry_submitted", args=[draft.public_id])
    draft.refresh_from_db()
    year = timezone.localdate().year
    assert draft.reference == f"DOR-{year}-00001"
    assert draft.status == Inquiry.Status.SUBMITTED
    assert draft.submitted_at is not None
    page = submitter_client.get(response["Location"]).content.decode()
    assert draft.reference in page
    assert "Inquiry sent" in page

    assert len(outbox) == 1
    message = outbox[0]
    assert message.to == ["jo.bloggs@nhs.net"]
    assert draft.reference in message.subject
    link = f"http://testserver/inquiries/{draft.public_id}/"
    assert link in message.body
    assert f'href="{link}"' in message.alternatives[0][0]
    # A link, not the content: nothing the person wrote is in either part.
    for part in (message.subject, message.body, message.alternatives[0][0]):
        assert "Virtual ward for frailty" not in part
        assert draft.problem not in part
    assert message.reply_to == [hub.email]
    assert OutboundEmail.objects.get().key == f"inquiry:{draft.pk}:acknowledgement"


@pytest.mark.django_db
def test_references_count_up_per_hub_and_year(submitter, hub, other_hub):
    year = timezone.localdate().year
    refs = [services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=h), by=submitter).reference
            for h in (hub, hub, other_hub, hub)]
    assert refs == [f"DOR-{year}-00001", f"DOR-{year}-00002", f"MAN-{year}-00001", f"DOR-{year}-00003"]


@pytest.mark.django_db
def test_sending_twice_sends_once(submitter_client, submitter, outbox, django_capture_on_commit_callbacks):
    draft = DraftFactory(submitter=submitter)
    with django_capture_on_commit_callbacks(execute=True):
        _send(submitter_client, draft)
        second = _send(submitter_client, draft)
    assert second.status_code == 302
    assert second["Location"] == reverse("intake:inquiry_detail", args=[draft.public_id])
    assert Inquiry.objects.get(pk=draft.pk).reference.endswith("00001")
    assert InquiryEvent.objects.filter(inquiry=draft, kind=InquiryEvent.Kind.SUBMITTED).count() == 1
    assert len(outbox) == 1


@pytest.mark.django_db
def test_a_sent_inquiry_can_no_longer_be_changed_through_the_journey(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter, title="Original")
    services.inquiry_submit(inquiry=draft, by=submitter)
    response = submitter_client.post(f"/inquiries/{draft.public_id}/questions/title/", {"title": "Changed"})
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:inquiry_detail", args=[draft.public_id])
    assert Inquiry.objects.get(pk=draft.pk).title == "Original"


@pytest.mark.django_db
def test_a_draft_sent_from_another_tab_is_not_overwritten(submitter):
    draft = DraftFactory(submitter=submitter, title="Original")
    stale_copy = Inquiry.objects.get(pk=draft.pk)
    services.inquiry_submit(inquiry=draft, by=submitter)
    with pytest.raises(services.InquiryNotEditable):
        services.inquiry_update_draft(inquiry=stale_copy, answers={"title": "Changed"})
    assert Inquiry.objects.get(pk=draft.pk).title == "Original"


@pytest.mark.django_db
def test_only_the_submitter_can_send_their_draft(submitter, other_submitter):
    draft = DraftFactory(submitter=submitter)
    with pytest.raises(services.InquiryNotEditable):
        services.inquiry_submit(inquiry=draft, by=other_submitter)
    assert Inquiry.objects.get(pk=draft.pk).status == Inquiry.Status.DRAFT


@pytest.mark.django_db(transaction=True)
def test_no_acknowledgement_is_written_when_the_submission_rolls_back(submitter, outbox):
    draft = DraftFactory(submitter=submitter)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.inquiry_submit(inquiry=draft, by=submitter)
        raise RuntimeError("something after the submission failed")
    assert OutboundEmail.objects.count() == 0
    assert outbox == []
    draft.refresh_from_db()
    assert draft.status == Inquiry.Status.DRAFT
    assert draft.reference is None


@pytest.mark.django_db
def test_your_inquiries_shows_the_reference_and_status_and_the_timeline(submitter_client, submitter, hub):
    draft = DraftFactory(submitter=submitter, hub=hub, title="Sepsis screening app")
    services.inquiry_submit(inquiry=draft, by=submitter)
    draft.refresh_from_db()
    listing = submitter_client.get("/inquiries/").content.decode()
    assert draft.reference in listing
    assert "Submitted" in listing
    detail = submitter_client.get(f"/inquiries/{draft.public_id}/").content.decode()
    assert "Sepsis screening app" in detail
    assert "You sent your inquiry to the hub" in detail
    assert re.search(r"Sent to Dorset Innovation Hub", detail)
