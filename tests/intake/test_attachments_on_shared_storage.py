"""Attachments on storage that is not this machine's filesystem, as on several web machines sharing an
object store (ATTACHMENT_STORAGE=s3): upload, virus scan, download, removal and the subject access
archive all go through Django's storage API.

Django's InMemoryStorage stands in for the object store. It has no path() (it raises
NotImplementedError, as S3Storage does), so any code that reached for a filesystem path would fail here.
"""

import io
import os
import zipfile

import pytest
from botocore.exceptions import ClientError
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from hubportal.models import DataExport
from hubportal.personal_data import data_export_build
from intake.models import Attachment
from tests.conftest import sign_in_staff
from tests.factories import DraftFactory, SubmittedFactory
from tests.intake.test_attachments import PDF
from tests.intake.test_upload_scanning import PDF_WITH_EICAR, clamd, scanner_on_tcp  # noqa: F401 - fixtures


class RefusingObjectStore(InMemoryStorage):
    """An object store that answers every write with an error, as S3 does when a bucket policy refuses
    it or the service is unavailable: botocore's ClientError, which is not an OSError."""

    def _save(self, name, content):
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "Please reduce your request rate."}},
                          "PutObject")


@pytest.fixture
def shared_storage(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    # The instance the FileFields write to (default_storage wraps storages["default"]).
    assert isinstance(storages["default"], InMemoryStorage)
    return storages["default"]


def files_on_disk(settings):
    return [name for _, _, names in os.walk(settings.MEDIA_ROOT) for name in names]


def upload(client, draft, name, content):
    url = reverse("intake:inquiry_step", args=[draft.public_id, "attachments"])
    return client.post(url, {"file": SimpleUploadedFile(name, content)})


@pytest.mark.django_db
def test_a_scanned_upload_is_stored_in_shared_storage_and_downloaded_from_it(
        submitter_client, submitter, shared_storage, scanner_on_tcp, settings):  # noqa: F811
    draft = DraftFactory(submitter=submitter)

    assert upload(submitter_client, draft, "pilot.pdf", PDF).status_code == 302

    attachment = Attachment.objects.get()
    assert shared_storage.exists(attachment.file.name)
    with shared_storage.open(attachment.file.name) as stored:
        assert stored.read() == PDF
    assert files_on_disk(settings) == []
    response = submitter_client.get(reverse("intake:attachment_download", args=[attachment.public_id]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.django_db
def test_a_file_in_which_clamd_finds_a_virus_never_reaches_shared_storage(
        submitter_client, submitter, shared_storage, scanner_on_tcp):  # noqa: F811
    draft = DraftFactory(submitter=submitter)

    response = upload(submitter_client, draft, "pilot.pdf", PDF_WITH_EICAR)

    assert response.status_code == 400
    assert "contains a virus" in response.content.decode()
    assert not Attachment.objects.exists()
    assert shared_storage.listdir("")[1] == [] and shared_storage.listdir("")[0] == []


@pytest.mark.django_db
def test_hub_staff_download_and_a_submitter_removes_through_shared_storage(
        submitter_client, submitter, shared_storage, hub, hub_lead, django_capture_on_commit_callbacks):
    inquiry = SubmittedFactory(hub=hub, submitter=submitter)
    attachment = Attachment(inquiry=inquiry, uploaded_by=submitter, original_name="results.pdf",
                            stored_name="abc.pdf", content_type="application/pdf", size=len(PDF))
    attachment.file.save("abc.pdf", ContentFile(PDF), save=True)

    lead_client = sign_in_staff(Client(), hub_lead)  # its own browser: submitter_client is the submitter's
    response = lead_client.get(reverse("intake:staff_attachment_download",
                                       args=[hub.slug, inquiry.reference, attachment.public_id]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF

    draft = DraftFactory(submitter=submitter)
    upload(submitter_client, draft, "draft.pdf", PDF)
    on_draft = Attachment.objects.get(inquiry=draft)
    name = on_draft.file.name
    assert shared_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the row's removal commits
        submitter_client.post(reverse("intake:attachment_remove", args=[on_draft.public_id]))
    assert not Attachment.objects.filter(pk=on_draft.pk).exists()
    assert not shared_storage.exists(name)


@pytest.mark.django_db
def test_the_subject_access_archive_is_built_from_and_kept_in_shared_storage(submitter, shared_storage, hub):
    inquiry = SubmittedFactory(hub=hub, submitter=submitter)
    attachment = Attachment(inquiry=inquiry, uploaded_by=submitter, original_name="results.pdf",
                            stored_name="abc.pdf", content_type="application/pdf", size=len(PDF))
    attachment.file.save("abc.pdf", ContentFile(PDF), save=True)
    export = DataExport.objects.create(user=submitter, email=submitter.email)

    data_export_build(export_id=export.pk)

    export.refresh_from_db()
    assert export.status == "ready" and shared_storage.exists(export.file.name)
    with export.file.open("rb") as stored:
        archive = zipfile.ZipFile(io.BytesIO(stored.read()))
    assert [archive.read(name) for name in archive.namelist() if name.endswith("results.pdf")] == [PDF]


@pytest.mark.django_db
def test_an_object_store_that_refuses_the_write_is_try_again_later_not_a_500(submitter_client, submitter, settings):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "tests.intake.test_attachments_on_shared_storage.RefusingObjectStore"}}
    draft = DraftFactory(submitter=submitter)

    response = upload(submitter_client, draft, "pilot.pdf", PDF)

    assert response.status_code == 503
    assert "could not be saved, so it was not uploaded. Try again later" in response.content.decode()
    assert not Attachment.objects.exists()
