"""Writes on referrals. One function per state change of a referral; each checks the transitions table
(Referral.TRANSITIONS), writes the change with a conditional UPDATE, puts a line on the inquiry's
timeline (intake.services.inquiry_record_event) and queues its emails, all in one transaction.

Who might race: two contacts of one partner answering at once, a partner answering while the hub
closes the referral or the submitter withdraws consent, two hub staff sending at once. The
conditional UPDATE (status=<what we read>) lets exactly one through; the loser gets ReferralChanged.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from hubportal import webhooks
from hubportal.models import EmailLink, HubMembership, hash_token
from hubportal.services import LinkRefused, email_link_create, email_link_inspect, email_link_redeem
from intake.models import Inquiry, InquiryEvent
from intake.services import (
    InquiryChanged,
    TransitionNotAllowed,
    inquiry_record_event,
    inquiry_route,
    inquiry_start_review,
    inquiry_start_support,
    inquiry_unroute,
    inquiry_withdraw_consent,
)
from intake.webhooks import inquiry_webhook_emit
from partners.models import PartnerContact

from . import emails, lifecycle, reminders
from .models import Referral, ReferralProgress, ReferralQuestion

# How long the emailed links work, in days: the first one (to open and answer it), and the one for
# recording the outcome. Settings REFERRAL_LINK_DAYS and REFERRAL_OUTCOME_LINK_DAYS override them.
REFERRAL_LINK_DAYS = 14
OUTCOME_LINK_DAYS = 90


def _referral_link_days():
    return getattr(settings, "REFERRAL_LINK_DAYS", REFERRAL_LINK_DAYS)


def _outcome_link_days():
    return getattr(settings, "REFERRAL_OUTCOME_LINK_DAYS", OUTCOME_LINK_DAYS)

NEW_LINKS_PER_HOUR = 3

REFERRABLE_STATUSES = (Inquiry.Status.SUBMITTED, Inquiry.Status.IN_REVIEW, Inquiry.Status.ROUTED,
                       Inquiry.Status.IN_SUPPORT)


class ReferralRefused(Exception):
    """A referral that may not be made. `reason` is a code; `message` says why, for hub staff."""

    def __init__(self, reason, message, partner=None):
        super().__init__(message)
        self.reason, self.message, self.partner = reason, message, partner


class ReferralTransitionNotAllowed(Exception):
    def __init__(self, current, wanted):
        super().__init__(f"A referral that is {current} cannot become {wanted}")
        self.current, self.wanted = current, wanted


class ReferralInquiryClosed(ReferralTransitionNotAllowed):
    """The referral's inquiry is closed: nothing about the referral may change. `notice` says why, for
    the partner."""

    def __init__(self, current, wanted, *, inquiry):
        super().__init__(current, wanted)
        self.notice = lifecycle.inquiry_closed_notice(inquiry) or "This inquiry is closed"


class ReferralNotYours(Exception):
    """The contact is not an active contact of the referral's partner."""


class ReferralChanged(Exception):
    """Someone else changed the referral first (another contact, the hub, the submitter); nothing saved."""


def _subject_ref(referral, contact):
    return f"{referral.public_id}:{contact.public_id}"


def referral_contacts(partner):
    return list(PartnerContact.objects.filter(partner=partner, is_active=True, receives_referrals=True)
                .order_by("-is_lead", "name"))


def _issue_link(referral, contact, *, days, next_path=""):
    """`next_path`: the page the link opens on (the progress update's page), else the referral's page."""
    return email_link_create(purpose=EmailLink.Purpose.REFERRAL, email=contact.email, next_path=next_path,
                             subject_ref=_subject_ref(referral, contact), minutes=days * 24 * 60)


def progress_path(referral):
    from django.urls import reverse

    return reverse("signposting:referral_progress", args=[referral.public_id])


def _move(referral, *, to, **fields):
    """Change the status if the lifecycle allows it from the status in the database now (a clear
    exception early); _guarded_move's conditional UPDATE then settles any race."""
    current, inquiry_status = Referral.objects.filter(pk=referral.pk).values_list("status", "inquiry__status").get()
    if not lifecycle.referral_may_become(current=current, to=to, inquiry_status=inquiry_status):
        if not lifecycle.referral_may_change(inquiry_status=inquiry_status):
            raise ReferralInquiryClosed(current, to, inquiry=Inquiry.objects.get(pk=referral.inquiry_id))
        raise ReferralTransitionNotAllowed(current, to)
    return _guarded_move(referral, from_status=current, to=to, **fields)


