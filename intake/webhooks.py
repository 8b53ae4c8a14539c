"""Intake's events on the hub's channels (hubportal.webhooks): what a receiver may know of an inquiry.

Only the reference, the kind of help (its label) and the staff link: a channel is read by more
people than the inquiry should be, so never the title, the problem or anyone's name or address.
"""

from django.conf import settings
from django.urls import reverse

from hubportal.webhooks import webhook_event_emit


def inquiry_webhook_emit(*, inquiry, event, subject=None):
    """Queue `event` about this inquiry (or about `subject`, e.g. one of its referrals) for the hub's
    channels; call inside the transaction of the change."""
    return webhook_event_emit(
        hub=inquiry.hub, event=event, subject=subject or f"intake.inquiry:{inquiry.pk}",
        reference=inquiry.reference, kind_of_help=inquiry.get_kind_of_help_display(),
        link=settings.SITE_URL + reverse("intake:staff_inquiry", args=[inquiry.hub.slug, inquiry.reference]),
    )
