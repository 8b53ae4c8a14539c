"""Lay review: the writes. One @transaction.atomic function per change, keyword-only arguments.

Rules:
- Staff manage their own hub's reviewers (name, address, active); an address is on a hub's list once.
- Staff ask active reviewers of the inquiry's hub to review an open inquiry against the hub's active
  lay review checklist, with a plain-English summary they write. Each request gets an emailed link
  (hubportal.links, purpose lay_review: single use, expiring after LAY_REVIEW_LINK_DAYS, bound to the
  reviewer's address and the request) queued in the outbox in the same transaction. A reviewer who
  already has an open request for the inquiry is not asked twice.
- A request is answered, declined or refused for a conflict of interest once: the status change is a
  conditional UPDATE, so two tabs (or two devices) racing let exactly one through.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from hubportal.models import EmailLink, Hub
from hubportal.services import LinkRefused, email_link_create
from intake.models import Checklist, Criterion, Inquiry, InquiryEvent
from intake.services import checklist_score, inquiry_record_event

from . import emails
from .models import LayReview, LayReviewAnswer, LayReviewer


class ReviewerExists(Exception):
    """This hub already has a reviewer with that address."""


class ReviewRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ReviewChanged(Exception):
    """The request was answered (or declined) meanwhile, in another tab or by another device."""


# --- Reviewers -------------------------------------------------------------------------------------

@transaction.atomic
def lay_reviewer_add(*, hub: Hub, name: str, email: str) -> LayReviewer:
    try:
        with transaction.atomic():
            return LayReviewer.objects.create(hub=hub, name=name.strip(), email=email.strip().lower())
    except IntegrityError:
        raise ReviewerExists(email) from None


@transaction.atomic
def lay_reviewer_update(*, reviewer: LayReviewer, name: str, email: str, is_active: bool) -> LayReviewer:
    """Change a reviewer. Their unused links stop working if they become inactive or change address
    (the link's accept checks both)."""
    email = email.strip().lower()
    if LayReviewer.objects.filter(hub_id=reviewer.hub_id, email=email).exclude(pk=reviewer.pk).exists():
        raise ReviewerExists(email)
    reviewer.name, reviewer.email, reviewer.is_active = name.strip(), email, is_active
    reviewer.save(update_fields=["name", "email", "is_active"])
    return reviewer


# --- Requests --------------------------------------------------------------------------------------

def _link_minutes() -> int:
    return settings.LAY_REVIEW_LINK_DAYS * 24 * 60


def _send_link(review: LayReview) -> None:
    issued = email_link_create(purpose=EmailLink.Purpose.LAY_REVIEW, email=review.reviewer.email,
                               subject_ref=str(review.public_id), minutes=_link_minutes())
    emails.lay_review_request(link=issued.link, raw_token=issued.raw_token, review=review)


@transaction.atomic
def lay_review_request(*, inquiry: Inquiry, reviewers: Iterable[LayReviewer], checklist: Checklist, summary: str,
                       by) -> list[LayReview]:
    """Ask each reviewer to review the inquiry; returns the new requests (reviewers already asked and
    not yet answered are skipped). Raises ReviewRefused when the inquiry is not open, or a reviewer or
    the checklist is not the inquiry's hub's."""
    if not inquiry.is_open:
        raise ReviewRefused(f"A lay review cannot be asked for: the inquiry is {inquiry.get_status_display().lower()}")
    if checklist.hub_id != inquiry.hub_id or checklist.kind != Checklist.Kind.LAY_REVIEW or not checklist.is_active:
        raise ReviewRefused("Choose one of this hub's lay review checklists")
    reviewers = list(reviewers)
    if not reviewers:
        raise ReviewRefused("Choose at least one lay reviewer")
    if any(r.hub_id != inquiry.hub_id or not r.is_active for r in reviewers):
        raise ReviewRefused("Choose active lay reviewers of this hub")
    waiting = set(LayReview.objects.filter(inquiry=inquiry, status=LayReview.Status.REQUESTED)
                  .values_list("reviewer_id", flat=True))
    created = []
    for reviewer in reviewers:
        if reviewer.pk in waiting:
            continue
        review = LayReview.objects.create(inquiry=inquiry, reviewer=reviewer, checklist=checklist,
                                          summary=summary.strip(), requested_by=by)
        _send_link(review)
        created.append(review)
    if created:
        inquiry_record_event(inquiry=inquiry, kind=InquiryEvent.Kind.LAY_REVIEW_REQUESTED, by=by, visible=False,
                             description=("Asked " + ", ".join(r.reviewer.name for r in created))[:300])
    return created


@transaction.atomic
def lay_review_resend(*, review: LayReview, by) -> None:
    """A fresh link for a request still waiting (the reviewer lost the email, or used the link on
    another device). Earlier links keep working until used or expired: each is single use."""
    if not review.is_open or not review.reviewer.is_active or not review.inquiry.is_open:
        raise ReviewRefused("This lay review is no longer waiting for an answer")
    _send_link(review)


def lay_review_accept_link(link: EmailLink) -> LayReview:
    """hubportal.links' accept for purpose lay_review: the request the link is bound to, if it is still
    waiting, for the same address, of an active reviewer, about an open inquiry."""
    review = None
    if _is_uuid(link.subject_ref):
        review = LayReview.objects.select_related("reviewer", "inquiry").filter(public_id=link.subject_ref).first()
    if review is None or review.reviewer.email.lower() != link.email.lower() or not review.reviewer.is_active:
        raise LinkRefused("unknown")
    if not review.is_open or not review.inquiry.is_open:
        raise LinkRefused("refused")
    return review


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError):
        return False
    return True