def _changeable(rows, *, to=None):
    """Narrow `rows` to referrals whose inquiry lets them change (lifecycle rule 2), in the UPDATE's own
    WHERE: the hub closing the inquiry and a partner answering cannot both win."""
    if to in lifecycle.ALWAYS_ALLOWED:
        return rows
    # inquiry_id IN (...) rather than a join, so the status condition stays on the referral row itself
    # and PostgreSQL re-checks it after waiting for a concurrent writer.
    return rows.filter(inquiry__in=Inquiry.objects.filter(
        status__in=lifecycle.REFERRALS_CHANGE_WHILE_INQUIRY_IS).values("pk"))


def _guarded_move(referral, *, from_status, to, **fields):
    """The conditional UPDATE: `from_status` -> `to` only if the referral is still `from_status` (and its
    inquiry still open, unless closing). Of two people answering at once exactly one gets a row; the
    other gets ReferralChanged and nothing is saved."""
    rows = _changeable(Referral.objects.filter(pk=referral.pk, status=from_status), to=to)
    if not rows.update(status=to, updated_at=timezone.now(), **fields):
        raise ReferralChanged()
    referral.refresh_from_db()
    return referral


def _event(referral, kind, description, *, by=None, visible):
    return inquiry_record_event(inquiry=referral.inquiry, kind=kind, by=by, description=description[:300],
                                visible=visible)


def _check_referrable(inquiry, partner, by):
    if not HubMembership.objects.filter(hub_id=inquiry.hub_id, user=by).exists():
        raise ReferralRefused("not_hub_staff", "Only the inquiry's hub can refer it", partner)
    if inquiry.consent_share_with_partners is not True:
        raise ReferralRefused("no_consent", "The submitter did not agree to share their inquiry with "
                                            "partner organisations, so it cannot be referred", partner)
    if inquiry.status == Inquiry.Status.AWAITING_INFO:
        raise ReferralRefused("awaiting_info", "Wait for the submitter's answer before referring this inquiry",
                              partner)
    if inquiry.status not in REFERRABLE_STATUSES:
        raise ReferralRefused("inquiry_status", f"A {inquiry.get_status_display().lower()} inquiry cannot "
                                                f"be referred", partner)
    if not partner.is_active:
        raise ReferralRefused("partner_inactive", f"{partner.name} is no longer an active partner", partner)
    if not partner.serves_all_hubs and not partner.hubs.filter(pk=inquiry.hub_id).exists():
        raise ReferralRefused("not_serving_hub", f"{partner.name} does not take referrals from "
                                                 f"{inquiry.hub.name}", partner)
    if Referral.objects.filter(inquiry=inquiry, partner=partner, status__in=Referral.OPEN_STATUSES).exists():
        raise ReferralRefused("already_open", f"{partner.name} already has an open referral for this inquiry",
                              partner)


def _route(inquiry, by, description):
    """The first referral moves the inquiry to routed (starting the review first if nobody had).
    True when it did: the routed line of the timeline then says which partner, and is the only line
    for that referral (one event per thing that happened)."""
    if inquiry.status == Inquiry.Status.SUBMITTED:
        inquiry_start_review(inquiry=inquiry, by=by, version=inquiry.version)
    if inquiry.status == Inquiry.Status.IN_REVIEW:
        inquiry_route(inquiry=inquiry, by=by, version=None, description=description)
        return True
    return False


@transaction.atomic
def referral_send(*, inquiry, partner, by, message="", reasons=(), rerouted_from=None):
    """Refer an inquiry to a partner: a new referral (sent), emailed to each of the partner's contacts who
    receive referrals, each with their own secure link.

    Rules (ReferralRefused otherwise): `by` is staff of the inquiry's hub; the submitter consented to
    sharing with partners; the inquiry is open and not waiting for the submitter; the partner is
    active, takes referrals from the inquiry's hub, has a contact who receives referrals, and has no
    open referral for this inquiry. The first referral moves the inquiry to routed.
    """
    # Lock the inquiry: a consent withdrawal, or another referral to the same partner, waits for us.
    inquiry = Inquiry.objects.select_for_update(of=("self",)).select_related("hub", "submitter").get(pk=inquiry.pk)
    _check_referrable(inquiry, partner, by)
    contacts = referral_contacts(partner)
    if not contacts:
        raise ReferralRefused("no_contact", f"{partner.name} has no contact who receives referrals. Add one "
                                            f"in the directory first", partner)
    try:
        with transaction.atomic():
            referral = Referral.objects.create(inquiry=inquiry, partner=partner, sent_by=by, message=message,
                                               reasons=list(reasons), rerouted_from=rerouted_from,
                                               sent_at=timezone.now())
    except IntegrityError:
        raise ReferralRefused("already_open", f"{partner.name} already has an open referral for this inquiry",
                              partner) from None
    description = f"Referred to {partner.name}"
    if rerouted_from is not None:
        description += f" (instead of {rerouted_from.partner.name}, who declined)"
    if not _route(inquiry, by, description):
        _event(referral, InquiryEvent.Kind.REFERRAL_SENT, description, by=by, visible=True)
    reminders.plan(referral)
    days = _referral_link_days()
    for contact in contacts:
        issued = _issue_link(referral, contact, days=days)
        emails.referral_sent(referral=referral, contact=contact, raw_token=issued.raw_token, days=days)
    return referral


