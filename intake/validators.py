"""Checks on what submitters type and upload."""

import re
import zipfile
from dataclasses import dataclass

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
