"""Writes on inquiries. Each state change is one function here; views and forms never change state."""

import secrets

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import emails
from .journey import missing_steps
from .models import Attachment, Inquiry, InquiryEvent, ReferenceCounter


class InquiryNotEditable(Exception):
    """The inquiry is no longer a draft (sent already, perhaps from another tab)."""


class InquiryIncomplete(Exception):
    def __init__(self, steps):
        super().__init__("incomplete")
        self.steps = steps


def _event(inquiry, *, kind, actor, description="", visible=True):
    return InquiryEvent.objects.create(inquiry=inquiry, kind=kind, actor=actor, description=description,
                                       is_visible_to_submitter=visible)


@transaction.atomic
def inquiry_start(*, submitter, answers):
    """Create a draft holding the first page's answers. No empty drafts: the first answer makes it."""
    inquiry = Inquiry.objects.create(submitter=submitter, contact_name=submitter.full_name, **answers)
    _event(inquiry, kind=InquiryEvent.Kind.CREATED, actor=submitter)
    return inquiry


@transaction.atomic
def inquiry_update_draft(*, inquiry, answers):
    """Save some answers of a draft. Refuses once the inquiry has been sent (another tab may have sent it)."""
    updated = Inquiry.objects.filter(pk=inquiry.pk, status=Inquiry.Status.DRAFT).update(
        **answers, updated_at=timezone.now()
    )
    if not updated:
        raise InquiryNotEditable()
    for name, value in answers.items():
        setattr(inquiry, name, value)
    return inquiry


def _next_reference(hub):
    year = timezone.localdate().year
    ReferenceCounter.objects.get_or_create(hub=hub, year=year)
    # The UPDATE locks the counter row until commit, so concurrent submissions to one hub queue here
    # and never share a number.
    ReferenceCounter.objects.filter(hub=hub, year=year).update(last_number=F("last_number") + 1)
    number = ReferenceCounter.objects.get(hub=hub, year=year).last_number
    return f"{hub.code}-{year}-{number:05d}"


@transaction.atomic
def inquiry_submit(*, inquiry, by):
    """Send a draft to its hub.

    Rules: only the submitter sends, only a draft (draft -> submitted), only when every required
    answer is there (InquiryIncomplete lists the missing pages); gives the hub's next reference;
    writes the timeline; queues the acknowledgement email in this transaction.
    """
    # Lock the draft: a double click or a second tab must not submit twice.
    locked = Inquiry.objects.select_for_update().select_related("hub").get(pk=inquiry.pk)
    if locked.submitter_id != by.pk or locked.status != Inquiry.Status.DRAFT:
        raise InquiryNotEditable()
    missing = missing_steps(locked)
    if missing:
        raise InquiryIncomplete(missing)
    locked.reference = _next_reference(locked.hub)
    locked.status = Inquiry.Status.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.save(update_fields=["reference", "status", "submitted_at", "updated_at"])
    _event(locked, kind=InquiryEvent.Kind.SUBMITTED, actor=by, description=f"Sent to {locked.hub.name}")
    emails.acknowledgement(inquiry=locked)
    return locked


@transaction.atomic
def inquiry_delete_draft(*, inquiry, by):
    """Delete a draft and its attachments. Only its submitter, only while it is a draft."""
    locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if locked.submitter_id != by.pk or locked.status != Inquiry.Status.DRAFT:
        raise InquiryNotEditable()
    files = [a.file for a in locked.attachments.all()]
    locked.delete()
    transaction.on_commit(lambda: [f.delete(save=False) for f in files])


@transaction.atomic
def attachment_add(*, inquiry, by, upload):
    """Store an upload (already checked by AttachmentForm) under a random name, on a draft."""
    if not Inquiry.objects.filter(pk=inquiry.pk, status=Inquiry.Status.DRAFT).select_for_update().exists():
        raise InquiryNotEditable()
    detected = upload.detected_type
    stored_name = f"{secrets.token_hex(16)}.{detected.extension}"
    attachment = Attachment(inquiry=inquiry, uploaded_by=by, original_name=upload.clean_name,
                            stored_name=stored_name, content_type=detected.mime, size=upload.size)
    attachment.file.save(stored_name, upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    _event(inquiry, kind=InquiryEvent.Kind.ATTACHMENT_ADDED, actor=by, description=attachment.original_name)
    return attachment


@transaction.atomic
def attachment_remove(*, attachment, by):
    if not Inquiry.objects.filter(pk=attachment.inquiry_id, status=Inquiry.Status.DRAFT).exists():
        raise InquiryNotEditable()
    name, stored = attachment.original_name, attachment.file
    attachment.delete()
    _event(attachment.inquiry, kind=InquiryEvent.Kind.ATTACHMENT_REMOVED, actor=by, description=name)
    transaction.on_commit(lambda: stored.delete(save=False))
