"""The kernel's emails: one small function per email, each queuing an outbox row."""

from django.conf import settings
from django.urls import reverse

from .outbox import outbound_email_queue


def sign_in_link(*, link, raw_token):
    url = settings.SITE_URL + reverse("hubportal:sign_in_confirm", args=[raw_token])
    return outbound_email_queue(
        key=f"email-link:{link.pk}:sign-in",
        to=link.email,
        template="sign_in_link",
        context={"link_url": url, "minutes": settings.SIGN_IN_LINK_MINUTES},
        has_secret=True,
    )


def staff_invitation(*, link, raw_token):
    url = settings.SITE_URL + reverse("hubportal:staff_invitation", args=[raw_token])
    return outbound_email_queue(
        key=f"email-link:{link.pk}:staff-invitation",
        to=link.email,
        template="staff_invitation",
        context={"link_url": url, "hours": settings.STAFF_INVITATION_HOURS},
        has_secret=True,
    )