@transaction.atomic
def referral_send_many(*, inquiry, partners, by, message="", reasons=None):
    """Refer an inquiry to several partners in one step, all or none: one refusal sends nothing."""
    reasons = reasons or {}
    return [referral_send(inquiry=inquiry, partner=partner, by=by, message=message,
                          reasons=reasons.get(partner.pk, ())) for partner in partners]


@transaction.atomic
def referral_reroute(*, referral, partner, by, message=""):
    """Send a declined (or handed-back) referral's inquiry to another partner, once per referral."""
    referral = Referral.objects.select_for_update(of=("self",)).select_related("partner").get(pk=referral.pk)
    if referral.status not in Referral.REROUTABLE_STATUSES:
        raise ReferralRefused("not_declined", "Only a declined or handed-back referral can be re-routed", partner)
    if Referral.objects.filter(rerouted_from=referral).exists():
        raise ReferralRefused("already_rerouted", "This referral has already been re-routed", partner)
    if partner.pk == referral.partner_id:
        raise ReferralRefused("same_partner", f"{partner.name} declined this inquiry; choose another partner",
                              partner)
    return referral_send(inquiry=referral.inquiry, partner=partner, by=by, message=message,
                         rerouted_from=referral)


@transaction.atomic
def referral_view(*, referral, contact):
    """sent -> viewed, the first time a contact opens it. Opening it again, or in two places at once,
    changes nothing (the conditional UPDATE lets the first one through)."""
    now = timezone.now()
    viewed = _changeable(Referral.objects.filter(pk=referral.pk, status=Referral.Status.SENT)).update(
        status=Referral.Status.VIEWED, viewed_at=now, updated_at=now)
    referral.refresh_from_db()
    if viewed:
        _event(referral, InquiryEvent.Kind.REFERRAL_VIEWED, f"{referral.partner.name} ({contact.name})",
               visible=False)
    return referral


def _check_contact(referral, contact):
    if contact.partner_id != referral.partner_id or not contact.is_active:
        raise ReferralNotYours()


@transaction.atomic
def referral_accept(*, referral, contact):
    """-> accepted. The submitter is told who is helping them; the inquiry is in support; the contact is
    emailed a new link for recording the outcome later."""
    _check_contact(referral, contact)
    referral_view(referral=referral, contact=contact)
    _move(referral, to=Referral.Status.ACCEPTED, accepted_at=timezone.now(), accepted_by=contact)
    _event(referral, InquiryEvent.Kind.REFERRAL_ACCEPTED, f"{referral.partner.name} will help you",
           visible=True)
    inquiry = Inquiry.objects.get(pk=referral.inquiry_id)
    if inquiry.status == Inquiry.Status.ROUTED:
        try:
            inquiry_start_support(inquiry=inquiry, by=None, version=None)
        except (InquiryChanged, TransitionNotAllowed):
            pass  # the hub moved it on meanwhile; the acceptance stands on its own
    emails.referral_accepted(referral=referral)
    reminders.plan_progress(referral, number=1)
    days = _outcome_link_days()
    issued = _issue_link(referral, contact, days=days)
    emails.referral_link(referral=referral, contact=contact, link=issued.link, raw_token=issued.raw_token,
                         days=days, reason="outcome")
    return referral


