"""CSV import and export of the directory: one row per partner service.

The format is documented in signposting/README.md ("The directory CSV"). An import checks every
row first and reports each problem with its row number and column; if any row is wrong it changes
nothing, and if all are right it applies them in one transaction. Export then import of the same
file changes nothing.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import Prefetch

from hubportal.models import Hub
from hubportal.taxonomy import InnovationType, Stage, SupportNeed, Theme

from .models import Partner, PartnerContact, PartnerService, PartnerType, ServiceStatus

ORGANISATION_COLUMNS = [
    "organisation_id", "organisation_name", "organisation_type", "organisation_description",
    "organisation_email", "organisation_website", "hubs", "serves_all_hubs", "organisation_active",
    "organisation_assured_date", "organisation_assurer_email",
]
SERVICE_COLUMNS = [
    "service_id", "service_name", "service_description", "service_url", "service_email", "service_status",
    "support_needs", "themes", "innovation_types", "stages", "eligibility", "area_served",
    "service_assured_date", "service_assurer_email",
]
CONTACT_COLUMNS = ["referral_contacts", "lead_contact"]
COLUMNS = ORGANISATION_COLUMNS + SERVICE_COLUMNS + CONTACT_COLUMNS
REQUIRED_COLUMNS = ["organisation_name", "organisation_type"]
MAX_ROWS = 5000
LIST_SEPARATOR = ";"
FORMULA_STARTS = ("=", "+", "-", "@")

CODE_LISTS = {
    "support_needs": SupportNeed,
    "themes": Theme,
    "innovation_types": InnovationType,
    "stages": Stage,
}
_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0"}


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    message: str

    def __str__(self):
        where = f"Row {self.row}" if self.row else "The file"
        return f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


@dataclass
class ImportResult:
    errors: list = field(default_factory=list)
    partners_created: int = 0
    partners_updated: int = 0
    services_created: int = 0
    services_updated: int = 0
    contacts_created: int = 0

    @property
    def ok(self):
        return not self.errors


class DirectoryImportError(Exception):
    def __init__(self, errors):
        super().__init__(f"{len(errors)} problem(s) in the file")
        self.errors = errors


# --- Reading one cell ------------------------------------------------------------------------------

class CellError(Exception):
    pass


def _bool(value, default):
    value = value.strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise CellError(f"'{value}' is not yes or no")


def _date(value):
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CellError(f"'{value}' is not a date written as YYYY-MM-DD, like 2026-03-31") from None


# The longest value each kind of cell may hold: the database columns' sizes. A longer one used to pass
# the validators (an email address may be 320 characters, a URL 2048) and fail in PostgreSQL as a 500.
EMAIL_MAX = 254
URL_MAX = 200
NAME_MAX = 200


def _email(value):
    value = value.strip().lower()
    if len(value) > EMAIL_MAX:
        raise CellError(f"'{value[:40]}…' is {len(value)} characters long; the most allowed is {EMAIL_MAX}")
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise CellError(f"'{value}' is not an email address, like name@example.org") from None
    return value


def _url(value):
    value = value.strip()
    if len(value) > URL_MAX:
        raise CellError(f"is {len(value)} characters long; the most allowed is {URL_MAX}")
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise CellError(f"'{value}' is not a web address starting with https://") from None
    return value


def _codes(value, choices):
    codes = [c.strip() for c in value.split(LIST_SEPARATOR) if c.strip()]
    unknown = [c for c in codes if c not in choices.values]
    if unknown:
        raise CellError(f"{', '.join(repr(c) for c in unknown)} not known; use codes from: "
                        f"{', '.join(choices.values)}")
    return list(dict.fromkeys(codes))


def _choice(value, choices, default=None):
    value = value.strip()
    if not value and default is not None:
        return default
    if value not in choices.values:
        raise CellError(f"'{value}' is not one of: {', '.join(choices.values)}")
    return value


def _text(value, limit):
    value = value.strip()
    if len(value) > limit:
        raise CellError(f"is {len(value)} characters long; the most allowed is {limit}")
    return value


def _people(value):
    """'Name <email>; Name <email>' -> [(name, email)]."""
    people = []
    for part in (p.strip() for p in value.split(LIST_SEPARATOR)):
        if not part:
            continue
        if "<" in part and part.endswith(">"):
            name, email = part[:-1].split("<", 1)
            name = _text(name, NAME_MAX)
        else:
            name, email = "", part
        email = _email(email)
        if not email:
            raise CellError(f"'{part}' has no email address; write Name <name@example.org>")
        people.append((name or email, email))
    return people


# --- Import ----------------------------------------------------------------------------------------

def _unescape(value):
    """Undo the export's protection of cells a spreadsheet would run as a formula."""
    return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_STARTS else value


