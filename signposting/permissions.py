"""Per-referral grants: the only home of what an emailed referral link lets this browser do.

Rules: redeeming a referral's emailed link (its confirmation page's POST) grants this browser that one
referral, as that contact, for GRANT_SECONDS; the session id is rotated at that moment. A partner
contact signed in for their organisation (partners.permissions) may act on any referral to it. A
partner referral page is handed a ReferralActor (referral, contact); anyone else gets the partner
sign-in page, and a referral of another organisation is a 404, the same as none.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest

from hubportal import links
from intake.access_log import AccessActor
from intake.models import InquiryAccess
from partners.models import PartnerContact
from partners.permissions import partner_actor
from partners.selectors import active_contact, contacts_for_email

from .models import Referral

# The referrals this browser opened through their emailed links: {referral public_id: {contact, at}}.
GRANTS = "referral_grants"
GRANT_SECONDS = 8 * 60 * 60


@dataclass(frozen=True)
class ReferralActor:
    referral: Referral
    contact: PartnerContact
    signed_in: bool  # a partner contact signed in for the organisation (not only this referral's link)


def referral_grant(request: HttpRequest, *, referral: Referral, contact: PartnerContact) -> None:
    """This browser may act on `referral` as `contact`: called once its emailed link was used."""
    # A new session id: an id planted in this browser before the link was used gets no grant.
    request.session.cycle_key()
    grants = request.session.get(GRANTS, {})
    grants[str(referral.public_id)] = {"contact": contact.pk, "at": time.time()}
    request.session[GRANTS] = grants


def referral_grants_forget(request: HttpRequest) -> None:
    request.session.pop(GRANTS, None)


# The grants end when the partner contact signs out in this browser.
links.on_sign_out("partner", referral_grants_forget)


def referral_actor(request: HttpRequest, public_id) -> ReferralActor | None:
    """Who may act on this referral here: through the referral's emailed link, or a signed-in contact of
    the referral's partner. None when nobody is signed in here (or the person signed in is no longer an
    active contact); Http404 for a referral of another organisation, or none."""
    grant = request.session.get(GRANTS, {}).get(str(public_id))
    if grant and time.time() - grant.get("at", 0) > GRANT_SECONDS:
        grant = None
    email, partner_ids = partner_actor(request)
    if grant is None and not partner_ids:
        return None
    referral = (Referral.objects.select_related("partner", "inquiry__hub", "inquiry__submitter")
                .filter(public_id=public_id).first())
    if referral is None:
        raise Http404("No such referral")
    contact = None
    if grant:
        contact = active_contact(pk=grant["contact"], partner_id=referral.partner_id)
    if contact is None and referral.partner_id in partner_ids:
        contact = contacts_for_email(email).filter(partner_id=referral.partner_id).first()
    if contact is None:
        raise Http404("No such referral")
    return ReferralActor(referral=referral, contact=contact, signed_in=bool(partner_ids))


def partner_referral_view(view):
    """Partner referral pages: the view is called as view(request, referral, contact), with
    request.referral_actor set to the ReferralActor."""

    @wraps(view)
    def wrapper(request, public_id):
        actor = referral_actor(request, public_id)
        if actor is None:
            return redirect_to_login(request.get_full_path(), "partners:sign_in")
        request.referral_actor = actor
        # Who is looking, for intake's access log (the referral's partner is already loaded: no query).
        request.access_actor = AccessActor(
            kind=InquiryAccess.Actor.PARTNER,
            who=f"{actor.contact.name} ({actor.contact.email}), {actor.referral.partner.name}")
        return view(request, actor.referral, actor.contact)

    return wrapper
