import io
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from intake.models import Attachment, InquiryEvent
from tests.factories import DraftFactory

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 40


def docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def plain_zip_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "just some notes")
    return buffer.getvalue()


def upload(client, draft, name, content, content_type="application/octet-stream"):
    url = reverse("intake:inquiry_step", args=[draft.public_id, "attachments"])
    return client.post(url, {"file": SimpleUploadedFile(name, content, content_type=content_type)})


@pytest.mark.django_db
@pytest.mark.parametrize("name, content, mime", [
    ("pilot.pdf", PDF, "application/pdf"),
    ("diagram.png", PNG, "image/png"),
    ("business-case.docx", None, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
])
def test_it_accepts_allowed_types_judged_by_content_and_stores_them_under_a_random_name(
        submitter_client, submitter, name, content, mime):
    draft = DraftFactory(submitter=submitter)
    response = upload(submitter_client, draft, name, content or docx_bytes())
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.original_name == name
    assert attachment.content_type == mime
    assert name not in attachment.file.name
    assert os.path.exists(attachment.file.path)
    assert InquiryEvent.objects.filter(inquiry=draft, kind=InquiryEvent.Kind.ATTACHMENT_ADDED).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name, content", [
    ("report.pdf", b"MZ\x90\x00 this is a Windows executable"),
    ("notes.docx", None),  # a zip archive, but not an Office package
    ("script.html", b"<script>alert(1)</script>"),
])
def test_it_refuses_a_file_whose_content_is_not_an_allowed_type_whatever_its_name(
        submitter_client, submitter, name, content):
    draft = DraftFactory(submitter=submitter)
    response = upload(submitter_client, draft, name, content or plain_zip_bytes(), content_type="application/pdf")
    assert response.status_code == 400
    assert "The selected file must be a PDF, Word, Excel or PowerPoint document" in response.content.decode()
    assert Attachment.objects.count() == 0


@pytest.mark.django_db
def test_it_refuses_an_oversize_file_with_the_limit(submitter_client, submitter, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    draft = DraftFactory(submitter=submitter)
    response = upload(submitter_client, draft, "big.pdf", PDF + b"0" * 2048)
    assert response.status_code == 400
    assert "The selected file must be smaller than 1.0\xa0KB" in response.content.decode()
    assert Attachment.objects.count() == 0


@pytest.mark.django_db
def test_it_refuses_more_than_the_allowed_number_of_files(submitter_client, submitter, settings):
    settings.ATTACHMENTS_PER_INQUIRY = 1
    draft = DraftFactory(submitter=submitter)
    assert upload(submitter_client, draft, "a.pdf", PDF).status_code == 302
    response = upload(submitter_client, draft, "b.pdf", PDF)
    assert "You can upload up to 1 files" in response.content.decode()
    assert Attachment.objects.count() == 1


@pytest.mark.django_db
def test_the_download_is_always_an_attachment_with_the_checked_type(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter)
    upload(submitter_client, draft, 'evil"name.pdf', PDF)
    attachment = Attachment.objects.get()
    response = submitter_client.get(reverse("intake:attachment_download", args=[attachment.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert '"' not in attachment.original_name
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.django_db
def test_another_submitter_gets_404_for_an_attachment(submitter_client, submitter, other_submitter, client):
    draft = DraftFactory(submitter=submitter)
    upload(submitter_client, draft, "pilot.pdf", PDF)
    attachment = Attachment.objects.get()
    client.force_login(other_submitter)
    url = reverse("intake:attachment_download", args=[attachment.public_id])
    assert client.get(url).status_code == 404
    assert client.post(reverse("intake:attachment_remove", args=[attachment.public_id])).status_code == 404
    assert Attachment.objects.filter(pk=attachment.pk).exists()


@pytest.mark.django_db
def test_removing_an_attachment_deletes_the_row_and_the_file(submitter_client, submitter,
                                                            django_capture_on_commit_callbacks):
    draft = DraftFactory(submitter=submitter)
    upload(submitter_client, draft, "pilot.pdf", PDF)
    attachment = Attachment.objects.get()
    path = attachment.file.path
    with django_capture_on_commit_callbacks(execute=True):
        response = submitter_client.post(reverse("intake:attachment_remove", args=[attachment.public_id]))
    assert response.status_code == 302
    assert not Attachment.objects.exists()
    assert InquiryEvent.objects.filter(inquiry=draft, kind=InquiryEvent.Kind.ATTACHMENT_REMOVED).exists()
    assert not os.path.exists(path)


@pytest.mark.django_db
def test_uploads_are_not_reachable_at_any_public_url(client, submitter_client, submitter, settings):
    draft = DraftFactory(submitter=submitter)
    upload(submitter_client, draft, "pilot.pdf", PDF)
    attachment = Attachment.objects.get()
    for url in (f"/media/{attachment.file.name}", f"/not-public/{attachment.file.name}",
                f"/static/{attachment.file.name}"):
        assert client.get(url).status_code == 404
