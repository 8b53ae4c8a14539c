"""The partner contact's session, and who may use partner pages. This module is its only home: no other
module reads or writes its session key.

Rules: a partner contact signs in with an emailed link (hubportal.links, purpose partner_sign_in);
the session then holds the address the link proved, for SESSION_COOKIE_AGE. A visitor who has not
signed in as a partner contact is sent to the partner sign-in page; a signed-in contact is handed a
PartnerRequest (partner_email, partner_ids: the partners they are an active contact of) and sees only
those organisations' referrals (the views 404 anything else).
"""

from __future__ import annotations

import time
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest

from .selectors import partner_ids_for_email

SESSION_KEY = "partner_session"


class PartnerRequest(HttpRequest):
    """The request a `partner_required` view gets."""

    partner_email: str
    partner_ids: list[int]


def partner_session_start(request: HttpRequest, *, email: str) -> None:
    """Remember, in this browser's session, the contact address an emailed link proved. The caller
    (hubportal.links) has already rotated the session id."""
    request.session[SESSION_KEY] = {"email": email.lower(), "at": time.time()}


def partner_session_end(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def partner_session_email(request: HttpRequest) -> str | None:
    """The contact address signed in in this browser, or None (never signed in, or too long ago)."""
    data = request.session.get(SESSION_KEY)
    if not data or time.time() - data.get("at", 0) > settings.SESSION_COOKIE_AGE:
        return None
    return data.get("email")


def partner_actor(request: HttpRequest) -> tuple[str | None, list[int]]:
    """(address, partner ids) of the partner contact signed in here; (None, []) when there is none."""
    email = partner_session_email(request)
    return email, (partner_ids_for_email(email) if email else [])


def partner_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        email, partner_ids = partner_actor(request)
        if not partner_ids:
            return redirect_to_login(request.get_full_path(), "partners:sign_in")
        request.partner_email = email
        request.partner_ids = partner_ids
        return view(request, *args, **kwargs)

    return wrapper
