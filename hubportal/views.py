"""Kernel pages: sign-in by emailed link, sign-out and the health check."""

import logging

from django.conf import settings
from django.contrib.auth import login, logout
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import emails, links
from .auth import auth_event
from .auth import client_ip as client_ip  # noqa: PLC0414 - one helper for every limit; re-exported
from .forms import SignInForm
from .heartbeats import BEAT, WORKER, job_heartbeats_stale
from .links import safe_next_path as safe_next_path  # noqa: PLC0414 - re-exported for older imports
from .models import EmailLink, User
from .permissions import is_staff_account
from .services import LinkRefused

log = logging.getLogger(__name__)

AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _submitter_accept(link):
    """The person a submitter's sign-in link signs in: made now on their first visit.

    A staff member's address is refused: a session made from an emailed link alone must never be
    the session of someone whose pages need a second factor (they sign in at staff sign-in, and
    their submitter pages work in that session too)."""
    user = User.objects.filter(email__iexact=link.email).first()
    if user is None:
        user = User.objects.create_user(link.email)
    if not user.is_active:
        raise LinkRefused("unknown")
    if is_staff_account(user):
        raise LinkRefused("refused")
    return user


def _submitter_start(request, link, user):
    login(request, user, backend=AUTH_BACKEND)
    auth_event("sign_in", actor="submitter", outcome="success", request=request, user=user)
    return redirect(safe_next_path(request, link.next_path) or reverse(settings.LOGIN_REDIRECT_URL))


SUBMITTER_FLOW = links.register(links.LinkFlow(
    purpose=EmailLink.Purpose.SIGN_IN, actor="submitter", templates="hubportal/sign_in",
    form_class=SignInForm, request_url="hubportal:sign_in", sent_url="hubportal:sign_in_sent",
    accept=_submitter_accept, start=_submitter_start, send=emails.sign_in_link,
))

# Access: anyone; asking for a link reveals nothing about whether an address is known.
sign_in = links.request_view(SUBMITTER_FLOW)
# Access: anyone; shows only the address this browser typed.
sign_in_sent = links.sent_view(SUBMITTER_FLOW)
# Access: whoever holds the link. GET shows a button; the POST uses the link.
sign_in_confirm = links.confirm_view(SUBMITTER_FLOW)


# Access: anyone (signing out an anonymous visitor does nothing).
@require_POST
def sign_out(request):
    if request.user.is_authenticated:
        auth_event("sign_out", actor="person", outcome="success", request=request, user=request.user)
    logout(request)
    return render(request, "hubportal/signed_out.html")


def _broker_reachable():
    from .celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        log.warning("Health check: broker unreachable", exc_info=True)
        return False


# Access: anyone, without a login (load balancers). Says only whether each part is reachable or
# alive (worker and beat by their heartbeats, hubportal/heartbeats.py).
@never_cache
@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = True
    except Exception:  # noqa: BLE001
        log.warning("Health check: database unreachable", exc_info=True)
        database = False
    broker = _broker_reachable()
    stale = job_heartbeats_stale() if database else {WORKER: True, BEAT: True}
    worker, beat = not stale[WORKER], not stale[BEAT]
    body = {"status": "ok" if database and broker and worker and beat else ("degraded" if database else "down"),
            "database": database, "broker": broker, "worker": worker, "beat": beat}
    # The web tier can still take submissions without the broker, a worker or beat (the outbox
    # waits and the sweep catches up), so only a database outage makes this instance unhealthy
    # (503, and the load balancer takes it out). "degraded" is for monitoring to alert on: taking
    # healthy web instances out because a worker died would turn a mail delay into an outage.
    return JsonResponse(body, status=200 if database else 503)
