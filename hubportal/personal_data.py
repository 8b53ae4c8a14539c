"""Subject access and erasure (issue 12, UK GDPR articles 15 and 17): what we hold about a person.

Each app says what it holds about a person, in one place, by registering in its AppConfig.ready():

- an exporter, `export(*, email, user) -> (data, files)`: JSON-friendly data and the stored files to
  put in the archive as [(path in the archive, FieldFile)];
- for erasure, `plan(*, user, hub) -> [PlanLine]` (what would be erased, and what kept and why),
  `erase(*, user, hub, by)` (does it, in the approving transaction) and `hubs(*, user) -> {hub ids}`
  (the hubs that hold something about them, each of whose leads decides).

The kernel cannot import the apps, so the apps come to it; the archive, the download link, the
requests and the account itself are the kernel's.
"""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from .auth import auth_event
from .models import DataExport, EmailLink, ErasureRequest, HubMembership, OutboundEmail, User
from .storage import STORAGE_ERRORS

log = logging.getLogger(__name__)

PLACEHOLDER_EMAIL = "anonymised@anonymised.invalid"


def user_placeholder() -> User:
    """The one inactive account that anonymised inquiries point to (Inquiry.submitter is required)."""
    user, _ = User.objects.get_or_create(email=PLACEHOLDER_EMAIL,
                                         defaults={"full_name": "Anonymised", "is_active": False})
    return user


# --- The registry ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlanLine:
    what: str     # "Inquiry DOR-2026-00042"
    action: str   # "erased", "kept", "deactivated", "closed"
    why: str      # in plain words, for the hub lead and the person


Exporter = Callable[..., tuple[Any, list]]
EXPORTERS: dict[str, Exporter] = {}


@dataclass(frozen=True)
class Eraser:
    plan: Callable[..., list[PlanLine]]
    erase: Callable[..., None]
    hubs: Callable[..., set[int]]


ERASERS: dict[str, Eraser] = {}


def register_exporter(name: str, export: Exporter) -> None:
    EXPORTERS[name] = export


def register_eraser(name: str, eraser: Eraser) -> None:
    ERASERS[name] = eraser


# --- The archive -----------------------------------------------------------------------------------

def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._ -]+", "_", name).strip(" .") or "file"


def personal_data_archive(*, email: str, output) -> dict[str, int]:
    """Write everything held about `email` to `output` (a binary file) as a ZIP: data.json (one section
    per app) and files/...; returns the number of entries per section and of files."""
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    data: dict[str, Any] = {"email": email, "generated_at": timezone.now().isoformat(),
                            "service": settings.SERVICE_NAME}
    files: list = []
    for name, export in sorted(EXPORTERS.items()):
        section, section_files = export(email=email, user=user)
        data[name] = section
        files += section_files
    counts = {name: len(data[name]) if hasattr(data[name], "__len__") else 1 for name in EXPORTERS}
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        used = set()
        for path, field_file in files:
            path = "/".join(_safe(part) for part in path.split("/"))
            while path in used:
                path = re.sub(r"(\.[^./]*)?$", lambda m: "-1" + (m.group(1) or ""), path, count=1)
            used.add(path)
            try:
                with field_file.open("rb") as stored:
                    archive.writestr(f"files/{path}", stored.read())
            except STORAGE_ERRORS as error:
                # Say so in the archive rather than fail the whole request for one unreadable file.
                log.error("Subject access: could not read %s: %s", field_file.name, error)
                data.setdefault("files_not_readable", []).append(path)
        archive.writestr("data.json", json.dumps(data, indent=2, default=str, ensure_ascii=False))
        archive.writestr("README.txt", (
            f"Everything {settings.SERVICE_NAME} holds about {email}, as of {data['generated_at']}.\n"
            "data.json has one section per part of the service; files/ holds the files you uploaded.\n"))
    counts["files"] = len(files)
    return counts


# --- Subject access: the archive by emailed link ---------------------------------------------------

def data_export_request(*, user: User, ip: str | None = None) -> DataExport:
    """The person asked for their data from their account: recorded (the audit), then built by a
    Celery task after commit, which emails a single-use link."""
    with transaction.atomic():
        export = DataExport.objects.create(user=user, email=user.email, via=DataExport.Via.ACCOUNT)
        auth_event("data_export_requested", actor="person", outcome="success", user=user, ip=ip,
                   export=str(export.public_id))
        transaction.on_commit(lambda: _enqueue_build(export.pk))
    return export


def _enqueue_build(export_id: int) -> None:
    from .tasks import build_data_export

    try:
        build_data_export.delay(export_id)
    except Exception:  # noqa: BLE001 - a broker outage: the row stays "requested" and is re-driven
        log.warning("Could not enqueue data export %s; the retention job re-drives it", export_id, exc_info=True)