@transaction.atomic
def referral_decline(*, referral, contact, reason, details=""):
    """-> declined, with a coded reason (and details). The hub lead and the assignee are told, and may
    re-route it. The partner stops seeing the inquiry."""
    _check_contact(referral, contact)
    reason = Referral.DeclineReason(reason)
    referral_view(referral=referral, contact=contact)
    _move(referral, to=Referral.Status.DECLINED, declined_at=timezone.now(), declined_by=contact,
          decline_reason=reason, decline_details=details)
    _event(referral, InquiryEvent.Kind.REFERRAL_DECLINED,
           f"{referral.partner.name} ({contact.name}): {reason.label}", visible=False)
    emails.referral_declined(referral=referral)
    inquiry_webhook_emit(inquiry=referral.inquiry, event=webhooks.REFERRAL_DECLINED,
                         subject=f"signposting.referral:{referral.pk}")
    return referral


@transaction.atomic
def referral_complete(*, referral, contact, outcome, details=""):
    """accepted -> completed, with a coded outcome. The hub is told, to close or follow up the inquiry."""
    _check_contact(referral, contact)
    outcome = Referral.Outcome(outcome)
    _move(referral, to=Referral.Status.COMPLETED, completed_at=timezone.now(), completed_by=contact,
          outcome=outcome, outcome_details=details)
    _event(referral, InquiryEvent.Kind.REFERRAL_COMPLETED, f"{referral.partner.name}: {outcome.label}",
           visible=True)
    emails.referral_completed(referral=referral)
    return referral


@transaction.atomic
def referral_hand_back(*, referral, contact, reason, details=""):
    """accepted -> handed_back: the partner gives the referral back with a coded reason (the decline
    reasons) and details. The assignee and the hub leads are told and may refer it elsewhere
    (referral_reroute); progress requests stop; the partner stops seeing the inquiry. When it was the
    last open referral of a routed inquiry, the inquiry goes back to in review (lifecycle rule 3)."""
    _check_contact(referral, contact)
    reason = Referral.DeclineReason(reason)
    _move(referral, to=Referral.Status.HANDED_BACK, handed_back_at=timezone.now(), handed_back_by=contact,
          hand_back_reason=reason, hand_back_details=details)
    _event(referral, InquiryEvent.Kind.REFERRAL_HANDED_BACK,
           f"{referral.partner.name} ({contact.name}): {reason.label}", visible=False)
    reminders.cancel_progress(referral)
    emails.referral_handed_back(referral=referral)
    _after_a_referral_closed(referral.inquiry_id, by=None)
    return referral


@transaction.atomic
def referral_progress_request(*, referral, number):
    """Ask the partner of an accepted referral for progress update `number` (the reminder sweep calls
    it): each contact who receives referrals is emailed a fresh link; it is chased once if silent, the
    hub leads are told after that, and the next request is planned an interval later. Once per number
    (the unique (referral, number) row); nothing once the referral is no longer accepted."""
    referral = Referral.objects.select_related("partner", "inquiry__hub").get(pk=referral.pk)
    if referral.status != Referral.Status.ACCEPTED or not lifecycle.referral_may_change(
            inquiry_status=referral.inquiry.status):
        return None
    progress, created = ReferralProgress.objects.get_or_create(referral=referral, number=number)
    if not created:
        return progress
    days = _outcome_link_days()
    for contact in referral_contacts(referral.partner):
        issued = _issue_link(referral, contact, days=days, next_path=progress_path(referral))
        emails.referral_progress_request(referral=referral, progress=progress, contact=contact,
                                         raw_token=issued.raw_token, chase=False)
    reminders.plan_progress_chase(progress)
    reminders.plan_progress(referral, number=number + 1, after=progress.requested_at)
    return progress


@transaction.atomic
def referral_progress_record(*, referral, contact, note, milestone_reached="", expected_outcome_on=None,
                             in_kind_hours=None, in_kind_value=None, in_kind_description=""):
    """The partner's progress update on an accepted referral: it answers the latest unanswered request
    (or stands on its own when none is open), drops that request's chase, and goes on the timeline.
    In-kind support given since the last update (hours, pounds, what) is kept for the value report."""
    _check_contact(referral, contact)
    referral = Referral.objects.select_for_update(of=("self",)).select_related("inquiry", "partner").get(
        pk=referral.pk)
    if referral.status != Referral.Status.ACCEPTED or not lifecycle.referral_may_change(
            inquiry_status=referral.inquiry.status):
        raise ReferralTransitionNotAllowed(referral.status, "given a progress update")
    progress = referral.progress_updates.filter(answered_at__isnull=True).order_by("-number").first()
    if progress is None:
        last = referral.progress_updates.order_by("-number").values_list("number", flat=True).first() or 0
        progress = ReferralProgress.objects.create(referral=referral, number=last + 1)
    ReferralProgress.objects.filter(pk=progress.pk).update(
        answered_at=timezone.now(), answered_by=contact, note=note, milestone_reached=milestone_reached,
        expected_outcome_on=expected_outcome_on, in_kind_hours=in_kind_hours, in_kind_value=in_kind_value,
        in_kind_description=in_kind_description)
    reminders.cancel_progress_chase(progress)
    description = f"{referral.partner.name} ({contact.name})"
    if milestone_reached:
        description += f": {milestone_reached}"
    _event(referral, InquiryEvent.Kind.REFERRAL_PROGRESS, description, visible=False)
    progress.refresh_from_db()
    return progress


