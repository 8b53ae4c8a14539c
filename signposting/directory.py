"""signposting's side of the directory on staff pages (issue 10): retiring a partner that has referrals,
the hub's resources with their review reminders, and the hub's routing rules.

Each change goes on the thing's history through partners.services.directory_change_record (issue 10
part A's hub audit log is to take this over).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from hubportal.models import HubMembership
from hubportal.outbox import outbound_email_queue
from hubportal.reminders import SEND_HOUR, register, reminder_cancel, reminder_schedule
from hubportal.workdays import LONDON
from intake.models import InquiryEvent
from intake.services import inquiry_record_event
from partners.services import directory_change_record, field_changes, partner_unlist_for_hub

from . import services
from .models import Referral, Resource, RoutingRule


class RetireRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


CLOSE, MOVE = "close", "move"


def _notice(*, key, to, hub, subject, message, link_url, link_text):
    return outbound_email_queue(key=key, to=to, template="directory_notice", hub=hub, context={
        "subject": subject, "message": message, "link_url": link_url, "link_text": link_text})


def open_referrals_for_hub(*, partner, hub):
    return (Referral.objects.filter(partner=partner, inquiry__hub=hub, status__in=Referral.OPEN_STATUSES)
            .select_related("inquiry__hub", "inquiry__submitter", "partner").order_by("pk"))


@transaction.atomic
def partner_retire_for_hub(*, partner, hub, by, action="", reason="", move_to=None):
    """The hub stops working with a partner. Its open referrals of this hub's inquiries are settled
    first, as the staff member chose: `close` (each closed with PARTNER_RETIRED; `reason`, in the hub's
    words, goes on the timeline and to the submitter) or `move` (each inquiry is referred to `move_to`,
    then the old referral is closed). The submitter of each is emailed, and the hub's leads get one
    summary. The hub's routing rules naming the partner stop. The partner is then unlisted for the hub,
    and retired when no hub lists it (partners.services.partner_unlist_for_hub).

    Rules (RetireRefused, nothing changed): with open referrals, a choice is needed (close with a
    reason, or move to another active partner of the hub); a referral that cannot be sent to
    `move_to` (signposting.services.ReferralRefused) stops it all; a partner retired everywhere must
    have no open referral left from any hub.
    """
    # Lock the referrals: a partner accepting now either finished first or finds its referral closed.
    referrals = list(open_referrals_for_hub(partner=partner, hub=hub).select_for_update(of=("self",)))
    if referrals and action not in (CLOSE, MOVE):
        raise RetireRefused("Choose what to do with the open referrals")
    if referrals and action == CLOSE and not reason.strip():
        raise RetireRefused("Enter why the referrals are closed; the people who asked are told")
    if referrals and action == MOVE and (move_to is None or move_to.pk == partner.pk):
        raise RetireRefused("Choose another partner to move the referrals to")
    for referral in referrals:
        inquiry = referral.inquiry
        moved = None
        if action == MOVE:
            try:
                moved = services.referral_send(
                    inquiry=inquiry, partner=move_to, by=by,
                    message=f"{hub.name} has moved this inquiry to you from {partner.name}.",
                    reasons=[f"Moved from {partner.name}, which {hub.name} no longer works with"])
            except services.ReferralRefused as refused:
                if refused.reason != "already_open":
                    raise RetireRefused(f"{inquiry.reference}: {refused.message}") from None
        # Close after sending, so a routed inquiry never passes through "no partner has it".
        services.referral_close_by_hub(referral=referral, by=by, reason=Referral.CloseReason.PARTNER_RETIRED)
        if action == CLOSE:
            inquiry_record_event(inquiry=inquiry, kind=InquiryEvent.Kind.NOTE_ADDED, by=by, visible=False,
                                          description=f"Referral to {partner.name} closed: {reason.strip()}"[:300])
        what = (f"The hub has passed your inquiry to {move_to.name} instead." if action == MOVE
                else f"The hub closed the referral: {reason.strip()}")
        _notice(key=f"referral:{referral.pk}:partner-retired:submitter", to=inquiry.submitter.email, hub=hub,
                subject=f"{partner.name} is no longer helping with your inquiry {inquiry.reference}",
                message=f"{hub.name} no longer refers inquiries to {partner.name}. {what}",
                link_url=settings.SITE_URL + reverse("intake:inquiry_detail", args=[inquiry.public_id]),
                link_text="See your inquiry")
        referral.moved_to = moved
    rules = RoutingRule.objects.filter(hub=hub, partner=partner, is_active=True)
    for rule in rules:
        directory_change_record(hub=hub, by=by, subject=f"rule:{rule.pk}", label=f"Routing rule: {rule.name}",
                                action="changed", changes={"is_active": ["True", "False"]},
                                note=f"{partner.name} retired")
    rules.update(is_active=False)
    summary = (f"{len(referrals)} open referral{'s' if len(referrals) != 1 else ''} "
               + ("moved to " + move_to.name if action == MOVE else "closed") if referrals else "No open referrals")
    partner = partner_unlist_for_hub(partner=partner, hub=hub, by=by, note=summary)
    if not partner.is_active and Referral.objects.filter(partner=partner, status__in=Referral.OPEN_STATUSES).exists():
        raise RetireRefused(f"{partner.name} still has open referrals from another hub's inquiries. "
                            "That hub must close or move them first")
    retired = partner.changes.filter(action="retired").first()  # this retirement's history line
    for membership in HubMembership.objects.select_related("user").filter(
            hub=hub, role=HubMembership.Role.LEAD, user__is_active=True):
        _notice(key=f"directory-change:{retired.pk}:lead:{membership.user_id}",
                to=membership.user.email, hub=hub, subject=f"{partner.name} retired from {hub.name}'s directory",
                message=f"{by.full_name or by.email} retired {partner.name}. {summary}.",
                link_url=settings.SITE_URL + reverse("signposting:hub_referrals", args=[hub.slug]),
                link_text="See the hub's referrals")
    return referrals


# --- Resources ---------------------------------------------------------------------------------------

REVIEW_KIND = "resource.review"
# Working out "before they expire": the owner hears a month ahead and again a week ahead (once each).
REVIEW_STAGES = {"month": 28, "week": 7}


def _resource_subject(resource):
    return f"signposting.resource:{resource.pk}"


def resource_plan_review(resource):
    """Plan the owner's reminders before the review date: one per stage and review date, so moving the
    date on plans a fresh pair and a stage already sent is never sent again for the same date."""
    reminder_cancel(kind=REVIEW_KIND, subject=_resource_subject(resource))
    if not (resource.is_active and resource.owner_id and resource.hub_id):
        return
    for stage, days in REVIEW_STAGES.items():
        due = dt.datetime.combine(resource.review_due_on - dt.timedelta(days=days), dt.time(SEND_HOUR), tzinfo=LONDON)
        reminder = reminder_schedule(kind=REVIEW_KIND, subject=_resource_subject(resource), hub=resource.hub,
                                     stage=f"{stage}:{resource.review_due_on.isoformat()}", due_at=due)
        if reminder.done_at is not None and reminder.outcome == "cancelled":
            # Planned before for this very date and then cancelled (the date moved away and back):
            # make it due again rather than losing it.
            type(reminder).objects.filter(pk=reminder.pk).update(done_at=None, outcome="", due_at=due)


def handle_review(reminder):
    pk = int(reminder.subject.rsplit(":", 1)[1])
    resource = Resource.objects.select_related("owner", "hub").filter(pk=pk).first()
    due_on = reminder.stage.split(":", 1)[1]
    if (resource is None or not resource.is_active or resource.owner is None or not resource.owner.is_active
            or resource.review_due_on.isoformat() != due_on):
        return "no longer applies"
    outbound_email_queue(
        key=f"reminder:{reminder.pk}:user:{resource.owner_id}", to=resource.owner.email, template="reminder",
        hub=resource.hub, context={
            "subject": f"Check \u2018{resource.title}\u2019 by {resource.review_due_on:%-d %B %Y}",
            "message": f"The resource \u2018{resource.title}\u2019 is due for review on "
                       f"{resource.review_due_on:%-d %B %Y}. After that date submitters are no longer offered it "
                       "until someone checks it and moves the review date on.",
            "link_url": settings.SITE_URL + reverse("signposting:staff_resource_edit",
                                                    args=[resource.hub.slug, resource.public_id]),
            "link_text": "Check the resource"})
    return "sent to 1"


def register_handlers():
    register(REVIEW_KIND, handle_review)


@transaction.atomic
def resource_save(*, hub, by, data, resource=None):
    """Add a resource of the hub, or change one; plans its review reminders. A national resource (no
    hub) or another hub's is never changed here (the view 404s it; this refuses it too)."""
    if resource is None:
        resource = Resource.objects.create(hub=hub, **data)
        changes, action = {name: ["", str(value)] for name, value in data.items() if value}, "created"
    else:
        resource = Resource.objects.select_for_update().get(pk=resource.pk, hub=hub)
        changes, action = field_changes(resource, data), "changed"
        for name, value in data.items():
            setattr(resource, name, value)
        resource.save()
    if changes:
        directory_change_record(hub=hub, by=by, subject=f"resource:{resource.public_id}",
                                label=f"Resource: {resource.title}", action=action, changes=changes)
    resource_plan_review(resource)
    return resource


