from .selectors import partner_session_email


def partner(request):
    """The partner contact signed in in this browser (by emailed link), for the page header."""
    return {"partner_email": partner_session_email(request)}
