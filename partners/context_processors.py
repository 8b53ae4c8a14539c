from .permissions import partner_session_email


def partner(request):
    """The partner contact acting in this browser, for the page header: signed in at the partner sign-in
    page, or here through a referral's emailed link (signposting's decorator hands the view a
    `request.referral_actor`). Either way they see who they are, their referrals and "Sign out"."""
    if not hasattr(request, "session"):  # a request built without the session middleware (error pages)
        return {"partner_email": None}
    email = partner_session_email(request)
    actor = getattr(request, "referral_actor", None)
    if email is None and actor is not None:
        email = actor.contact.email
    return {"partner_email": email}