def data_export_build(*, export_id: int) -> str:
    """Build the archive, store it privately and email a single-use link. Claims the row first
    (requested -> building), so a task delivered twice builds once."""
    from . import emails
    from .services import email_link_create

    if not DataExport.objects.filter(pk=export_id, status=DataExport.Status.REQUESTED).update(
            status=DataExport.Status.BUILDING):
        return "nothing to do"
    export = DataExport.objects.get(pk=export_id)
    buffer = io.BytesIO()
    personal_data_archive(email=export.email, output=buffer)
    hours = settings.DATA_EXPORT_LINK_HOURS
    with transaction.atomic():
        export.file.save(f"{secrets.token_hex(16)}.zip", ContentFile(buffer.getvalue()), save=False)
        export.status, export.ready_at = DataExport.Status.READY, timezone.now()
        export.expires_at = export.ready_at + timedelta(hours=hours)
        export.save(update_fields=["file", "status", "ready_at", "expires_at"])
        issued = email_link_create(purpose=EmailLink.Purpose.DATA_EXPORT, email=export.email,
                                   subject_ref=str(export.public_id), minutes=hours * 60)
        emails.data_export_ready(link=issued.link, raw_token=issued.raw_token, hours=hours)
    return "ready"


def data_export_requeue_stale(*, now=None) -> int:
    """Exports still "requested" ten minutes on (the broker was down at commit): enqueue again."""
    now = now or timezone.now()
    ids = list(DataExport.objects.filter(status=DataExport.Status.REQUESTED,
                                         requested_at__lt=now - timedelta(minutes=10)).values_list("pk", flat=True))
    for export_id in ids:
        _enqueue_build(export_id)
    return len(ids)


def data_export_for_link(link: EmailLink) -> DataExport:
    """The archive a DATA_EXPORT link is bound to, marked downloaded (called while the link is used)."""
    from .services import LinkRefused

    export = DataExport.objects.filter(public_id=link.subject_ref, email__iexact=link.email,
                                       status=DataExport.Status.READY).exclude(file="").first()
    if export is None:
        raise LinkRefused("unknown")
    DataExport.objects.filter(pk=export.pk).update(status=DataExport.Status.DOWNLOADED,
                                                   downloaded_at=timezone.now())
    return export


def data_export_letter(*, email: str, output) -> dict[str, int]:
    """`manage.py subject_access_export`: the same archive for a request that came by letter; audited."""
    user = User.objects.filter(email__iexact=email.strip()).first()
    counts = personal_data_archive(email=email, output=output)
    now = timezone.now()
    DataExport.objects.create(user=user, email=email.strip().lower(), via=DataExport.Via.LETTER,
                              status=DataExport.Status.DOWNLOADED, ready_at=now, downloaded_at=now)
    auth_event("data_export_requested", actor="administrator", outcome="success", email=email, via="letter")
    return counts


# --- Erasure ---------------------------------------------------------------------------------------

def is_staff_person(user: User) -> bool:
    return bool(user.is_staff or user.hub_memberships.exists())


def account_plan(user: User) -> PlanLine:
    if is_staff_person(user):
        return PlanLine("Your staff account", "deactivated",
                        "Staff accounts are deactivated, not deleted: your name stays on the timelines of "
                        "inquiries you worked on, the hub's record of who decided what (legitimate interest).")
    return PlanLine("Your account", "erased", "Your name and email address are removed and the account closed.")


def erasure_plan(*, user: User, hub) -> list[PlanLine]:
    """What erasure would do at this hub (hub=None: the account alone), in the apps' own words."""
    lines = []
    if hub is not None:
        for eraser in ERASERS.values():
            lines += eraser.plan(user=user, hub=hub)
    lines.append(account_plan(user))
    lines.append(PlanLine("Figures", "kept", "The coded answers the hub counts (kind of help, stage, themes, "
                                             "outcome, dates) stay, with nothing that identifies anyone."))
    return lines


def erasure_hubs(user: User) -> set[int]:
    hubs: set[int] = set(HubMembership.objects.filter(user=user).values_list("hub_id", flat=True))
    for eraser in ERASERS.values():
        hubs |= eraser.hubs(user=user)
    return hubs


def erasure_request_create(*, user: User) -> list[ErasureRequest]:
    """The person asks for erasure: one request per hub holding something about them, each for that hub's
    lead to approve; the leads are emailed. Nothing held at any hub: the account is erased now."""
    from . import emails

    with transaction.atomic():
        hub_ids = erasure_hubs(user)
        if not hub_ids:
            request = ErasureRequest.objects.create(user=user, email=user.email, hub=None,
                                                    status=ErasureRequest.Status.DONE, decided_at=timezone.now(),
                                                    outcome=[asdict(account_plan(user))])
            auth_event("erasure_requested", actor="person", outcome="erased", user=user)
            _erase_account(user=user, by=None)
            return [request]
        created = []
        for hub_id in sorted(hub_ids):
            try:
                with transaction.atomic():
                    request = ErasureRequest.objects.create(user=user, email=user.email, hub_id=hub_id)
            except IntegrityError:
                continue  # one is already waiting at this hub (a second click)
            created.append(request)
            emails.erasure_requested(request=request)
        auth_event("erasure_requested", actor="person", outcome="success", user=user, requests=len(created))
        return created


