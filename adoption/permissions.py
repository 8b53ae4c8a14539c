"""The sponsor's grant: the only home of what an emailed benefit-actuals link lets this browser do.

Rules: using the link (its confirmation page's POST, hubportal.links) grants this browser that one
follow-up, as the address the link was sent to, for GRANT_SECONDS; the session id was rotated at that
moment. Anyone else gets 404 on the actuals page, the same as for a follow-up that does not exist.
"""

from __future__ import annotations

import time

from django.http import Http404, HttpRequest

from .models import BenefitFollowUp

GRANTS = "benefit_grants"
GRANT_SECONDS = 8 * 60 * 60


def follow_up_grant(request: HttpRequest, *, follow_up: BenefitFollowUp, email: str) -> None:
    grants = request.session.get(GRANTS, {})
    grants[str(follow_up.public_id)] = {"email": email, "at": time.time()}
    request.session[GRANTS] = grants


def follow_up_granted(request: HttpRequest, public_id) -> tuple[BenefitFollowUp, str]:
    """The follow-up and the sponsor's address this browser holds a grant for, else Http404."""
    grant = request.session.get(GRANTS, {}).get(str(public_id))
    if not grant or time.time() - grant.get("at", 0) > GRANT_SECONDS:
        raise Http404("No such follow-up")
    follow_up = (BenefitFollowUp.objects.select_related("case__inquiry", "case__hub")
                 .filter(public_id=public_id).first())
    if follow_up is None:
        raise Http404("No such follow-up")
    return follow_up, grant["email"]
