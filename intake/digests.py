"""Intake's digests: hub staff (daily or weekly) and submitters (optional, weekly).

Shared figures are computed once per hub; per person only what is theirs (assigned to them), from
one grouped query for everyone. Queries per recipient stay bounded whatever the data size.
"""

from collections import Counter, defaultdict

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from hubportal.digests import register, wants
from hubportal.models import HubMembership, User
from hubportal.workdays import add_working_days

from .models import Inquiry, InquiryEvent
from .selectors import DUE_SOON_WORKING_DAYS, hub_inquiries

ITEMS = 10


def _hub_section(hub, period, today):
    rows = hub_inquiries(hub)
    awaiting_triage = rows.filter(status=Inquiry.Status.SUBMITTED, first_response_at__isnull=True)
    new = list(rows.filter(submitted_at__gte=period.start, submitted_at__lt=period.end)
               .order_by("submitted_at").values("reference", "title")[:ITEMS])
    new_count = rows.filter(submitted_at__gte=period.start, submitted_at__lt=period.end).count()
    outcomes = dict(rows.filter(closed_at__gte=period.start, closed_at__lt=period.end)
                    .values_list("outcome").annotate(n=Count("pk")).values_list("outcome", "n"))
    base = settings.SITE_URL + reverse("intake:staff_inquiry_list", args=[hub.slug])
    section = {
        "hub_name": hub.name,
        "dashboard_url": settings.SITE_URL + reverse("intake:staff_dashboard", args=[hub.slug]),
        "new_count": new_count,
        "new": [] if hub.is_sensitive else [
            {**item, "url": settings.SITE_URL + reverse("intake:staff_inquiry", args=[hub.slug, item["reference"]])}
            for item in new],
        "due_soon": awaiting_triage.filter(triage_due_on__gte=today,
                                           triage_due_on__lte=add_working_days(today, DUE_SOON_WORKING_DAYS)).count(),
        "overdue": awaiting_triage.filter(triage_due_on__lt=today).count(),
        "waiting_on_partners": rows.filter(status=Inquiry.Status.ROUTED).count(),
        "outcomes": [{"label": Inquiry.Outcome(code).label, "count": n} for code, n in sorted(outcomes.items()) if code],
        "list_url": base,
        "overdue_url": base + "?overdue=on&sort=due",
    }
    section["has_news"] = bool(section["new_count"] or section["due_soon"] or section["overdue"]
                               or section["outcomes"])
    return section


def staff_digests(period):
    today = timezone.localdate()
    memberships = list(HubMembership.objects.select_related("user", "hub")
                       .filter(hub__is_active=True, user__is_active=True))
    people = defaultdict(list)
    for membership in memberships:
        if wants(membership.user, "staff", period.frequency):
            people[membership.user].append(membership.hub)
    if not people:
        return {}
    sections = {hub.pk: _hub_section(hub, period, today) for hub in {h for hubs in people.values() for h in hubs}}
    assigned = Counter(dict(
        Inquiry.objects.filter(assignee__in=list(people), status__in=Inquiry.OPEN_STATUSES)
        .values_list("assignee").annotate(n=Count("pk")).values_list("assignee", "n")))
    digests = {}
    for user, hubs in people.items():
        hub_sections = [sections[hub.pk] for hub in sorted(hubs, key=lambda h: h.name)]
        mine = assigned.get(user.pk, 0)
        if not (mine or any(s["has_news"] for s in hub_sections)):
            continue  # nothing to say: no email
        digests[user] = {"hubs": hub_sections, "assigned_to_me": mine,
                         "reply_hub": hubs[0] if len(hubs) == 1 else None}
    return digests


def submitter_digests(period):
    """What changed on each opted-in submitter's inquiries this week (events they may see)."""
    if period.frequency != User.Digest.WEEKLY:
        return {}
    opted_in = list(User.objects.filter(digest_frequency=User.Digest.WEEKLY, is_active=True,
                                        inquiries__isnull=False).distinct())
    opted_in = [u for u in opted_in if wants(u, "submitter", period.frequency)]
    if not opted_in:
        return {}
    events = (InquiryEvent.objects.filter(inquiry__submitter__in=opted_in, is_visible_to_submitter=True,
                                          created_at__gte=period.start, created_at__lt=period.end)
              .exclude(inquiry__status=Inquiry.Status.DRAFT)
              .select_related("inquiry").order_by("created_at"))
    changes = defaultdict(lambda: defaultdict(list))
    for event in events:
        changes[event.inquiry.submitter_id][event.inquiry].append(event.get_kind_display())
    by_pk = {u.pk: u for u in opted_in}
    return {
        by_pk[pk]: {"inquiries": [
            {"reference": inquiry.reference, "changes": labels,
             "url": settings.SITE_URL + reverse("intake:inquiry_detail", args=[inquiry.public_id])}
            for inquiry, labels in per_inquiry.items()]}
        for pk, per_inquiry in changes.items()
    }


def register_digests():
    register("staff", "digest_staff", staff_digests)
    register("submitter", "digest_submitter", submitter_digests)



