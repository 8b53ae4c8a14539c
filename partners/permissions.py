"""Who may use partner pages: a partner contact who signed in with an emailed link in this browser.

Rules: a visitor who has not signed in as a partner contact is sent to the partner sign-in page; a
signed-in contact is given the ids of the partners they are an active contact of (request.partner_ids)
and sees only those organisations' referrals (the views 404 anything else).
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login

from .selectors import partner_ids_for_email, partner_session_email


def partner_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        email = partner_session_email(request)
        partner_ids = partner_ids_for_email(email) if email else []
        if not partner_ids:
            return redirect_to_login(request.get_full_path(), "partners:sign_in")
        request.partner_email = email
        request.partner_ids = partner_ids
        return view(request, *args, **kwargs)

    return wrapper