class NotTheHubLead(Exception):
    """Only a lead of the request's hub decides it."""


class ErasureAlreadyDone(Exception):
    """Someone approved it already (another tab, another lead)."""


@transaction.atomic
def erasure_request_approve(*, request: ErasureRequest, by: User) -> ErasureRequest:
    """A hub lead approves: every app erases what it holds about the person at this hub (closing open
    referrals, partners told); the plan as it stood is kept on the request. When no request of theirs
    is left waiting, the account itself goes (staff: deactivated only)."""
    if not HubMembership.objects.filter(hub_id=request.hub_id, user=by, role=HubMembership.Role.LEAD).exists():
        raise NotTheHubLead()
    # Two leads approving at once: the conditional UPDATE lets one through.
    now = timezone.now()
    if not ErasureRequest.objects.filter(pk=request.pk, status=ErasureRequest.Status.PENDING).update(
            status=ErasureRequest.Status.DONE, decided_at=now, decided_by=by):
        raise ErasureAlreadyDone()
    user, hub = request.user, request.hub
    plan = erasure_plan(user=user, hub=hub)
    for eraser in ERASERS.values():
        eraser.erase(user=user, hub=hub, by=by)
    ErasureRequest.objects.filter(pk=request.pk).update(outcome=[asdict(line) for line in plan])
    if not ErasureRequest.objects.filter(user=user, status=ErasureRequest.Status.PENDING).exists():
        _erase_account(user=user, by=by)
    auth_event("erasure_approved", actor="staff", outcome="success", user=by, request=None,
               erasure=str(request.public_id))
    request.refresh_from_db()
    return request


def _erase_account(*, user: User, by: User | None) -> None:
    # What belongs to no hub (a draft not yet sent anywhere), then the account itself.
    for eraser in ERASERS.values():
        eraser.erase(user=user, hub=None, by=by)
    user_erase(user=user)


def user_erase(*, user: User) -> None:
    """The account: a staff account is deactivated and keeps its name (timelines name who decided); any
    other account loses its name and address and is closed. Emails sent to the address lose their
    content and address."""
    address = user.email
    if is_staff_person(user):
        User.objects.filter(pk=user.pk).update(is_active=False)
        return
    erased = f"erased-{user.pk}@erased.invalid"
    User.objects.filter(pk=user.pk).update(email=erased, full_name="", is_active=False, password="!",  # noqa: S106 - unusable
                                           digest_frequency=User.Digest.NONE)
    OutboundEmail.objects.filter(to__iexact=address).exclude(
        status__in=[OutboundEmail.Status.QUEUED, OutboundEmail.Status.SENDING]).update(to=erased, context={})


# --- The kernel's own export -----------------------------------------------------------------------

def _email_record(email: OutboundEmail) -> dict[str, Any]:
    from .outbox import outbound_email_render

    record = {"template": email.template, "status": email.status, "written_at": email.created_at,
              "sent_at": email.sent_at, "hub": email.hub.name if email.hub else ""}
    if email.context and not email.has_secret:
        try:
            subject, text, _html = outbound_email_render(email)
            record.update(subject=subject, text=text)
        except Exception:  # noqa: BLE001 - an old template that no longer renders: list it without text
            record["text"] = ""
    else:
        record["text"] = "(content removed under the retention schedule, or a sign-in link)"
    return record


def export_account(*, email: str, user: User | None) -> tuple[dict[str, Any], list]:
    from .digests import DEFAULT_FREQUENCY

    section: dict[str, Any] = {}
    if user is not None:
        staff = is_staff_person(user)
        section["account"] = {
            "email": user.email, "full_name": user.full_name, "created_at": user.created_at,
            "is_active": user.is_active, "last_login": user.last_login,
            "digest_frequency": user.digest_frequency or DEFAULT_FREQUENCY["staff" if staff else "submitter"],
        }
        section["hub_memberships"] = [
            {"hub": m.hub.name, "role": m.get_role_display(), "since": m.created_at}
            for m in HubMembership.objects.filter(user=user).select_related("hub")]
        section["erasure_requests"] = [
            {"hub": r.hub.name if r.hub else "", "status": r.get_status_display(), "requested_at": r.requested_at,
             "decided_at": r.decided_at} for r in ErasureRequest.objects.filter(user=user).select_related("hub")]
    section["emails_sent_to_you"] = [
        _email_record(e) for e in OutboundEmail.objects.filter(to__iexact=email).select_related("hub")
        .order_by("created_at")]
    section["data_requests"] = [
        {"via": e.get_via_display(), "requested_at": e.requested_at, "downloaded_at": e.downloaded_at}
        for e in DataExport.objects.filter(email__iexact=email).order_by("requested_at")]
    return section, []


register_exporter("account", export_account)