def _read_rows(text):
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error:
        return [], [RowError(1, "", f"has a cell longer than {csv.field_size_limit()} characters")]
    problems = []
    if not header:
        return [], [RowError(0, "", "is empty; the first row must name the columns")]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing:
        problems.append(RowError(1, "", f"the columns {', '.join(missing)} are missing"))
    if unknown:
        problems.append(RowError(1, "", f"the columns {', '.join(unknown)} are not known; "
                                        f"the columns are: {', '.join(COLUMNS)}"))
    reader.fieldnames = header
    rows = []
    number = 1
    try:
        for number, row in enumerate(reader, start=2):
            if None in row:
                problems.append(RowError(number, "", "has more cells than the header has columns"))
                continue
            # PostgreSQL refuses text with a NUL character in it; say which cell, before anything is saved.
            nul = [column for column, value in row.items() if "\x00" in (value or "")]
            if nul:
                problems += [RowError(number, column, "contains a NUL character; remove it") for column in nul]
                continue
            if not any((v or "").strip() for v in row.values()):
                continue  # blank lines are skipped
            rows.append((number, {k: _unescape(v or "") for k, v in row.items()}))
            if len(rows) > MAX_ROWS:
                problems.append(RowError(0, "", f"has more than {MAX_ROWS} rows; split it into smaller files"))
                break
    except csv.Error:
        # The csv module stops at a cell over its field size limit (131072 characters by default).
        problems.append(RowError(number + 1, "", f"has a cell longer than {csv.field_size_limit()} characters"))
    return rows, problems


def _parse_row(number, row, present, hubs_by_code):
    """Cleaned organisation, service and contact values of one row, or errors."""
    errors = []
    org, service, contacts = {}, {}, {}

    def read(column, reader, target, key):
        if column not in present:
            return
        try:
            target[key] = reader(row[column])
        except CellError as problem:
            errors.append(RowError(number, column, str(problem)))

    read("organisation_id", lambda v: v.strip(), org, "public_id")
    read("organisation_name", lambda v: _text(v, 200), org, "name")
    if not org.get("name") and not any(e.column == "organisation_name" for e in errors):
        errors.append(RowError(number, "organisation_name", "enter the organisation's name"))
    read("organisation_type", lambda v: _choice(v, PartnerType), org, "kind")
    read("organisation_description", lambda v: _text(v, 2000), org, "description")
    read("organisation_email", _email, org, "email")
    read("organisation_website", _url, org, "website")
    read("serves_all_hubs", lambda v: _bool(v, False), org, "serves_all_hubs")
    read("organisation_active", lambda v: _bool(v, True), org, "is_active")
    read("organisation_assured_date", _date, org, "assured_on")
    read("organisation_assurer_email", _email, org, "assurer_email")
    if "hubs" in present:
        codes = [c.strip().upper() for c in row["hubs"].split(LIST_SEPARATOR) if c.strip()]
        unknown = [c for c in codes if c not in hubs_by_code]
        if unknown:
            errors.append(RowError(number, "hubs", f"{', '.join(unknown)} not known; use hub codes from: "
                                                   f"{', '.join(sorted(hubs_by_code))}"))
        else:
            org["hubs"] = sorted(set(codes))

    read("service_id", lambda v: v.strip(), service, "public_id")
    read("service_name", lambda v: _text(v, 200), service, "name")
    read("service_description", lambda v: _text(v, 2000), service, "description")
    read("service_url", _url, service, "url")
    read("service_email", _email, service, "email")
    read("service_status", lambda v: _choice(v, ServiceStatus, default=ServiceStatus.ACTIVE), service, "status")
    for column, choices in CODE_LISTS.items():
        read(column, lambda v, c=choices: _codes(v, c), service, column)
    read("eligibility", lambda v: _text(v, 1000), service, "eligibility_description")
    read("area_served", lambda v: _text(v, 300), service, "area_served")
    read("service_assured_date", _date, service, "assured_on")
    read("service_assurer_email", _email, service, "assurer_email")
    if not service.get("name"):
        filled = [c for c in SERVICE_COLUMNS if c in present and c != "service_status" and row[c].strip()]
        if filled:
            errors.append(RowError(number, "service_name",
                                   f"enter the service's name (the row fills {', '.join(filled)})"))
        service = None

    read("referral_contacts", _people, contacts, "referral")
    read("lead_contact", _people, contacts, "lead")
    if len(contacts.get("lead", [])) > 1:
        errors.append(RowError(number, "lead_contact", "name one lead contact"))
    return org, service, contacts, errors