def _respond(review: LayReview, status: str, **fields) -> None:
    if status not in LayReview.TRANSITIONS[LayReview.Status(review.status)]:
        raise ReviewChanged()
    now = timezone.now()
    # Two tabs may answer at once: only the one that still finds the request waiting changes it.
    changed = LayReview.objects.filter(pk=review.pk, status=LayReview.Status.REQUESTED).update(
        status=status, responded_at=now, **fields)
    if changed != 1:
        raise ReviewChanged()
    review.status, review.responded_at = status, now
    for name, value in fields.items():
        setattr(review, name, value)


@transaction.atomic
def lay_review_answer(*, review: LayReview, answers: dict[Criterion, str], comment: str,
                      minutes_given: int) -> LayReview:
    """The reviewer's answers (every criterion of the request's checklist), comment and time given."""
    criteria = list(review.checklist.criteria.all())
    missing = [c for c in criteria if not answers.get(c)]
    if missing:
        raise ValueError(f"Missing answers: {', '.join(c.question for c in missing)}")
    score = checklist_score({c: answers[c] for c in criteria})
    _respond(review, LayReview.Status.ANSWERED, comment=comment.strip(), minutes_given=minutes_given, score=score)
    LayReviewAnswer.objects.bulk_create(LayReviewAnswer(review=review, criterion=c, answer=answers[c])
                                        for c in criteria)
    inquiry_record_event(inquiry=review.inquiry, kind=InquiryEvent.Kind.LAY_REVIEW_ANSWERED, visible=False,
                         description=f"{review.reviewer.name}: {score if score is not None else 'n/a'}%")
    return review


@transaction.atomic
def lay_review_decline(*, review: LayReview, conflict: bool, reason: str = "") -> LayReview:
    """The reviewer will not review it: declined, or a conflict of interest (which staff should know of
    before asking them about similar inquiries)."""
    status = LayReview.Status.CONFLICT if conflict else LayReview.Status.DECLINED
    _respond(review, status, reason=reason.strip())
    inquiry_record_event(inquiry=review.inquiry, kind=InquiryEvent.Kind.LAY_REVIEW_DECLINED, visible=False,
                         description=f"{review.reviewer.name}: {review.get_status_display().lower()}")
    return review
