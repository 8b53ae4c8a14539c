"""The lay reviewer's grant: the only home of what a lay review link lets this browser do.

Rules: using a lay review link (its confirmation page's POST, hubportal.links rotates the session id)
grants this browser that one review request for LAY_REVIEW_SESSION_HOURS. A lay reviewer page is
handed the LayReview; without a fresh grant for the request in the URL, or once the reviewer is made
inactive, it is a 404, the same as a request that does not exist. There is no lay reviewer sign-in:
the link is the only way in, and it shows one request.
"""

from __future__ import annotations

import time
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpRequest

from intake.access_log import AccessActor
from intake.models import InquiryAccess

from .models import LayReview

GRANTS = "lay_review_grants"


def lay_review_grant(request: HttpRequest, *, review: LayReview) -> None:
    grants = request.session.get(GRANTS, {})
    grants[str(review.public_id)] = time.time()
    request.session[GRANTS] = grants


def lay_review_for(request: HttpRequest, public_id) -> LayReview:
    granted_at = request.session.get(GRANTS, {}).get(str(public_id))
    if granted_at is None or time.time() - granted_at > settings.LAY_REVIEW_SESSION_HOURS * 3600:
        raise Http404("No such review")
    review = (LayReview.objects.select_related("reviewer", "inquiry__hub", "checklist")
              .filter(public_id=public_id, reviewer__is_active=True).first())
    if review is None:
        raise Http404("No such review")
    return review


def lay_reviewer_view(view):
    """Lay reviewer pages: the view is called as view(request, review)."""

    @wraps(view)
    def wrapper(request, public_id):
        review = lay_review_for(request, public_id)
        # Who is looking, for intake's access log.
        request.access_actor = AccessActor(kind=InquiryAccess.Actor.LAY_REVIEWER,
                                           who=f"{review.reviewer.name} ({review.reviewer.email}), lay reviewer")
        return view(request, review)

    return wrapper
