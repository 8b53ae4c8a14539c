"""Inquiries under the retention schedule (issue 12): closed ones anonymised, old drafts deleted.

Anonymising keeps what the hub's figures count (intake.metrics: hub, status, dates, kind of help,
stage, outcome, organisation, themes, support needed, triage due date) and removes everything that
names or could identify a person: the submitter link (moved to one placeholder account), name, role,
phone, the free-text answers, the title, the closing reason, attachments (rows now, files after
commit), questions and answers, internal notes, assessment comments, file names and parking reasons
on the timeline, and the submitter as actor of timeline lines. Apps holding more about an inquiry
(signposting: messages to partners, their replies) register a hook that blanks theirs in the same
transaction. Staff names on the timeline stay (the hub's record of its decisions: legitimate interest).

Everything is set-based: a batch of inquiries is a handful of UPDATEs whatever its size.
An inquiry under legal hold is never selected, and is re-checked under lock in the batch, so a hold
set while the job runs wins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from hubportal.personal_data import user_placeholder
from hubportal.retention import (
    RetentionRule,
    batches,
    register_rule,
    retention_cutoff,
    retention_periods,
    storage_delete,
)

from .models import (
    Assessment,
    AssessmentAnswer,
    Attachment,
    InformationRequest,
    Inquiry,
    InquiryEvent,
    InquiryNote,
)

ANONYMISED_TITLE = "Anonymised inquiry"
REMOVED = "Removed when the inquiry was anonymised."
# Timeline lines whose description is free text about the inquiry (file names, parking reasons).
EVENTS_WITH_FREE_TEXT = (InquiryEvent.Kind.ATTACHMENT_ADDED, InquiryEvent.Kind.ATTACHMENT_REMOVED,
                         InquiryEvent.Kind.PARKED)

# hook(*, inquiry_ids): blank another app's personal data about these inquiries (same transaction).
_anonymise_hooks: list[Callable[..., None]] = []


def register_anonymise(hook: Callable[..., None]) -> None:
    if hook not in _anonymise_hooks:
        _anonymise_hooks.append(hook)


def not_held() -> Q:
    return Q(legal_hold_reason="")


def inquiries_anonymise(*, pks: Iterable[int], kind: str = InquiryEvent.Kind.ANONYMISED, by=None) -> list[int]:
    """Anonymise these inquiries (those not yet anonymised and not under legal hold); returns the pks
    anonymised. Call inside a transaction; attachment files are deleted after it commits."""
    now = timezone.now()
    # Lock first: a hub lead setting a legal hold now either committed before us (and is skipped
    # here) or waits until we are done.
    pks = list(Inquiry.objects.select_for_update().filter(pk__in=list(pks), anonymised_at__isnull=True)
               .filter(not_held()).values_list("pk", flat=True))
    if not pks:
        return []
    placeholder = user_placeholder()
    # The submitter's own timeline lines: their name goes with them (before the submitter link moves).
    InquiryEvent.objects.filter(inquiry_id__in=pks, actor_id=F("inquiry__submitter_id")).update(actor=None)
    InquiryEvent.objects.filter(inquiry_id__in=pks, kind__in=EVENTS_WITH_FREE_TEXT).update(description="")
    Inquiry.objects.filter(pk__in=pks).update(
        submitter=placeholder, contact_name="", role="", phone="", title=ANONYMISED_TITLE, problem="",
        proposed_innovation="", who_benefits="", evidence="", outcome_reason="", search_vector=None,
        anonymised_at=now, updated_at=now)
    InquiryNote.objects.filter(inquiry_id__in=pks).update(body=REMOVED)
    InformationRequest.objects.filter(inquiry_id__in=pks).update(question=REMOVED, answer="")
    Assessment.objects.filter(inquiry_id__in=pks).update(summary="")
    AssessmentAnswer.objects.filter(assessment__inquiry_id__in=pks).update(comment="")
    attachments = Attachment.objects.filter(inquiry_id__in=pks)
    files = [(f.storage, f.name) for f in (a.file for a in attachments.only("pk", "file"))]
    attachments.delete()
    transaction.on_commit(lambda: [storage_delete(storage, name) for storage, name in files])
    for hook in _anonymise_hooks:
        hook(inquiry_ids=pks)
    description = ("Personal data removed at the person's request" if kind == InquiryEvent.Kind.ERASED
                   else "Personal data removed under the hub's retention schedule")
    InquiryEvent.objects.bulk_create(
        InquiryEvent(inquiry_id=pk, kind=kind, actor=by, description=description, created_at=now,
                     is_visible_to_submitter=False) for pk in pks)
    return pks


def drafts_delete(*, pks: Iterable[int]) -> int:
    """Delete these drafts with their attachments (files after commit). Call inside a transaction."""
    drafts = Inquiry.objects.filter(pk__in=list(pks), status=Inquiry.Status.DRAFT).filter(not_held())
    files = [(a.file.storage, a.file.name) for a in Attachment.objects.filter(inquiry__in=drafts).only("pk", "file")]
    deleted = drafts.delete()[1].get(Inquiry._meta.label, 0)
    transaction.on_commit(lambda: [storage_delete(storage, name) for storage, name in files])
    return deleted


# --- The rules -------------------------------------------------------------------------------------

def due_closed(*, hub, now: dt.datetime):
    cutoff = retention_cutoff(now=now, months=retention_periods(hub).closed_months)
    return Inquiry.objects.filter(hub=hub, status=Inquiry.Status.CLOSED, closed_at__lt=cutoff,
                                  anonymised_at__isnull=True).filter(not_held())


def retention_anonymise_closed(*, hub, now, dry_run, batch_size) -> int:
    """Closed inquiries are anonymised `hub.retain_closed_months` after the day they closed."""
    if hub is None:
        return 0  # a sent inquiry always has a hub
    rows = due_closed(hub=hub, now=now)
    if dry_run:
        return rows.count()
    return batches(rows, batch_size, lambda pks: len(inquiries_anonymise(pks=pks)))


def due_drafts(*, hub, now: dt.datetime):
    cutoff = retention_cutoff(now=now, days=retention_periods(hub).drafts_days)
    # "Without a change": an attachment added later counts as a change (it does not touch updated_at).
    return (Inquiry.objects.filter(hub=hub, status=Inquiry.Status.DRAFT, updated_at__lt=cutoff)
            .filter(not_held()).exclude(attachments__uploaded_at__gte=cutoff))


def retention_delete_drafts(*, hub, now, dry_run, batch_size) -> int:
    """Unfinished drafts are deleted `hub.retain_drafts_days` after their last change (drafts that
    have no hub yet: settings.RETENTION_DRAFT_DAYS)."""
    rows = due_drafts(hub=hub, now=now)
    if dry_run:
        return rows.count()
    return batches(rows, batch_size, lambda pks: drafts_delete(pks=pks))


def register_rules() -> None:
    register_rule(RetentionRule("closed inquiries anonymised", retention_anonymise_closed,
                                describe=lambda p: f"{p.closed_months} months after closing"))
    register_rule(RetentionRule("unfinished drafts deleted", retention_delete_drafts,
                                describe=lambda p: f"{p.drafts_days} days after the last change"))
