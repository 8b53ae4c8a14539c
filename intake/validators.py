"""Checks on what submitters type and upload."""

import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from xml.parsers import expat

import filetype

# Ten digits, written together or as 3-3-4 with spaces or hyphens, not part of a longer number.
_NHS_NUMBER_SHAPE = re.compile(r"(?<![\d])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d])")


def is_valid_nhs_number(digits):
    """The NHS number modulus 11 check: weights 10..2 on the first nine digits."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(digits[9])


def find_nhs_numbers(text):
    """Every substring of `text` that is a valid NHS number by its check digit."""
    found = []
    for match in _NHS_NUMBER_SHAPE.finditer(text or ""):
        if is_valid_nhs_number("".join(match.groups())):
            found.append(match.group(0))
    return found


@dataclass(frozen=True)
class AllowedType:
    extension: str
    mime: str
    description: str


ALLOWED_TYPES = {
    "pdf": AllowedType("pdf", "application/pdf", "PDF"),
    "png": AllowedType("png", "image/png", "PNG image"),
    "jpg": AllowedType("jpg", "image/jpeg", "JPEG image"),
    "docx": AllowedType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        "Word document"),
    "xlsx": AllowedType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        "Excel spreadsheet"),
    "pptx": AllowedType("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                        "PowerPoint presentation"),
}
ALLOWED_DESCRIPTION = "a PDF, Word, Excel or PowerPoint document, or a PNG or JPEG image"

# The part every Office Open XML package of each kind must contain.
_OOXML_MARKERS = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx", "ppt/presentation.xml": "pptx"}


def detect_type(upload):
    """The AllowedType of an uploaded file judged by its bytes, or None. Names are never trusted."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    guess = filetype.guess(head)
    try:
        if guess and guess.extension in ("pdf", "png", "jpg"):
            return ALLOWED_TYPES[guess.extension]
        if head.startswith(b"PK\x03\x04"):
            # Office documents are zip packages; look inside rather than at the first bytes only.
            try:
                with zipfile.ZipFile(upload) as archive:
                    names = set(archive.namelist())
            except zipfile.BadZipFile:
                return None
            if "[Content_Types].xml" not in names:
                return None
            for marker, extension in _OOXML_MARKERS.items():
                if marker in names:
                    return ALLOWED_TYPES[extension]
        return None
    finally:
        upload.seek(0)


# --- Office packages (docx, xlsx, pptx are zip files) --------------------------------------------
#
# Refused before anything decompresses them (clamd included): a zip bomb is judged from the sizes the
# archive declares, and only the small XML parts we must read are ever inflated, each bounded by its
# declared size (zipfile stops there and fails the CRC check if the declaration lied).

# Real Office documents compress about 3:1 to 30:1 (spreadsheets of repeated cells are the highest);
# 100:1 is far beyond any of them and well short of a bomb's thousands.
ZIP_MAX_RATIO = 100
ZIP_MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
ZIP_MAX_MEMBERS = 10_000
# A relationships part or [Content_Types].xml is a few kilobytes; a megabyte is generous.
_ZIP_MAX_XML_PART_BYTES = 1024 * 1024

_OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
# A password-protected docx/xlsx/pptx is not a zip at all: Office wraps it in an OLE2 compound file
# whose directory names this stream (names are UTF-16LE).
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")

# The one kind of external relationship we let through: a hyperlink, which Office follows only when a
# reader clicks it. Every other external target (attachedTemplate, oleObject, frame, image, subDocument)
# is fetched when the file opens - remote template injection, Follina, credential leaks to a file share.
_HYPERLINK_TYPES = {
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink",
    "http://purl.oclc.org/ooxml/officeDocument/relationships/hyperlink",
}
_SAFE_LINK_SCHEMES = ("http://", "https://", "mailto:")

DAMAGED = "The selected file is damaged and could not be read. Save it again and upload the new copy"
PASSWORD_PROTECTED = "The selected file is password protected. Remove the password and upload it again"  # noqa: S105
ZIP_BOMB = (f"The selected file unpacks to more than {ZIP_MAX_RATIO} times its size or more than "
            f"{ZIP_MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB, so it was not uploaded. Save it again "
            "without embedded files and upload the new copy")