def _check_rows(rows, present):
    """Parse every row; group them by organisation; find every problem. Touches nothing."""
    hubs_by_code = {h.code: h for h in Hub.objects.all()}
    existing_by_id = {str(p.public_id): p for p in Partner.objects.all()}
    existing_by_name = {p.name.lower(): p for p in existing_by_id.values()}
    services_by_id = {str(s.public_id): s for s in PartnerService.objects.all()}
    errors, organisations = [], {}

    for number, row in rows:
        org, service, contacts, row_errors = _parse_row(number, row, present, hubs_by_code)
        errors += row_errors
        if row_errors:
            continue
        partner = None
        if org.get("public_id"):
            partner = existing_by_id.get(org["public_id"])
            if partner is None:
                errors.append(RowError(number, "organisation_id",
                                       "no organisation has this id; leave it blank to add a new one"))
                continue
        else:
            partner = existing_by_name.get(org["name"].lower())
        key = str(partner.public_id) if partner else org["name"].lower()
        entry = organisations.get(key)
        fields = {k: v for k, v in org.items() if k != "public_id"}
        if entry is None:
            entry = organisations[key] = {"row": number, "partner": partner, "fields": fields,
                                          "services": {}, "referral": {}, "lead": {}}
        else:
            for name, value in fields.items():
                if name in entry["fields"] and entry["fields"][name] != value:
                    column = _ORG_FIELD_COLUMNS[name]
                    errors.append(RowError(number, column,
                                           f"differs from row {entry['row']} for the same organisation"))
        if partner is None and "kind" not in fields:
            errors.append(RowError(number, "organisation_type", "a new organisation needs a type"))
        if service is not None:
            svc = None
            if service.get("public_id"):
                svc = services_by_id.get(service["public_id"])
                if svc is None or partner is None or svc.partner_id != partner.pk:
                    errors.append(RowError(number, "service_id",
                                           "no service of this organisation has this id; leave it blank "
                                           "to add a new one"))
                    continue
            name_key = service["name"].lower()
            if name_key in entry["services"]:
                errors.append(RowError(number, "service_name",
                                       f"this organisation's service '{service['name']}' is already on row "
                                       f"{entry['services'][name_key]['row']}"))
                continue
            entry["services"][name_key] = {"row": number, "service": svc,
                                           "fields": {k: v for k, v in service.items() if k != "public_id"}}
        for name, email in contacts.get("referral", []):
            entry["referral"].setdefault(email, name)
        for name, email in contacts.get("lead", []):
            entry["lead"].setdefault(email, name)
    # Two organisations may not end up with the same name (in the file, or one in the file and one not).
    final_names = {}
    for entry in organisations.values():
        name = entry["fields"].get("name", "").lower()
        if name in final_names:
            errors.append(RowError(entry["row"], "organisation_name",
                                   f"is also the name of the organisation on row {final_names[name]}"))
        final_names[name] = entry["row"]
        other = existing_by_name.get(name)
        if other is not None and entry["partner"] is not None and other.pk != entry["partner"].pk:
            errors.append(RowError(entry["row"], "organisation_name",
                                   "another organisation in the directory already has this name"))
    return organisations, errors, hubs_by_code


_ORG_FIELD_COLUMNS = {
    "name": "organisation_name", "kind": "organisation_type", "description": "organisation_description",
    "email": "organisation_email", "website": "organisation_website", "hubs": "hubs",
    "serves_all_hubs": "serves_all_hubs", "is_active": "organisation_active",
    "assured_on": "organisation_assured_date", "assurer_email": "organisation_assurer_email",
}


def _apply(organisations, hubs_by_code, result):
    for entry in organisations.values():
        fields = dict(entry["fields"])
        hub_codes = fields.pop("hubs", None)
        partner = entry["partner"]
        changed = []
        if partner is None:
            partner = Partner.objects.create(**fields)
            result.partners_created += 1
        else:
            changed = [name for name, value in fields.items() if getattr(partner, name) != value]
            for name in changed:
                setattr(partner, name, fields[name])
            if changed:
                partner.save()
        if hub_codes is not None:
            wanted = {hubs_by_code[c].pk for c in hub_codes}
            if set(partner.hubs.values_list("pk", flat=True)) != wanted:
                partner.hubs.set(wanted)
                changed.append("hubs")
        if entry["partner"] is not None and changed:
            result.partners_updated += 1
        for item in entry["services"].values():
            service = item["service"] or PartnerService.objects.filter(
                partner=partner, name__iexact=item["fields"]["name"]).first()
            if service is None:
                PartnerService.objects.create(partner=partner, **item["fields"])
                result.services_created += 1
                continue
            changed = [n for n, v in item["fields"].items() if getattr(service, n) != v]
            for name in changed:
                setattr(service, name, item["fields"][name])
            if changed:
                service.save()
                result.services_updated += 1
        people = {**entry["referral"], **entry["lead"]}
        for email, name in people.items():
            contact, created = PartnerContact.objects.get_or_create(
                partner=partner, email=email,
                defaults={"name": name, "receives_referrals": email in entry["referral"],
                          "is_lead": email in entry["lead"]})
            if created:
                result.contacts_created += 1
                continue
            wanted = {"receives_referrals": contact.receives_referrals or email in entry["referral"],
                      "is_lead": contact.is_lead or email in entry["lead"]}
            if any(getattr(contact, k) != v for k, v in wanted.items()):
                PartnerContact.objects.filter(pk=contact.pk).update(**wanted)


