"""The emailed-link sign-in: one flow, parameterised by purpose, for every actor who signs in by link.

Submitters, partner contacts and staff invitations (and any later emailed-link actor, such as lay
reviewers) each register a `LinkFlow` and mount the views built here. So every such actor gets:

- a request form -> "check your email" page (the answer is the same whether or not the address is
  known), limited per address first and then, much more loosely and with a log line, per IP address;
- a link that is single use, expiring, stored as a SHA-256 only, bound to one purpose and one person
  (and, where the purpose needs it, one object: `subject_ref`);
- a GET confirmation page that uses nothing (mail scanners follow links), then a POST that uses the
  link, rotates the session id and starts the actor's session;
- the same refusal pages and status codes: 400 for a bad address, 429 when limited, 404 for an
  unknown link, 410 for an expired or used one, 403 for a link whose person may not sign in this way;
- a structured `hubportal.auth` record of each step, never with the token.

The token is in the URL path (a link has to work from an email): hubportal.logs redacts it from
Django's and gunicorn's logs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from .auth import auth_event, client_ip
from .models import EmailLink
from .services import (
    LinkRefused,
    RateLimited,
    email_link_check_rate,
    email_link_create,
    email_link_inspect,
    email_link_redeem,
)

# The address this browser typed, per purpose, for the "check your email" page: {purpose: email}.
SENT_SESSION_KEY = "email_link_sent"

REFUSAL_STATUS = {"unknown": 404, "expired": 410, "used": 410, "refused": 403}


@dataclass(frozen=True)
class LinkFlow:
    """One purpose of emailed link and what happens around it.

    accept(link) -> actor: called inside the redeeming transaction once the link is used; it may
    raise LinkRefused (the link then stays unused, the transaction rolls back) and returns what
    `start` needs (a User, an address...).
    start(request, link, actor) -> response: starts the actor's session (the session id has already
    been rotated) and says where to go.
    send(link, raw_token): queues the email. may_email(email): whether an address that asked is
    emailed (a row is written either way, so unknown addresses count towards the limits too).
    """

    purpose: str
    actor: str
    templates: str                        # "hubportal/sign_in" -> hubportal/sign_in{,_sent,_confirm,...}.html
    accept: Callable[[EmailLink], Any]
    start: Callable[[HttpRequest, EmailLink, Any], HttpResponse]
    send: Callable[..., Any]
    form_class: type[forms.Form] | None = None   # None: links only an administrator sends (invitations)
    request_url: str = ""                 # URL name of the request form
    sent_url: str = ""                    # URL name of the "check your email" page
    may_email: Callable[[str], bool] = field(default=lambda email: True)
    minutes: Callable[[], int] = field(default=lambda: settings.SIGN_IN_LINK_MINUTES)

    def template(self, page: str = "") -> str:
        return f"{self.templates}{'_' + page if page else ''}.html"


FLOWS: dict[str, LinkFlow] = {}


def register(flow: LinkFlow) -> LinkFlow:
    """Add a purpose to the registry (one flow per purpose; re-registering the same one is harmless)."""
    FLOWS[flow.purpose] = flow
    return flow


def flow_for(purpose: str) -> LinkFlow:
    return FLOWS[purpose]


# --- Services --------------------------------------------------------------------------------------

@transaction.atomic
def email_link_request(*, purpose: str, email: str, next_path: str = "", ip: str | None = None,
                       subject_ref: str = "") -> EmailLink:
    """Someone asked for a link of this purpose for `email`.

    Rules: per-address and then per-IP limits (RateLimited); a link row is written whatever the
    address, so the answer (and the limits) are the same for known and unknown addresses; only an
    address the flow may email is emailed, in this transaction (the outbox sends it after commit).
    """
    flow = flow_for(purpose)
    email = email.strip().lower()
    try:
        email_link_check_rate(purpose=purpose, email=email, ip=ip)
    except RateLimited:
        auth_event("link_requested", actor=flow.actor, outcome="rate_limited", email=email, ip=ip)
        raise
    issued = email_link_create(purpose=purpose, email=email, next_path=next_path, subject_ref=subject_ref,
                               ip=ip, minutes=flow.minutes())
    emailed = flow.may_email(email)
    if emailed:
        flow.send(link=issued.link, raw_token=issued.raw_token)
    auth_event("link_requested", actor=flow.actor, outcome="emailed" if emailed else "not_emailed",
               email=email, ip=ip, link_id=issued.link.pk)
    return issued.link


@transaction.atomic
def email_link_use(*, purpose: str, raw_token: str) -> tuple[EmailLink, Any]:
    """Use a link once and return (link, actor). Two tabs, or a scanner and a person, may race: the
    conditional UPDATE in email_link_redeem lets one through. A refusal by the flow rolls back."""
    flow = flow_for(purpose)
    link = email_link_redeem(raw_token=raw_token, purpose=purpose)
    return link, flow.accept(link)


# --- Views -----------------------------------------------------------------------------------------

def safe_next_path(request: HttpRequest, candidate: str | None) -> str:
    """`candidate` if it is a path on this site, else "" (never an open redirect)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    if candidate and candidate.startswith("/") and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return ""


