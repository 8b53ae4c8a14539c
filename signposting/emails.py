"""Emails about referrals: one small function per email. They carry links and the names of the hub and
the partner, never the inquiry's content (a partner reads that after following its secure link)."""

from django.conf import settings
from django.urls import reverse

from hubportal.models import HubMembership
from hubportal.outbox import outbound_email_queue


def staff_inquiry_url(inquiry):
    """The hub staff's page of the inquiry (intake's)."""
    return settings.SITE_URL + reverse("intake:staff_inquiry", args=[inquiry.hub.slug, inquiry.reference])


def _submitter_url(inquiry):
    return settings.SITE_URL + reverse("intake:inquiry_detail", args=[inquiry.public_id])


def referral_link_url(referral, raw_token):
    return settings.SITE_URL + reverse("signposting:referral_link", args=[referral.public_id, raw_token])


def _partner_context(referral, link_url, days):
    return {"reference": referral.inquiry.reference, "partner_name": referral.partner.name,
            "link_url": link_url, "days": days,
            "sign_in_url": settings.SITE_URL + reverse("partners:sign_in")}


def referral_sent(*, referral, contact, raw_token, days):
    return outbound_email_queue(
        key=f"referral:{referral.pk}:sent:{contact.pk}",
        to=contact.email,
        template="referral_sent",
        context=_partner_context(referral, referral_link_url(referral, raw_token), days),
        hub=referral.inquiry.hub,
        has_secret=True,
    )


def referral_link(*, referral, contact, link, raw_token, days, reason):
    """A fresh secure link: `reason` is "outcome" (after accepting) or "renewed" (asked for)."""
    return outbound_email_queue(
        key=f"referral:{referral.pk}:link:{link.pk}",
        to=contact.email,
        template="referral_link",
        context={**_partner_context(referral, referral_link_url(referral, raw_token), days), "reason": reason},
        hub=referral.inquiry.hub,
        has_secret=True,
    )


def referral_accepted(*, referral):
    """The submitter learns who is helping them."""
    inquiry = referral.inquiry
    return outbound_email_queue(
        key=f"referral:{referral.pk}:accepted",
        to=inquiry.submitter.email,
        template="referral_accepted",
        context={"reference": inquiry.reference, "partner_name": referral.partner.name,
                 "partner_website": referral.partner.website, "inquiry_url": _submitter_url(inquiry)},
        hub=inquiry.hub,
    )


def _hub_people(inquiry, *, leads_too):
    """The assignee, and the hub leads when asked (or when nobody is assigned)."""
    people = {}
    if inquiry.assignee_id:
        people[inquiry.assignee.pk] = inquiry.assignee
    if leads_too or not people:
        for membership in HubMembership.objects.select_related("user").filter(
                hub_id=inquiry.hub_id, role=HubMembership.Role.LEAD, user__is_active=True):
            people.setdefault(membership.user.pk, membership.user)
    return list(people.values())


def _to_hub(*, referral, what, template, leads_too, extra=None):
    inquiry = referral.inquiry
    return [
        outbound_email_queue(
            key=f"referral:{referral.pk}:{what}:{person.pk}",
            to=person.email,
            template=template,
            context={"reference": inquiry.reference, "partner_name": referral.partner.name,
                     "inquiry_url": staff_inquiry_url(inquiry), **(extra or {})},
            hub=inquiry.hub,
        )
        for person in _hub_people(inquiry, leads_too=leads_too)
    ]


def referral_declined(*, referral):
    """The hub lead learns of every decline (and the assignee, who may re-route it)."""
    return _to_hub(referral=referral, what="declined", template="referral_declined", leads_too=True)


def referral_completed(*, referral):
    return _to_hub(referral=referral, what="completed", template="referral_completed", leads_too=False)


def referral_question(*, referral, question):
    return _to_hub(referral=referral, what=f"question:{question.pk}", template="referral_question",
                   leads_too=False)


