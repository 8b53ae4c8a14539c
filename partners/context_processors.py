from .permissions import partner_session_email


def partner(request):
    """The partner contact signed in in this browser (by emailed link), for the page header."""
    if not hasattr(request, "session"):  # a request built without the session middleware (error pages)
        return {"partner_email": None}
    return {"partner_email": partner_session_email(request)}
