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