def referral_closed(*, referral, contact):
    """The partner is told to stop, and why: the coded reason in plain words (never the hub's own words,
    which may name people) and a link to the referral through sign-in. Once per referral and contact,
    however often the closing is retried."""
    return outbound_email_queue(
        key=f"referral:{referral.pk}:closed:{contact.pk}",
        to=contact.email,
        template="referral_closed",
        context={"reference": referral.inquiry.reference, "partner_name": referral.partner.name,
                 "reason": referral.get_close_reason_display(),
                 "consent_withdrawn": referral.close_reason == "consent_withdrawn",
                 "link_url": _partner_referral_url(referral)},
        hub=referral.inquiry.hub,
    )


def _partner_referral_url(referral):
    # Through partner sign-in: a reminder carries no secure link of its own.
    path = reverse("signposting:partner_referral", args=[referral.public_id])
    return settings.SITE_URL + reverse("partners:sign_in") + "?next=" + path


def referral_reminder(*, reminder, referral, contact):
    return outbound_email_queue(
        key=f"reminder:{reminder.pk}:contact:{contact.pk}", to=contact.email, template="reminder",
        hub=referral.inquiry.hub, context={
            "subject": f"A referral from {referral.inquiry.hub.name} is waiting for your answer",
            "message": f"{referral.inquiry.hub.name} referred inquiry {referral.inquiry.reference} to "
                       f"{referral.partner.name}. Please accept or decline it, so the person who asked is not "
                       "left waiting.",
            "link_url": _partner_referral_url(referral), "link_text": "See the referral"})


def referral_escalation_to_partner(*, reminder, referral, contact):
    return outbound_email_queue(
        key=f"reminder:{reminder.pk}:contact:{contact.pk}", to=contact.email, template="reminder",
        hub=referral.inquiry.hub, context={
            "subject": f"A referral to {referral.partner.name} has had no answer",
            "message": f"Inquiry {referral.inquiry.reference}, referred by {referral.inquiry.hub.name}, has not "
                       f"been accepted or declined after {referral.inquiry.hub.partner_escalation_working_days} "
                       "working days, even after a reminder to your colleagues.",
            "link_url": _partner_referral_url(referral), "link_text": "See the referral"})


def referral_escalation_to_hub(*, reminder, referral, lead):
    return outbound_email_queue(
        key=f"reminder:{reminder.pk}:user:{lead.pk}", to=lead.email, template="reminder",
        hub=referral.inquiry.hub, context={
            "subject": f"{referral.partner.name} has not answered the referral of {referral.inquiry.reference}",
            "message": f"The referral of {referral.inquiry.reference} to {referral.partner.name} has had no answer "
                       f"after {referral.inquiry.hub.partner_escalation_working_days} working days. Their lead has "
                       "been told. You may want to re-route it.",
            "link_url": staff_inquiry_url(referral.inquiry), "link_text": "Open the inquiry"})


def referral_handed_back(*, referral):
    """The assignee and the hub leads learn the partner gave the referral back, with the coded reason."""
    return _to_hub(referral=referral, what="handed-back", template="referral_handed_back", leads_too=True,
                   extra={"reason": referral.get_hand_back_reason_display()})


def referral_progress_request(*, referral, progress, contact, raw_token, chase):
    """To each referral contact: how is it going? A fresh secure link to the referral's page, where the
    progress update is one short page. The chase is the same email, once, marked as a reminder."""
    return outbound_email_queue(
        key=f"referral:{referral.pk}:progress:{progress.number}:{'chase' if chase else 'request'}:{contact.pk}",
        to=contact.email,
        template="referral_progress_request",
        context={**_partner_context(referral, referral_link_url(referral, raw_token), _outcome_days()),
                 "chase": chase, "number": progress.number},
        hub=referral.inquiry.hub,
        has_secret=True,
    )


def _outcome_days():
    from .services import _outcome_link_days

    return _outcome_link_days()


def referral_progress_silent(*, reminder, referral, lead):
    return outbound_email_queue(
        key=f"reminder:{reminder.pk}:user:{lead.pk}", to=lead.email, template="reminder",
        hub=referral.inquiry.hub, context={
            "subject": f"No progress update from {referral.partner.name} on {referral.inquiry.reference}",
            "message": f"{referral.partner.name} accepted the referral of {referral.inquiry.reference} but has not "
                       "sent the progress update asked for, even after a reminder.",
            "link_url": staff_inquiry_url(referral.inquiry), "link_text": "Open the inquiry"})