@transaction.atomic
def referral_ask(*, referral, contact, question):
    """A partner asks the hub a question about an open referral. The hub is emailed a link (not the
    question) and answers by replying to the contact."""
    _check_contact(referral, contact)
    referral = Referral.objects.select_for_update(of=("self",)).select_related("inquiry").get(pk=referral.pk)
    if not lifecycle.referral_may_change(inquiry_status=referral.inquiry.status):
        raise ReferralInquiryClosed(referral.status, "asked about", inquiry=referral.inquiry)
    if not referral.is_open:
        raise ReferralTransitionNotAllowed(referral.status, "asked about")
    referral_view(referral=referral, contact=contact)
    asked = ReferralQuestion.objects.create(referral=referral, asked_by=contact, asked_by_name=contact.name,
                                            asked_by_email=contact.email, body=question)
    _event(referral, InquiryEvent.Kind.PARTNER_QUESTION, f"{referral.partner.name} ({contact.name})",
           visible=False)
    emails.referral_question(referral=referral, question=asked)
    return asked


@transaction.atomic
def referral_close(*, referral, reason, by=None):
    """An open referral -> closed, with a coded reason (Referral.CloseReason). Each of the partner's
    referral contacts is told once, with the reason; the partner stops seeing the inquiry. When it was
    the last open referral of a routed inquiry, the inquiry goes back to in review (lifecycle rule 3)."""
    reason = Referral.CloseReason(reason)
    _move(referral, to=Referral.Status.CLOSED, closed_at=timezone.now(), close_reason=reason)
    _event(referral, InquiryEvent.Kind.REFERRAL_CLOSED, f"{referral.partner.name}: {reason.label}", by=by,
           visible=True)
    for contact in referral_contacts(referral.partner):
        emails.referral_closed(referral=referral, contact=contact)
    _after_a_referral_closed(referral.inquiry_id, by=by)
    return referral


def _after_a_referral_closed(inquiry_id, *, by):
    # The inquiry row is locked by whoever closes (consent_withdraw, inquiry_close); the status is read
    # again because closing several referrals may have moved it already.
    inquiry = Inquiry.objects.get(pk=inquiry_id)
    after = lifecycle.inquiry_status_after_last_referral(inquiry.status)
    if after is None or Referral.objects.filter(inquiry_id=inquiry_id, status__in=Referral.OPEN_STATUSES).exists():
        return
    if after == Inquiry.Status.IN_REVIEW:
        inquiry_unroute(inquiry=inquiry, by=by, description="No partner organisation has it any more")


@transaction.atomic
def referral_close_by_hub(*, referral, by, reason=Referral.CloseReason.HUB_CLOSED):
    """Hub staff close an open referral (no answer, or no longer needed; PARTNER_RETIRED when the hub
    retires the partner: signposting.directory.partner_retire_for_hub)."""
    if not HubMembership.objects.filter(hub_id=referral.inquiry.hub_id, user=by).exists():
        raise ReferralNotYours()
    return referral_close(referral=referral, reason=reason, by=by)


@transaction.atomic
def referrals_close_for_inquiry(*, inquiry, event, by):
    """intake's inquiry_sharing_ended hook (registered in SignpostingConfig.ready): the inquiry was
    closed, erased, or its submitter withdrew consent, so each open referral closes with the reason
    lifecycle.ENDS_SHARING gives, in the caller's transaction. Returns the referrals closed."""
    reason = lifecycle.close_reason_for(inquiry=inquiry, event=event)
    # Lock them: a partner answering now either finished first (and their referral, still open, is
    # closed here) or waits and then finds it closed.
    open_referrals = (Referral.objects.select_for_update(of=("self",)).select_related("partner")
                      .filter(inquiry=inquiry, status__in=Referral.OPEN_STATUSES).order_by("pk"))
    closed = []
    for referral in open_referrals:
        referral.inquiry = inquiry
        closed.append(referral_close(referral=referral, reason=reason, by=by))
    # A routed inquiry whose only referrals were declined has none open either: it goes back too.
    _after_a_referral_closed(inquiry.pk, by=by)
    return closed


