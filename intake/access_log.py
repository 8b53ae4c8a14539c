"""Who saw what: every view of an inquiry's personal data or attachment by hub staff, partner contacts
and lay reviewers is one InquiryAccess row (issue 12).

Rules:
- A view that shows one inquiry's personal data calls `inquiry_access_record(request, inquiry, what)`
  once: one INSERT, no reads (the actor comes from what the view's permission decorator already put
  on the request). hubportal.access.PERSONAL_DATA lists those views, and
  tests/intake/test_access_log_enumerated.py requests every URL and fails when a page shows an
  inquiry's personal fields without a row, so a new view cannot forget.
- List pages (titles, references, statuses) are not logged: they stay one query whatever their size.
- The submitter seeing their own inquiry is not logged: it is their data.
- Rows are kept ACCESS_LOG_RETENTION_DAYS, then `inquiry_access_purge` deletes them in batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.db import connections, router
from django.db.models import QuerySet
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
    """The same for a batch of inquiries seen at once (the CSV export, which carries the submitters'
    roles): one INSERT per batch the caller streams, never a query per inquiry.

    On PostgreSQL the batch goes in as one array parameter (INSERT ... SELECT unnest(...)): building a
    model instance per row, as bulk_create does, cost the export more than the export itself (issue
    13). Every row of a batch carries the same moment. Elsewhere (SQLite) bulk_create does it.
    """
    if not inquiry_ids:
        return
    kind, user_id, who = _actor(request)
    ip = client_ip(request)
    connection = connections[router.db_for_write(InquiryAccess)]
    if connection.vendor != "postgresql":
        InquiryAccess.objects.bulk_create([
            InquiryAccess(inquiry_id=pk, actor_kind=kind, user_id=user_id, who=who[:300], what=what[:300], ip=ip)
            for pk in inquiry_ids])
        return
    table = connection.ops.quote_name(InquiryAccess._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (inquiry_id, actor_kind, user_id, who, what, ip, created_at) "
            "SELECT unnest(%s::bigint[]), %s, %s, %s, %s, %s::inet, %s",
            [list(inquiry_ids), kind, user_id, who[:300], what[:300], ip, timezone.now()])


def access_log_for_inquiry(inquiry: Inquiry) -> QuerySet[InquiryAccess]:
    """Every recorded view of one inquiry, newest first (the hub lead's page)."""
    return InquiryAccess.objects.filter(inquiry=inquiry).order_by("-created_at", "-pk")


def access_log_for_submitter(user) -> QuerySet[InquiryAccess]:
    """Every recorded view of any of this person's inquiries, newest first: for the subject access
    export (issue 12, part A), which must say who at the hub and which partners viewed them."""
    return (InquiryAccess.objects.filter(inquiry__submitter=user).select_related("inquiry")
            .order_by("-created_at", "-pk"))


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
