"""A submitter attaches files when answering the hub's question (issue 9): the journey's checks, the
answer and the files in one transaction, and staff see the files beside the answer."""

import errno
import os

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hubportal.models import OutboundEmail
from intake import services
from intake.models import Attachment, InformationRequest, Inquiry, InquiryEvent
from tests.factories import DraftFactory
from tests.intake.test_attachments import PDF, PNG, plain_zip_bytes
from tests.intake.test_upload_scanning import PDF_WITH_EICAR, clamd, scanner_on_tcp  # noqa: F401 (fixtures)


@pytest.fixture
def awaiting(hub, hub_lead, submitter):
    inquiry = services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=hub, title="Falls sensor"),
                                      by=submitter)
    services.inquiry_request_info(inquiry=inquiry, by=hub_lead, question="Do you have the pilot report?",
                                  version=inquiry.version)
    inquiry.refresh_from_db()
    return inquiry


def answer(client, inquiry, text, *files):
    url = reverse("intake:inquiry_answer", args=[inquiry.public_id])
    return client.post(url, {"answer": text, "files": list(files)})


def stored_files(settings):
    return [name for _, _, names in os.walk(settings.MEDIA_ROOT) for name in names]


@pytest.mark.django_db
def test_it_saves_the_answer_and_its_files_together_and_staff_see_them_beside_the_answer(
        submitter_client, client, hub, hub_lead, submitter, awaiting, settings):
    from tests.conftest import sign_in_staff

    response = answer(submitter_client, awaiting, "Yes, attached with the ward photo",
                      SimpleUploadedFile("pilot report.pdf", PDF), SimpleUploadedFile("ward.png", PNG))
    assert response.status_code == 302
    question = InformationRequest.objects.get(inquiry=awaiting)
    assert question.answer == "Yes, attached with the ward photo"
    assert question.answered_at is not None
    assert sorted(a.original_name for a in question.attachments.all()) == ["pilot report.pdf", "ward.png"]
    assert all(a.uploaded_by == submitter and a.inquiry == awaiting for a in question.attachments.all())
    assert len(stored_files(settings)) == 2
    awaiting.refresh_from_db()
    assert awaiting.status == Inquiry.Status.IN_REVIEW
    assert awaiting.events.filter(kind=InquiryEvent.Kind.ATTACHMENT_ADDED).count() == 2
    assert OutboundEmail.objects.filter(template="information_received").exists()

    staff = sign_in_staff(client.__class__(), hub_lead)
    page = staff.get(reverse("intake:staff_inquiry", args=[hub.slug, awaiting.reference])).content.decode()
    questions = page[page.index('id="questions"'):page.index('id="referrals-heading"')]
    assert "Files sent with the answer:" in questions
    for attachment in question.attachments.all():
        url = reverse("intake:staff_attachment_download", args=[hub.slug, awaiting.reference, attachment.public_id])
        assert url in questions


@pytest.mark.django_db
@pytest.mark.parametrize("name, content, message", [
    ("notes.docx", plain_zip_bytes(), "must be"),
    ("run.pdf", b"MZ\x90\x00 a Windows executable", "must be"),
])
def test_it_refuses_a_file_the_journey_would_refuse_and_keeps_the_typed_answer(
        submitter_client, awaiting, settings, name, content, message):
    response = answer(submitter_client, awaiting, "Here is our report", SimpleUploadedFile(name, content))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Here is our report</textarea>" in body
    assert "nhsuk-error-summary" in body and message in body
    question = InformationRequest.objects.get(inquiry=awaiting)
    assert question.answered_at is None and question.answer == ""
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []
    awaiting.refresh_from_db()
    assert awaiting.status == Inquiry.Status.AWAITING_INFO


@pytest.mark.django_db
def test_it_refuses_more_files_than_an_inquiry_may_have(submitter_client, awaiting, settings):
    settings.ATTACHMENTS_PER_INQUIRY = 2
    response = answer(submitter_client, awaiting, "Three files", *[SimpleUploadedFile(f"p{n}.pdf", PDF)
                                                                   for n in range(3)])
    assert response.status_code == 400
    assert "You can upload up to 2 files" in response.content.decode()
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_file_with_a_virus_and_saves_nothing(submitter_client, awaiting, settings, scanner_on_tcp):  # noqa: F811
    response = answer(submitter_client, awaiting, "Report attached", SimpleUploadedFile("pilot.pdf", PDF_WITH_EICAR))
    assert response.status_code == 400
    assert "The file pilot.pdf contains a virus and was not uploaded" in response.content.decode()
    assert not Attachment.objects.exists()
    assert InformationRequest.objects.get(inquiry=awaiting).answered_at is None


class SecondFileFails(FileSystemStorage):
    saved = 0

    def _save(self, name, content):
        SecondFileFails.saved += 1
        if SecondFileFails.saved == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self.path(name))
        return super()._save(name, content)


@pytest.mark.django_db
def test_a_file_that_cannot_be_stored_keeps_neither_the_answer_nor_the_other_files(
        submitter_client, awaiting, settings):
    SecondFileFails.saved = 0
    settings.STORAGES = {**settings.STORAGES, "default": {
        **settings.STORAGES["default"], "BACKEND": f"{__name__}.SecondFileFails"}}
    response = answer(submitter_client, awaiting, "Both reports",
                      SimpleUploadedFile("one.pdf", PDF), SimpleUploadedFile("two.pdf", PDF))
    assert response.status_code == 503
    assert "Both reports</textarea>" in response.content.decode()
    assert "your answer was not sent" in response.content.decode()
    assert InformationRequest.objects.get(inquiry=awaiting).answered_at is None
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []
    assert not OutboundEmail.objects.filter(template="information_received").exists()


@pytest.mark.django_db
def test_a_file_reaches_a_sent_inquiry_only_with_an_open_question(awaiting, submitter):
    upload = SimpleUploadedFile("late.pdf", PDF)
    from intake.forms import attachment_check

    attachment_check(upload, inquiry=awaiting)
    with pytest.raises(services.InquiryNotEditable):
        services.attachment_add(inquiry=awaiting, by=submitter, upload=upload)
    question = InformationRequest.objects.get(inquiry=awaiting)
    services.inquiry_answer_info(inquiry=awaiting, by=submitter, answer="Done")
    with pytest.raises(services.InquiryNotEditable):
        services.attachment_add(inquiry=awaiting, by=submitter, upload=upload, information_request=question)
    assert not Attachment.objects.exists()
