"""An upload that cannot be stored leaves nothing behind and tells the person on the same page."""

import errno
import logging
import os

import pytest
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from intake.models import Attachment, Inquiry, InquiryEvent
from tests.factories import DraftFactory
from tests.intake.test_attachments import PDF

WRITTEN_BEFORE_THE_DISK_FILLS = 1024


class _FillsTheDisk(File):
    """Gives the storage one chunk, then fails as a full disk does mid-write."""

    def chunks(self, chunk_size=None):
        yield self.file.read(WRITTEN_BEFORE_THE_DISK_FILLS)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class DiskFullStorage(FileSystemStorage):
    def _save(self, name, content):
        # The real FileSystemStorage opens the file and writes the first chunk before the disk fills.
        return super()._save(name, _FillsTheDisk(content))


class ReadOnlyStorage(FileSystemStorage):
    def _save(self, name, content):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), self.path(name))


class NoPermissionStorage(FileSystemStorage):
    def _save(self, name, content):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), self.path(name))


def use_storage(settings, backend):
    settings.STORAGES = {**settings.STORAGES,
                         "default": {**settings.STORAGES["default"], "BACKEND": f"{__name__}.{backend}"}}


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["DiskFullStorage", "ReadOnlyStorage", "NoPermissionStorage"])
def test_a_file_that_cannot_be_stored_leaves_nothing_and_the_person_is_told_on_the_same_page(
        submitter_client, submitter, settings, caplog, backend):
    use_storage(settings, backend)
    draft = DraftFactory(submitter=submitter)
    before = Inquiry.objects.values().get(pk=draft.pk)
    content = PDF + b"%" * (8 * WRITTEN_BEFORE_THE_DISK_FILLS)
    url = reverse("intake:inquiry_step", args=[draft.public_id, "attachments"])
    with caplog.at_level(logging.ERROR, logger="intake.services"):
        response = submitter_client.post(url, {"file": SimpleUploadedFile("pilot.pdf", content)})
    assert response.status_code == 503
    page = response.content.decode()
    assert "The file pilot.pdf could not be saved, so it was not uploaded. Try again later" in page
    assert "There is a problem" in page  # the NHS.UK error summary, on the attachments page itself
    assert "Upload and add another file" in page
    assert [n for _, _, names in os.walk(settings.MEDIA_ROOT) for n in names] == []
    assert not Attachment.objects.exists()
    assert not InquiryEvent.objects.filter(kind=InquiryEvent.Kind.ATTACHMENT_ADDED).exists()
    assert Inquiry.objects.values().get(pk=draft.pk) == before
    assert "Could not store attachment" in caplog.text


@pytest.mark.django_db
def test_the_disk_full_storage_really_leaves_a_partial_file_without_the_cleanup(settings, tmp_path):
    """The test double is honest: Django alone keeps the half-written file the service must remove."""
    storage = DiskFullStorage(location=str(tmp_path))
    with pytest.raises(OSError, match="No space left"):
        storage.save("attachments/x.pdf", SimpleUploadedFile("x.pdf", PDF * 100))
    assert os.path.getsize(tmp_path / "attachments" / "x.pdf") == WRITTEN_BEFORE_THE_DISK_FILLS