@transaction.atomic
def consent_withdraw(*, inquiry, by):
    """The submitter withdraws consent to share with partners: in one transaction, intake records it and
    (through referrals_close_for_inquiry) every open referral of the inquiry is closed, each partner
    being told; a routed inquiry left with no open referral goes back to in review."""
    # Lock first: a referral being sent at this moment either finishes before us (and is closed
    # here) or starts after us (and sees no consent).
    inquiry = Inquiry.objects.select_for_update(of=("self",)).select_related("hub", "submitter").get(pk=inquiry.pk)
    open_ids = list(Referral.objects.filter(inquiry=inquiry, status__in=Referral.OPEN_STATUSES)
                    .order_by("pk").values_list("pk", flat=True))
    inquiry_withdraw_consent(inquiry=inquiry, by=by)
    return list(Referral.objects.filter(pk__in=open_ids, status=Referral.Status.CLOSED).order_by("pk"))


# --- The partner's secure links ---------------------------------------------------------------------

def _link_target(link, referral_public_id):
    """The referral and contact a REFERRAL link is bound to, or LinkRefused("unknown")."""
    referral_ref, _, contact_ref = link.subject_ref.partition(":")
    if referral_ref != str(referral_public_id):
        raise LinkRefused("unknown")  # a link for another referral: refused as if it did not exist
    referral = Referral.objects.select_related("partner", "inquiry__hub").filter(public_id=referral_ref).first()
    contact = PartnerContact.objects.filter(public_id=contact_ref, email__iexact=link.email).first()
    if referral is None or contact is None or contact.partner_id != referral.partner_id or not contact.is_active:
        raise LinkRefused("unknown")
    return referral, contact


def referral_link_inspect(*, raw_token, referral_public_id):
    """The (referral, contact) behind a link, without using it; LinkRefused says why it cannot be used."""
    link = email_link_inspect(raw_token=raw_token, purpose=EmailLink.Purpose.REFERRAL)
    return _link_target(link, referral_public_id)


def referral_link_next_path(*, raw_token):
    """Where a referral link opens (its next_path: a progress request's page), or "" for the referral."""
    link = EmailLink.objects.filter(token_hash=hash_token(raw_token), purpose=EmailLink.Purpose.REFERRAL).first()
    return link.next_path if link else ""


@transaction.atomic
def referral_link_redeem(*, raw_token, referral_public_id):
    """Use a referral link once (the confirmation page's POST): returns (referral, contact) and records
    that the partner viewed the referral. A link for another referral is refused and stays unused."""
    referral_link_inspect(raw_token=raw_token, referral_public_id=referral_public_id)
    link = email_link_redeem(raw_token=raw_token, purpose=EmailLink.Purpose.REFERRAL)
    referral, contact = _link_target(link, referral_public_id)
    if referral.is_open:
        referral_view(referral=referral, contact=contact)
    return referral, contact


@transaction.atomic
def referral_link_renew(*, raw_token, referral_public_id):
    """Email a new link in place of an expired or used one, to the contact it was for (never to an address
    typed here). Returns the contact emailed, or None when no new link is due: the link is unknown,
    still usable, bound to another referral, its contact is gone, the referral is no longer open, or
    three new links were sent in the last hour."""
    link = EmailLink.objects.filter(token_hash=hash_token(raw_token), purpose=EmailLink.Purpose.REFERRAL).first()
    if link is None or not (link.is_used or link.is_expired):
        return None
    try:
        referral, contact = _link_target(link, referral_public_id)
    except LinkRefused:
        return None
    if not referral.is_open:
        return None
    recent = EmailLink.objects.filter(purpose=EmailLink.Purpose.REFERRAL, subject_ref=link.subject_ref,
                                      created_at__gte=timezone.now() - timedelta(hours=1)).count()
    if recent >= NEW_LINKS_PER_HOUR:
        return None
    days = _outcome_link_days() if referral.status == Referral.Status.ACCEPTED else _referral_link_days()
    issued = _issue_link(referral, contact, days=days)
    emails.referral_link(referral=referral, contact=contact, link=issued.link, raw_token=issued.raw_token,
                         days=days, reason="renewed")
    return contact
