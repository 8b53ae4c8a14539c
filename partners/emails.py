"""The directory's emails: one small function per email, each queuing an outbox row."""

from django.conf import settings
from django.urls import reverse

from hubportal.outbox import outbound_email_queue


def partner_sign_in_link(*, link, raw_token):
    url = settings.SITE_URL + reverse("partners:sign_in_confirm", args=[raw_token])
    return outbound_email_queue(
        key=f"email-link:{link.pk}:partner-sign-in",
        to=link.email,
        template="partner_sign_in_link",
        context={"link_url": url, "minutes": settings.SIGN_IN_LINK_MINUTES},
        has_secret=True,
    )
