"""Reads on the directory, and who the partner contact in this browser is."""

import time

from django.conf import settings
from django.db.models import Q

from .models import Partner, PartnerContact

SESSION_KEY = "partner_sign_in"


def partner_session_start(request, *, email):
    """Remember, in this browser's session, the contact address an emailed link proved."""
    request.session.cycle_key()  # a new session id at sign-in: no fixation
    request.session[SESSION_KEY] = {"email": email.lower(), "at": time.time()}


def partner_session_end(request):
    request.session.pop(SESSION_KEY, None)


def partner_session_email(request):
    """The contact address signed in in this browser, or None (never signed in, or too long ago)."""
    data = request.session.get(SESSION_KEY)
    if not data or time.time() - data.get("at", 0) > settings.SESSION_COOKIE_AGE:
        return None
    return data.get("email")


def contacts_for_email(email):
    """The active contacts with this address at active partners (a person may be one at several)."""
    if not email:
        return PartnerContact.objects.none()
    return PartnerContact.objects.filter(email__iexact=email, is_active=True, partner__is_active=True)


def partner_ids_for_email(email):
    return list(contacts_for_email(email).values_list("partner_id", flat=True))


def partner_choices_for_hub(hub):
    """(public_id, name) of every active partner that takes this hub's referrals, by name."""
    return list(
        Partner.objects.filter(Q(serves_all_hubs=True) | Q(hubs=hub), is_active=True)
        .distinct().order_by("name").values_list("public_id", "name")
    )


def active_contact(*, pk, partner_id):
    """The contact with this id if it is still active, at this (active) partner; else None."""
    return PartnerContact.objects.filter(pk=pk, partner_id=partner_id, is_active=True,
                                         partner__is_active=True).first()


def partner_contact_receives_digest(email):
    """Whether this address gets the weekly referral digest (through any of its contact records)."""
    return PartnerContact.objects.filter(email__iexact=email.strip(), is_active=True, receives_digest=True).exists()
