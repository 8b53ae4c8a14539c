"""Who saw what: every view of an inquiry's personal data or attachment by hub staff, partner contacts
and lay reviewers is an InquiryAccess row (issue 12): one row naming the inquiry for a view of one, one
row listing them (inquiry_ids) for a batch seen at once, such as a chunk of the CSV export (issue 13).

Rules:
- A view that shows one inquiry's personal data calls `inquiry_access_record(request, inquiry, what)`
  once: one INSERT, no reads (the actor comes from what the view's permission decorator already put
  on the request). hubportal.access.PERSONAL_DATA lists those views, and
  tests/intake/test_access_log_enumerated.py requests every URL and fails when a page shows an
  inquiry's personal fields without a row, so a new view cannot forget.
- List pages (titles, references, statuses) are not logged: they stay one query whatever their size.
- The submitter seeing their own inquiry is not logged: it is their data.
- "Who saw inquiry X" is asked here only (`access_log_for_inquiry`, `access_log_for_submitter`), of
  both kinds of row: a batch's row answers for each inquiry it lists.
- Rows are kept ACCESS_LOG_RETENTION_DAYS, then `inquiry_access_purge` deletes them in batches (a
  batch's row goes whole: all its inquiries were seen at the same moment).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from hubportal.auth import client_ip
from hubportal.models import User

from .models import Inquiry, InquiryAccess


@dataclass(frozen=True)
class AccessActor:
    """Who is looking, as the permission decorator of a non-staff page knows them (set as
    request.access_actor: signposting's partner pages, review's lay reviewer pages)."""

    kind: str  # an InquiryAccess.Actor value
    who: str


class UnknownViewer(Exception):
    """A page recorded a view but nothing on the request says who is looking: a programming error."""


def _actor(request: HttpRequest) -> tuple[str, int | None, str]:
    membership = getattr(request, "membership", None)
    if membership is not None:  # hubportal.permissions.staff_view
        user = cast(User, request.user)  # staff_view let only a signed-in, verified member through
        return InquiryAccess.Actor.STAFF, user.pk, f"{user.get_full_name()} ({user.email}), {membership.get_role_display()}"
    actor = getattr(request, "access_actor", None)
    if actor is None:
        raise UnknownViewer("inquiry_access_record needs a staff_view, or request.access_actor")
    return actor.kind, None, actor.who


def inquiry_access_record(request: HttpRequest, inquiry: Inquiry, what: str) -> InquiryAccess:
    """Record that the person behind `request` saw `what` of `inquiry`, from their client address.

    One INSERT. Not in the caller's transaction on purpose: the view has been shown whatever happens
    next, so the row must stay even if a later write of the same request rolls back.
    """
    kind, user_id, who = _actor(request)
    return InquiryAccess.objects.create(inquiry_id=inquiry.pk, actor_kind=kind, user_id=user_id, who=who[:300],
                                        what=what[:300], ip=client_ip(request))


def inquiry_access_record_many(request: HttpRequest, inquiry_ids: list[int], what: str) -> None:
    """The same for a batch of inquiries seen at once (a chunk of the CSV export, which carries the
    submitters' roles): one row listing them, one INSERT per batch the caller streams.

    One row, not one per inquiry: 2,000 rows with four indexes cost the export about 15 ms a chunk, a third
    of its time (issue 13); a row holding the keys costs about 1 ms, its GIN index's pending list included.
    """
    if not inquiry_ids:
        return
    kind, user_id, who = _actor(request)
    InquiryAccess.objects.create(inquiry_ids=list(inquiry_ids), actor_kind=kind, user_id=user_id, who=who[:300],
                                 what=what[:300], ip=client_ip(request))


def _about(inquiry_ids: list[int]) -> Q:
    """Rows about any of these inquiries: a view of one of them, or a batch that listed one."""
    return Q(inquiry_id__in=inquiry_ids) | Q(inquiry_ids__overlap=inquiry_ids)


def access_log_for_inquiry(inquiry: Inquiry) -> list[InquiryAccess]:
    """Every recorded view of one inquiry, newest first (the hub lead's page). A batch's list of keys
    is left unread (up to 2,000 of them a row): the page shows who, when, what and from where.

    Read whole, and paged by the caller: an inquiry has tens or hundreds of rows. With a LIMIT, the OR
    of the two conditions lets PostgreSQL walk inquiry_access_by_age backwards filtering every row of the
    log (700 ms at 2 million rows, when its estimate of the matches was off); without one it takes
    the two indexes and sorts what they find (1.5 ms).
    """
    return list(InquiryAccess.objects.filter(_about([inquiry.pk])).defer("inquiry_ids")
                .order_by("-created_at", "-pk"))


@dataclass(frozen=True)
class InquirySeen:
    """One inquiry of theirs, and one recorded view of it (a batch that listed two of their inquiries
    gives two)."""

    inquiry: Inquiry
    access: InquiryAccess


def access_log_for_submitter(user) -> list[InquirySeen]:
    """Every recorded view of any of this person's inquiries, newest first: for the subject access
    export (issue 12, part A), which must say who at the hub and which partners viewed them."""
    theirs = {inquiry.pk: inquiry for inquiry in Inquiry.objects.filter(submitter=user).only("pk", "reference")}
    if not theirs:
        return []
    seen = []
    for access in InquiryAccess.objects.filter(_about(list(theirs))).order_by("-created_at", "-pk"):
        listed: Iterable[int] = [access.inquiry_id] if access.inquiry_id else access.inquiry_ids or []
        seen += [InquirySeen(theirs[pk], access) for pk in listed if pk in theirs]
    return seen


def access_log_cutoff(now=None):
    return (now or timezone.now()) - timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS)


def inquiry_access_purge(*, now=None, batch_size: int = 5000) -> int:
    """Delete rows older than ACCESS_LOG_RETENTION_DAYS, in batches so a first run over years of rows
    never holds one long lock. Returns how many went. Running it again deletes nothing more."""
    cutoff = access_log_cutoff(now)
    deleted = 0
    while True:
        ids = list(InquiryAccess.objects.filter(created_at__lt=cutoff).order_by("pk")
                   .values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        deleted += InquiryAccess.objects.filter(pk__in=ids).delete()[0]