def directory_import(*, text):
    """Import the directory from CSV text. Returns an ImportResult; on any error nothing changes.

    Rules: organisations are matched by organisation_id, else by name (ignoring case); services by
    service_id, else by name within their organisation; contacts by email within their organisation.
    A column left out of the file leaves that field as it is; a blank cell empties it. Nothing is
    deleted by an import: an organisation, service or contact missing from the file stays.
    """
    result = ImportResult()
    text = text.lstrip("\ufeff")
    rows, problems = _read_rows(text)
    if problems:
        result.errors = problems
        return result
    if not rows:
        result.errors = [RowError(0, "", "has no rows under the header")]
        return result
    present = set(rows[0][1].keys())
    organisations, errors, hubs_by_code = _check_rows(rows, present)
    if errors:
        result.errors = errors
        return result
    with transaction.atomic():
        _apply(organisations, hubs_by_code, result)
    return result


def decode_upload(upload, *, max_bytes=2 * 1024 * 1024):
    """The text of an uploaded CSV, or raise DirectoryImportError with a message for the person."""
    if upload.size > max_bytes:
        raise DirectoryImportError([RowError(0, "", f"is larger than {max_bytes // (1024 * 1024)} MB")])
    raw = upload.read()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DirectoryImportError([RowError(0, "", "is not a CSV file saved as UTF-8")])


# --- Export ----------------------------------------------------------------------------------------

def _people_cell(contacts):
    return "; ".join(f"{c.name} <{c.email}>" for c in contacts)


def _yes(value):
    return "yes" if value else "no"


def directory_export_rows():
    """The directory as CSV rows (dicts keyed by COLUMNS), a fixed number of queries."""
    partners = Partner.objects.prefetch_related(
        "hubs",
        Prefetch("services", queryset=PartnerService.objects.order_by("name")),
        Prefetch("contacts", queryset=PartnerContact.objects.filter(is_active=True).order_by("name")),
    ).order_by("name")
    for partner in partners:
        org = {
            "organisation_id": str(partner.public_id), "organisation_name": partner.name,
            "organisation_type": partner.kind, "organisation_description": partner.description,
            "organisation_email": partner.email, "organisation_website": partner.website,
            "hubs": LIST_SEPARATOR.join(sorted(h.code for h in partner.hubs.all())),
            "serves_all_hubs": _yes(partner.serves_all_hubs), "organisation_active": _yes(partner.is_active),
            "organisation_assured_date": partner.assured_on.isoformat() if partner.assured_on else "",
            "organisation_assurer_email": partner.assurer_email,
            "referral_contacts": _people_cell([c for c in partner.contacts.all() if c.receives_referrals]),
            "lead_contact": _people_cell([c for c in partner.contacts.all() if c.is_lead][:1]),
        }
        services = list(partner.services.all())
        if not services:
            yield {**{c: "" for c in COLUMNS}, **org}
        for service in services:
            yield {
                **org,
                "service_id": str(service.public_id), "service_name": service.name,
                "service_description": service.description, "service_url": service.url,
                "service_email": service.email, "service_status": service.status,
                **{name: LIST_SEPARATOR.join(getattr(service, name)) for name in CODE_LISTS},
                "eligibility": service.eligibility_description, "area_served": service.area_served,
                "service_assured_date": service.assured_on.isoformat() if service.assured_on else "",
                "service_assurer_email": service.assurer_email,
            }


def directory_export(stream):
    """Write the directory as CSV to a text stream (an HttpResponse or a file)."""
    writer = csv.DictWriter(stream, fieldnames=COLUMNS)
    writer.writeheader()
    for row in directory_export_rows():
        # Cells a spreadsheet would run as a formula are written as text.
        writer.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in FORMULA_STARTS else v)
                         for k, v in row.items()})
