"""Lay review emails: one small function per email, each queuing an outbox row.

What a lay reviewer is emailed never says anything about the inquiry: their name, the hub's name and
the link. The redacted summary is behind the link, where its view is logged.
"""

from django.conf import settings
from django.urls import reverse

from hubportal.outbox import outbound_email_queue


def lay_review_request(*, link, raw_token, review=None):
    """The link to one review request (also the LinkFlow's `send`, which passes only the link)."""
    if review is None:
        from .models import LayReview

        review = LayReview.objects.select_related("reviewer", "inquiry__hub").get(public_id=link.subject_ref)
    url = settings.SITE_URL + reverse("review:link", args=[raw_token])
    return outbound_email_queue(
        key=f"email-link:{link.pk}:lay-review",
        to=link.email,
        template="lay_review_request",
        context={"link_url": url, "days": settings.LAY_REVIEW_LINK_DAYS, "reviewer_name": review.reviewer.name},
        hub=review.inquiry.hub,
        has_secret=True,
    )
