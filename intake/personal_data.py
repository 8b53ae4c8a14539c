"""What intake holds about a person, for subject access and erasure (hubportal.personal_data).

Submitters: their inquiries with every answer, attachments (files in the archive), questions from the
hub and their answers, and the timeline lines they can see. Staff: the timeline lines they wrote and
the inquiries assigned to them (references and dates: the inquiries themselves are other people's).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hubportal.personal_data import Eraser, PlanLine, register_eraser, register_exporter

from .access_log import access_log_for_submitter
from .journey import answer_rows
from .models import Inquiry, InquiryEvent
from .retention import drafts_delete, inquiries_anonymise
from .services import _transition, inquiry_sharing_ended


def _inquiry_record(inquiry):
    answers = {}
    for row in answer_rows(inquiry):
        answers[str(row.label)] = list(row.items) if row.items else row.text
    return {
        "reference": inquiry.reference or "(draft)",
        "hub": inquiry.hub.name if inquiry.hub else "",
        "status": inquiry.get_status_display(),
        "outcome": inquiry.get_outcome_display() if inquiry.outcome else "",
        "started_at": inquiry.created_at,
        "sent_at": inquiry.submitted_at,
        "closed_at": inquiry.closed_at,
        "answers": answers,
        "consent_share_with_partners": inquiry.consent_share_with_partners,
        "consent_contact": inquiry.consent_contact,
        "attachments": [{"name": a.original_name, "type": a.content_type, "size": a.size,
                         "uploaded_at": a.uploaded_at} for a in inquiry.attachments.all()],
        "messages": [{"question_from_the_hub": r.question, "asked_at": r.requested_at, "your_answer": r.answer,
                      "answered_at": r.answered_at} for r in inquiry.information_requests.all()],
        "timeline": [{"when": e.created_at, "what": e.get_kind_display(), "details": e.description}
                     for e in inquiry.events.all() if e.is_visible_to_submitter],
    }


def export_inquiries(*, email, user):
    if user is None:
        return {"inquiries": [], "staff_actions": []}, []
    inquiries = (Inquiry.objects.filter(submitter=user).select_related("hub")
                 .prefetch_related("attachments", "information_requests", "events").order_by("created_at"))
    records, files = [], []
    for inquiry in inquiries:
        records.append(_inquiry_record(inquiry))
        folder = inquiry.reference or f"draft-{inquiry.public_id}"
        files += [(f"{folder}/{a.original_name}", a.file) for a in inquiry.attachments.all()]
    staff_actions = [
        {"inquiry": reference, "what": InquiryEvent.Kind(kind).label, "details": description, "when": when}
        for reference, kind, description, when in InquiryEvent.objects.filter(actor=user)
        .exclude(inquiry__submitter=user).values_list("inquiry__reference", "kind", "description", "created_at")
        .order_by("created_at").iterator()]
    assigned = list(Inquiry.objects.filter(assignee=user).values_list("reference", flat=True).order_by("reference"))
    # Who at the hub, which partners and which lay reviewers opened their inquiries (the access log).
    seen_by = [{"inquiry": seen.inquiry.reference or "(draft)", "when": seen.access.created_at,
                "who": seen.access.who, "as": seen.access.get_actor_kind_display(), "what": seen.access.what}
               for seen in access_log_for_submitter(user)]
    return {"inquiries": records, "staff_actions": staff_actions, "assigned_to_you": assigned,
            "who_saw_your_inquiries": seen_by}, files


# --- Erasure ---------------------------------------------------------------------------------------

def _theirs(user, hub):
    return Inquiry.objects.filter(submitter=user, hub=hub, anonymised_at__isnull=True).order_by("created_at")


def erasure_plan(*, user, hub):
    lines = []
    for inquiry in _theirs(user, hub):
        name = f"Inquiry {inquiry.reference}" if inquiry.reference else f"Draft “{inquiry.title or 'untitled'}”"
        if inquiry.legal_hold_reason:
            lines.append(PlanLine(name, "kept", f"Under legal hold: {inquiry.legal_hold_reason}"))
        elif inquiry.is_draft:
            lines.append(PlanLine(name, "erased", "The draft and its attachments are deleted."))
        else:
            why = ("Your name, contact details, answers in your own words, attachments and messages are removed.")
            if inquiry.is_open:
                why += " It is closed as withdrawn, since the hub can no longer help without them."
            lines.append(PlanLine(name, "erased", why))
    return lines


def erase(*, user, hub, by):
    """Close (as withdrawn) and anonymise each inquiry of theirs at this hub that no legal hold keeps;
    delete their drafts. Sharing ends first ("erased"): signposting closes open referrals and tells
    each partner, before anything is removed."""
    inquiries = list(_theirs(user, hub).select_for_update(of=("self",)))
    held = [i for i in inquiries if i.legal_hold_reason]
    drafts = [i.pk for i in inquiries if i.is_draft and not i.legal_hold_reason]
    sent = [i for i in inquiries if not i.is_draft and not i.legal_hold_reason]
    now = timezone.now()
    for inquiry in sent:
        if inquiry.is_open:
            _transition(inquiry, to=Inquiry.Status.CLOSED, by=by, version=None, kind=InquiryEvent.Kind.ERASED,
                        description="Closed: the person asked for their data to be erased",
                        outcome=Inquiry.Outcome.WITHDRAWN, closed_at=now, parked_until=None,
                        # Erasure is neither the hub's first response nor its decision: the figures
                        # for those must not move (an explicit None stops _transition's defaults).
                        first_response_at=inquiry.first_response_at, decided_at=inquiry.decided_at)
        inquiry_sharing_ended(inquiry=inquiry, event="erased", by=by)
    inquiries_anonymise(pks=[i.pk for i in sent], kind=InquiryEvent.Kind.ERASED, by=by)
    drafts_delete(pks=drafts)
    return held


def hubs_holding(*, user):
    return set(Inquiry.objects.filter(submitter=user, anonymised_at__isnull=True, hub__isnull=False)
               .values_list("hub_id", flat=True).distinct())


def register() -> None:
    register_exporter("inquiries", export_inquiries)
    register_eraser("intake", Eraser(plan=erasure_plan, erase=transaction.atomic(erase), hubs=hubs_holding))