def _refused(request: HttpRequest, flow: LinkFlow, refused: LinkRefused, *, step: str) -> HttpResponse:
    auth_event("link_refused", actor=flow.actor, outcome=refused.reason, request=request, step=step)
    context = {"reason": refused.reason, "form": flow.form_class() if flow.form_class else None}
    return render(request, flow.template("link_refused"), context, status=REFUSAL_STATUS.get(refused.reason, 404))


def request_view(flow: LinkFlow):
    """The page where a person types their address and asks for a link."""
    assert flow.form_class is not None and flow.request_url and flow.sent_url, f"{flow.purpose} links are not asked for"
    form_class = flow.form_class

    # Access: anyone. The answer is the same whether or not the address is known.
    @never_cache
    @require_http_methods(["GET", "POST"])
    def view(request):
        next_path = safe_next_path(request, request.POST.get("next") or request.GET.get("next"))
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            email = form.cleaned_data["email"]
            try:
                email_link_request(purpose=flow.purpose, email=email, next_path=next_path, ip=client_ip(request))
            except RateLimited:
                return render(request, flow.template("rate_limited"), status=429)
            request.session[SENT_SESSION_KEY] = {**request.session.get(SENT_SESSION_KEY, {}), flow.purpose: email}
            return redirect(flow.sent_url)
        return render(request, flow.template(), {"form": form, "next": next_path},
                      status=400 if form.errors else 200)

    return view


def sent_view(flow: LinkFlow):
    # Access: anyone. Shows only the address this browser typed.
    @never_cache
    @require_GET
    def view(request):
        email = request.session.get(SENT_SESSION_KEY, {}).get(flow.purpose)
        if not email:
            return redirect(flow.request_url)
        return render(request, flow.template("sent"), {"email": email, "minutes": flow.minutes()})

    return view


def confirm_view(flow: LinkFlow):
    """GET shows a button and uses nothing (mail scanners follow GET links); the POST uses the link."""

    # Access: whoever holds the link.
    @never_cache
    @require_http_methods(["GET", "POST"])
    def view(request, token):
        if request.method == "GET":
            try:
                link = email_link_inspect(raw_token=token, purpose=flow.purpose)
            except LinkRefused as refused:
                return _refused(request, flow, refused, step="open")
            return render(request, flow.template("confirm"), {"email": link.email})
        try:
            link, actor = email_link_use(purpose=flow.purpose, raw_token=token)
        except LinkRefused as refused:
            return _refused(request, flow, refused, step="use")
        # A new session id whoever signs in: a session id planted before the link was used is worthless.
        request.session.cycle_key()
        sent = request.session.get(SENT_SESSION_KEY, {})
        if flow.purpose in sent:
            request.session[SENT_SESSION_KEY] = {k: v for k, v in sent.items() if k != flow.purpose}
        auth_event("link_redeemed", actor=flow.actor, outcome="success", request=request, email=link.email,
                   user=actor if hasattr(actor, "pk") else None, link_id=link.pk)
        return flow.start(request, link, actor)

    return view


# --- Ending an actor's session ---------------------------------------------------------------------

# Session data that other apps keep for an actor and that must end with that actor's session, e.g.
# signposting's per-referral grants end when a partner contact signs out. Each app registers a
# function that forgets its own keys, so no app names another app's session key.
_SIGN_OUT_HOOKS: dict[str, list[Callable[[HttpRequest], None]]] = {}


def on_sign_out(actor: str, forget: Callable[[HttpRequest], None]) -> None:
    hooks = _SIGN_OUT_HOOKS.setdefault(actor, [])
    if forget not in hooks:
        hooks.append(forget)


def actor_sign_out(request: HttpRequest, actor: str) -> None:
    """Run every app's `forget` for this kind of actor (their own session keys only)."""
    for forget in _SIGN_OUT_HOOKS.get(actor, []):
        forget(request)
