"""Who is asking, and the audit trail of authentication: one helper for the client's address (every
limit uses it) and one for the structured record of each sign-in event (logger `hubportal.auth`).

Records carry no secret: never a token, password or code, and an address only as a keyed hash
(`email_hash`), so the log can link one person's events without holding their address.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest

log = logging.getLogger("hubportal.auth")


def _valid_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The address of the person's browser.

    With TRUSTED_PROXY_COUNT = 0 this is REMOTE_ADDR. Behind N trusted proxies it is the Nth entry of
    X-Forwarded-For counted from the right: each proxy appends the address it saw, so only the last N
    entries were written by our proxies; anything left of them was typed by the client and could be
    anything (a per-IP limit keyed on it would be trivial to dodge). A header shorter than N means
    the request did not come through all our proxies: REMOTE_ADDR is then the honest answer.
    """
    remote = _valid_ip(request.META.get("REMOTE_ADDR"))
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < count:
        return remote
    return _valid_ip(hops[-count]) or remote


def email_hash(email: str | None) -> str | None:
    """A keyed hash of an address: the same person gives the same value, the log gives no address."""
    if not email:
        return None
    digest = hmac.new(settings.SECRET_KEY.encode(), email.strip().lower().encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def auth_event(event: str, *, actor: str, outcome: str, request: HttpRequest | None = None, user: Any = None,
               email: str | None = None, ip: str | None = None, level: int = logging.INFO,
               **fields: Any) -> dict[str, Any]:
    """Log one authentication event as a structured record and return its fields.

    event: what happened ("link_requested", "link_redeemed", "link_refused", "sign_in", "password",
    "totp", "lockout", "ip_limit_reached", "staff_invited", "device_reset"...); actor: "submitter",
    "partner", "staff", "referral_link"...; outcome: "success", "failure", "refused", "rate_limited"...
    Extra fields must be JSON-friendly and never secret.
    """
    record = {
        "event": event,
        "actor_kind": actor,
        "outcome": outcome,
        "user_id": getattr(user, "pk", None),
        "email_hash": email_hash(email if email is not None else getattr(user, "email", None)),
        "ip": ip if ip is not None else (client_ip(request) if request is not None else None),
        **fields,
    }
    log.log(level, "auth event=%s actor=%s outcome=%s", event, actor, outcome, extra=record)
    return record
