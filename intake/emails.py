"""Emails about inquiries: one small function per email. They carry links, never the inquiry's content."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from hubportal.models import OutboundEmail
from hubportal.outbox import outbound_email_enqueue, outbound_email_queue


def _acknowledgement_key(inquiry_id):
    return f"inquiry:{inquiry_id}:acknowledgement"


def acknowledgement(*, inquiry, resources=(), enqueue=True, is_new_key=False):
    """enqueue=False: inquiry_submit's follow-up adds the signposting, then sends it (acknowledgement_send).
    is_new_key=True: the caller holds the lock that makes this the inquiry's first (outbound_email_queue)."""
    return outbound_email_queue(
        key=_acknowledgement_key(inquiry.pk),
        to=inquiry.submitter.email,
        template="inquiry_acknowledgement",
        context={
            "reference": inquiry.reference,
            "inquiry_url": settings.SITE_URL + reverse("intake:inquiry_detail", args=[inquiry.public_id]),
            "target_days": inquiry.hub.triage_target_working_days,
            # Instant signposting: resources anyone may use (titles and links, nothing of the inquiry).
            "signposting_resources": list(resources),
        },
        hub=inquiry.hub,
        enqueue=enqueue,
        is_new_key=is_new_key,
    )


def acknowledgement_send(*, inquiry, resources):
    """Add the instant signposting to a queued acknowledgement, then send it after commit.

    Only while no worker has touched it (queued, never attempted): if the outbox sweep already sent it
    as it stood, it stays sent, once. Run twice, it writes the same list and the second send finds
    nothing to claim.
    """
    email = OutboundEmail.objects.filter(key=_acknowledgement_key(inquiry.pk)).only("pk", "template", "context").first()
    if email is None:
        return None
    OutboundEmail.objects.filter(pk=email.pk, status=OutboundEmail.Status.QUEUED, attempts=0).update(
        context={**email.context, "signposting_resources": list(resources)})
    transaction.on_commit(lambda: outbound_email_enqueue(email_id=email.pk, template=email.template))
    return email


def _staff_url(inquiry):
    return settings.SITE_URL + reverse("intake:staff_inquiry", args=[inquiry.hub.slug, inquiry.reference])


def _submitter_url(inquiry):
    return settings.SITE_URL + reverse("intake:inquiry_detail", args=[inquiry.public_id])


def inquiry_assigned(*, inquiry, assignee):
    return outbound_email_queue(
        key=f"inquiry:{inquiry.pk}:assigned:v{inquiry.version}:{assignee.pk}",
        to=assignee.email,
        template="inquiry_assigned",
        context={"reference": inquiry.reference, "inquiry_url": _staff_url(inquiry)},
        hub=inquiry.hub,
    )


def information_requested(*, inquiry, request):
    return outbound_email_queue(
        key=f"inquiry:{inquiry.pk}:info-requested:{request.pk}",
        to=inquiry.submitter.email,
        template="information_requested",
        context={"reference": inquiry.reference, "inquiry_url": _submitter_url(inquiry)},
        hub=inquiry.hub,
    )


def information_received(*, inquiry, request):
    """To the assignee, or to the hub leads while nobody is assigned."""
    from hubportal.models import HubMembership

    if inquiry.assignee_id:
        recipients = [inquiry.assignee]
    else:
        recipients = [m.user for m in HubMembership.objects.select_related("user").filter(
            hub_id=inquiry.hub_id, role=HubMembership.Role.LEAD)]
    return [
        outbound_email_queue(
            key=f"inquiry:{inquiry.pk}:info-received:{request.pk}:{person.pk}",
            to=person.email,
            template="information_received",
            context={"reference": inquiry.reference, "inquiry_url": _staff_url(inquiry)},
            hub=inquiry.hub,
        )
        for person in recipients
    ]


def inquiry_closed(*, inquiry):
    return outbound_email_queue(
        key=f"inquiry:{inquiry.pk}:closed",
        to=inquiry.submitter.email,
        template="inquiry_closed",
        context={"reference": inquiry.reference, "inquiry_url": _submitter_url(inquiry)},
        hub=inquiry.hub,
    )


def _reminder(*, key, to, subject, message, link_url, link_text, hub):
    return outbound_email_queue(key=key, to=to, template="reminder", hub=hub, context={
        "subject": subject, "message": message, "link_url": link_url, "link_text": link_text})


def reminder_triage(*, reminder, inquiry, person, overdue):
    when = "is overdue" if overdue else "is due today"
    return _reminder(
        key=f"reminder:{reminder.pk}:{person.pk}", to=person.email, hub=inquiry.hub,
        subject=f"Triage of {inquiry.reference} {when}",
        message=f"Inquiry {inquiry.reference} has not had a first response yet. The hub's target is "
                f"{inquiry.hub.triage_target_working_days} working days.",
        link_url=_staff_url(inquiry), link_text="Open the inquiry")


def reminder_information_request(*, reminder, inquiry):
    return _reminder(
        key=f"reminder:{reminder.pk}", to=inquiry.submitter.email, hub=inquiry.hub,
        subject=f"{inquiry.hub.name} is still waiting for your answer on {inquiry.reference}",
        message="The hub asked you a question about your inquiry and cannot go further without your answer.",
        link_url=_submitter_url(inquiry), link_text="Read the question and answer it")


def reminder_information_close(*, reminder, inquiry, person):
    return _reminder(
        key=f"reminder:{reminder.pk}:{person.pk}", to=person.email, hub=inquiry.hub,
        subject=f"No answer on {inquiry.reference}: it can be closed",
        message=f"The submitter has not answered the hub's question on {inquiry.reference}, even after a reminder. "
                "You can close the inquiry, or keep waiting.",
        link_url=_staff_url(inquiry), link_text="Open the inquiry")


def reminder_unparked(*, reminder, inquiry, person):
    return _reminder(
        key=f"reminder:{reminder.pk}:{person.pk}", to=person.email, hub=inquiry.hub,
        subject=f"{inquiry.reference} is back from parking",
        message=f"Inquiry {inquiry.reference} was parked until today and is back in the hub's queue.",
        link_url=_staff_url(inquiry), link_text="Open the inquiry")
