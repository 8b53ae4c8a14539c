"""Project-wide request checks and response headers.

Small, one job each, listed in settings.MIDDLEWARE with the reason for their place in the order.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.signing import BadSignature
from django.http import Http404, HttpResponseBadRequest
from django.utils.cache import add_never_cache_headers

NUL = "\x00"


class RefuseNulCharactersMiddleware:
    """A NUL character in the address is a 404, and in the query string a 400.

    No address or filter of ours contains one, and PostgreSQL refuses a string with NUL in it
    ("A string literal cannot contain NUL characters"), so any view that looks the value up would
    otherwise fail with a 500. Form fields already refuse NUL (Django's ProhibitNullCharactersValidator);
    this covers URL parts (`<str:reference>`) and query parameters read without a form.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path:
            raise Http404("No page has this address")
        if any(NUL in key or any(NUL in value for value in values) for key, values in request.GET.lists()):
            return HttpResponseBadRequest("Bad request: the address contains a NUL character.",
                                          content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response, and no-store where it matters.

    The policies come from settings (CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY). `Cache-Control:
    no-store` goes on every response to someone signed in (a staff, submitter or partner session: any
    request that carries a session) and on every download (Content-Disposition: attachment), so a
    shared computer's cache or a proxy never keeps an inquiry, an export or an attachment.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if _is_personal(request, response):
            add_never_cache_headers(response)
        return response


def _is_personal(request, response):
    if response.get("Content-Disposition", "").lower().startswith("attachment"):
        return True
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    session = getattr(request, "session", None)
    # A session cookie means a sign-in of some kind (a partner contact's, a staff sign-in half done).
    return session is not None and not session.is_empty()


# When the session was last used, in a signed cookie rather than in the session: writing it into the
# session would save the session (three queries) on requests that otherwise only read.
LAST_SEEN_COOKIE = "last_seen"
LAST_SEEN_SALT = "hubportal.middleware.idle"


class IdleSessionTimeoutMiddleware:
    """Signs out a session left idle: SESSION_IDLE_MINUTES_STAFF for staff, SESSION_IDLE_MINUTES else.

    This is on top of the absolute limit (SESSION_COOKIE_AGE). After the idle time the session is
    flushed (a staff or submitter sign-in and a partner contact's alike) and the request goes on as
    anonymous: a page that needs a sign-in then sends the person to the right sign-in page with `next`
    kept, as it does for anyone, and the message says why. It lives here rather than in each sign-in
    flow so every kind of session idles the same way, whoever started it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.session.is_empty():
            is_staff = request.user.is_authenticated and request.user.is_verified()
            minutes = settings.SESSION_IDLE_MINUTES_STAFF if is_staff else settings.SESSION_IDLE_MINUTES
            try:
                request.get_signed_cookie(LAST_SEEN_COOKIE, salt=LAST_SEEN_SALT, max_age=60 * minutes)
            except KeyError:
                pass  # the first request of this session: the clock starts now
            except BadSignature:  # expired (SignatureExpired is one), or tampered with
                _sign_out(request, minutes=minutes)
        response = self.get_response(request)
        if not request.session.is_empty():
            response.set_signed_cookie(LAST_SEEN_COOKIE, "1", salt=LAST_SEEN_SALT, httponly=True, samesite="Lax",
                                       secure=settings.SESSION_COOKIE_SECURE)
        elif LAST_SEEN_COOKIE in request.COOKIES:
            response.delete_cookie(LAST_SEEN_COOKIE, samesite="Lax")
        return response


def _sign_out(request, *, minutes):
    was_signed_in = request.user.is_authenticated
    if was_signed_in:
        logout(request)  # flushes the session, sends user_logged_out
    else:
        request.session.flush()
    messages.info(request, f"You were signed out because you did nothing for {minutes} minutes. "
                           "Sign in again to carry on.")
