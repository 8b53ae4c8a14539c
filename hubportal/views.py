"""Kernel pages: sign-in by emailed link, sign-out and the health check."""

import logging

from django.conf import settings
from django.contrib.auth import login, logout
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .forms import SignInForm
from .heartbeats import BEAT, WORKER, job_heartbeats_stale
from .services import (
    LinkRefused,
    RateLimited,
    email_link_inspect,
    sign_in_link_redeem,
    sign_in_link_request,
)

log = logging.getLogger(__name__)

AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"


def safe_next_path(request, candidate):
    """`candidate` if it is a path on this site, else "" (never an open redirect)."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) and candidate.startswith("/"):
        return candidate
    return ""


def client_ip(request):
    return request.META.get("REMOTE_ADDR") or None


# Access: anyone. Asking for a link reveals nothing about whether an address is known.
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request):
    next_path = safe_next_path(request, request.POST.get("next") or request.GET.get("next"))
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sign_in_link_request(email=form.cleaned_data["email"], next_path=next_path, ip=client_ip(request))
        except RateLimited:
            return render(request, "hubportal/sign_in_rate_limited.html", status=429)
        request.session["sign_in_email"] = form.cleaned_data["email"]
        return redirect("hubportal:sign_in_sent")
    return render(request, "hubportal/sign_in.html", {"form": form, "next": next_path})


# Access: anyone. Shows only the address this browser typed.
@never_cache
@require_GET
def sign_in_sent(request):
    email = request.session.get("sign_in_email")
    if not email:
        return redirect("hubportal:sign_in")
    return render(request, "hubportal/sign_in_sent.html", {"email": email, "minutes": settings.SIGN_IN_LINK_MINUTES})


# Access: whoever holds the link. GET only shows a button (mail scanners follow GET links);
# the POST uses the link.
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_confirm(request, token):
    try:
        if request.method == "POST":
            user, link = sign_in_link_redeem(raw_token=token)
        else:
            link = email_link_inspect(raw_token=token, purpose="sign_in")
    except LinkRefused as refused:
        return render(request, "hubportal/sign_in_link_refused.html",
                      {"reason": refused.reason, "form": SignInForm()}, status=410 if refused.reason != "unknown" else 404)
    if request.method == "GET":
        return render(request, "hubportal/sign_in_confirm.html", {"email": link.email})
    login(request, user, backend=AUTH_BACKEND)
    request.session.pop("sign_in_email", None)
    return redirect(safe_next_path(request, link.next_path) or reverse(settings.LOGIN_REDIRECT_URL))


# Access: anyone (signing out an anonymous visitor does nothing).
@require_POST
def sign_out(request):
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
