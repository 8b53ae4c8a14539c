"""Emails about inquiries: one small function per email. They carry links, never the inquiry's content."""

from django.conf import settings
from django.urls import reverse

from hubportal.outbox import outbound_email_queue


def acknowledgement(*, inquiry):
    return outbound_email_queue(
        key=f"inquiry:{inquiry.pk}:acknowledgement",
        to=inquiry.submitter.email,
        template="inquiry_acknowledgement",
        context={
            "reference": inquiry.reference,
            "inquiry_url": settings.SITE_URL + reverse("intake:inquiry_detail", args=[inquiry.public_id]),
            "target_days": inquiry.hub.triage_target_working_days,
        },
        hub=inquiry.hub,
    )


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