MACROS = ("The selected file contains macros. Save it as a Word, Excel or PowerPoint file without macros "
          "(.docx, .xlsx or .pptx) and upload it again")
EXTERNAL_CONTENT = ("The selected file loads content from outside the document ({targets}). Remove linked "
                    "templates, pictures and objects and upload it again")


class UploadRefused(Exception):
    """An upload refused for a reason the person can act on; str() is the message to show them."""


def check_package(upload):
    """Refuse a zip or OLE2 container we should not store, with the reason. Other files pass untouched.

    Raises UploadRefused when the file is a password-protected Office document, a damaged or encrypted
    zip, a zip bomb (more than ZIP_MAX_RATIO:1, ZIP_MAX_UNCOMPRESSED_BYTES or ZIP_MAX_MEMBERS parts), or
    an Office package with macros or with external relationships other than web or email hyperlinks.
    """
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    try:
        if head.startswith(_OLE2_MAGIC):
            # Old binary .doc/.xls are refused later as a type we do not accept; only name the password.
            if _ENCRYPTED_PACKAGE in upload.read():
                raise UploadRefused(PASSWORD_PROTECTED)
            return
        if not head.startswith(b"PK\x03\x04"):
            return
        try:
            with zipfile.ZipFile(upload) as archive:
                _check_zip(archive)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as error:
            # NotImplementedError: a compression method zipfile cannot read; nothing we accept uses one.
            raise UploadRefused(DAMAGED) from error
    finally:
        upload.seek(0)


def _check_zip(archive):
    members = archive.infolist()
    if len(members) > ZIP_MAX_MEMBERS:
        raise UploadRefused(ZIP_BOMB)
    if any(member.flag_bits & 0x1 for member in members):
        raise UploadRefused(PASSWORD_PROTECTED)
    uncompressed = sum(member.file_size for member in members)
    compressed = sum(member.compress_size for member in members)
    if uncompressed > ZIP_MAX_UNCOMPRESSED_BYTES or uncompressed > ZIP_MAX_RATIO * max(compressed, 1):
        raise UploadRefused(ZIP_BOMB)
    names = [member.filename for member in members]
    if any(posixpath.basename(name).lower() == "vbaproject.bin" for name in names):
        raise UploadRefused(MACROS)
    if "[Content_Types].xml" in names and b"macroenabled" in _read_part(archive, "[Content_Types].xml").lower():
        # A .docm/.xlsm/.pptm renamed: its content types declare macros even if the project part is hidden.
        raise UploadRefused(MACROS)
    external = []
    for member in members:
        directory, _, filename = member.filename.rpartition("/")
        if posixpath.basename(directory) == "_rels" and filename.lower().endswith(".rels"):
            external.extend(_external_targets(_read_part(archive, member.filename)))
    if external:
        raise UploadRefused(EXTERNAL_CONTENT.format(targets=", ".join(sorted(set(external))[:3])))


def _read_part(archive, name):
    info = archive.getinfo(name)
    if info.file_size > _ZIP_MAX_XML_PART_BYTES:
        raise UploadRefused(ZIP_BOMB)
    return archive.read(info)


def _external_targets(xml):
    """The targets of external relationships in one .rels part that are not plain web or email links."""
    relationships = []

    def refuse_dtd(*args):
        # OOXML forbids DTDs; one here is an entity-expansion attempt, not a document (any encoding).
        raise UploadRefused(DAMAGED)

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.StartElementHandler = lambda name, attributes: relationships.append(attributes)
    try:
        parser.Parse(xml, True)
    except expat.ExpatError:
        raise UploadRefused(DAMAGED) from None
    targets = []
    for relationship in relationships:
        if relationship.get("TargetMode", "").strip().lower() != "external":
            continue
        target = relationship.get("Target", "").strip()
        if relationship.get("Type") in _HYPERLINK_TYPES and target.lower().startswith(_SAFE_LINK_SCHEMES):
            continue
        targets.append(target[:80] or "an empty link")
    return targets