# --- Routing rules -----------------------------------------------------------------------------------

class RuleRefused(Exception):
    def __init__(self, field, message):
        super().__init__(message)
        self.field, self.message = field, message


def routing_rule_check(*, hub, partner, resource):
    """Why a rule of `hub` may not name this target, as (field, message), or None. The form shows it next
    to the field; the service refuses with it (a stale form, two tabs)."""
    if bool(partner) == bool(resource):
        return "partner", "Choose a partner or a resource (one of them)"
    if partner is not None:
        if not partner.is_active:
            return "partner", f"{partner.name} has been retired. Choose an active partner"
        if not partner.serves_all_hubs and not partner.hubs.filter(pk=hub.pk).exists():
            return "partner", f"{partner.name} no longer takes referrals from {hub.name}. Choose another partner"
    if resource is not None:
        if resource.hub_id not in (None, hub.pk):
            return "resource", "This resource belongs to another hub"
        if not resource.is_active:
            return "resource", f"\u2018{resource.title}\u2019 is no longer active. Choose an active resource"
    return None


@transaction.atomic
def routing_rule_save(*, hub, by, data, rule=None):
    """Add a routing rule of the hub, or change one. RuleRefused when its target may not be used."""
    refused = routing_rule_check(hub=hub, partner=data.get("partner"), resource=data.get("resource"))
    if refused and data.get("is_active", True):
        raise RuleRefused(*refused)
    if rule is None:
        rule = RoutingRule.objects.create(hub=hub, **data)
        changes, action = {name: ["", str(value)] for name, value in data.items() if value}, "created"
    else:
        rule = RoutingRule.objects.select_for_update().get(pk=rule.pk, hub=hub)
        changes = {name: [str(before), str(after)] for name, (before, after) in
                   ((n, (getattr(rule, n), v)) for n, v in data.items()) if before != after}
        action = "changed"
        for name, value in data.items():
            setattr(rule, name, value)
        rule.save()
    if changes:
        directory_change_record(hub=hub, by=by, subject=f"rule:{rule.pk}", label=f"Routing rule: {rule.name}",
                                action=action, changes=changes)
    return rule
