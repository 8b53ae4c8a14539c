"""Read-only API tokens: the one home of the API-token actor (an ICS's BI tool, not a person's session).

Services (writes) and the decorator every API view goes through. Rules:
- A token belongs to one hub and reads only that hub's figures; a hub lead makes and revokes them.
- The raw token is returned once by `api_token_create` and never stored (only its SHA-256).
- It is sent only as `Authorization: Bearer <token>`. A token in the query string is refused and
  never looked up, because addresses end up in server and proxy logs.
- Wrong, expired or revoked: 401 with a JSON body and `WWW-Authenticate` (RFC 6750). A good token
  of another hub: 404, the same as a hub that does not exist, so nothing says which hubs exist.
- Every creation and revocation is an ApiTokenEvent row; so is a use, at most once every
  USE_RECORDED_EVERY per token (see `api_token_use`), and every use is logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import JsonResponse
from django.utils import timezone

from .models import ApiToken, ApiTokenEvent, Hub, User, hash_token

log = logging.getLogger(__name__)

# A BI refresh pages through a few requests in a few seconds; recording each would write a row per
# request. At most one write (last_used_at and an audit row) per token in this time keeps reads cheap.
USE_RECORDED_EVERY = timedelta(minutes=5)

# Query-string names a client might put a token under; their presence is refused outright.
QUERY_TOKEN_NAMES = ("access_token", "token", "api_key", "apikey", "key")


class ApiTokenRefused(Exception):
    """A token that cannot be used. `reason` is one of: unknown, expired, revoked."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ApiTokenNotRevocable(Exception):
    """Revoked already (two hub leads pressed at once), or not this hub's token."""


@dataclass(frozen=True)
class IssuedApiToken:
    token: ApiToken
    raw_token: str


@transaction.atomic
def api_token_create(*, hub: Hub, name: str, days: int, by: User, ip: str | None = None) -> IssuedApiToken:
    """Make a token for the hub's figures, lasting `days` (1 to API_TOKEN_MAX_DAYS).

    Rules: returns the raw token, which is shown once and never stored; writes a `created` event.
    """
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValueError(f"days must be between 1 and {settings.API_TOKEN_MAX_DAYS}")
    raw = ApiToken.new_token()
    now = timezone.now()
    token = ApiToken.objects.create(
        hub=hub, name=name.strip(), prefix=raw[:len(ApiToken.PREFIX) + 6], token_hash=hash_token(raw),
        created_by=by, created_at=now, expires_at=now + timedelta(days=days))
    ApiTokenEvent.objects.create(token=token, kind=ApiTokenEvent.Kind.CREATED, by=by, ip=ip, at=now)
    log.info("API token %s (%s) created for hub %s by user %s", token.pk, token.prefix, hub.slug, by.pk)
    return IssuedApiToken(token=token, raw_token=raw)


@transaction.atomic
def api_token_revoke(*, hub: Hub, public_id, by: User, ip: str | None = None) -> ApiToken:
    """Revoke one of the hub's tokens at once: the next request with it gets 401.

    Rules: only a token of this hub that is not revoked yet; two leads pressing at once revoke it
    once (the conditional UPDATE lets one through, the other is told); writes a `revoked` event.
    """
    now = timezone.now()
    updated = ApiToken.objects.filter(hub=hub, public_id=public_id, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=by)
    if not updated:
        raise ApiTokenNotRevocable()
    token = ApiToken.objects.get(hub=hub, public_id=public_id)
    ApiTokenEvent.objects.create(token=token, kind=ApiTokenEvent.Kind.REVOKED, by=by, ip=ip, at=now)
    log.info("API token %s (%s) of hub %s revoked by user %s", token.pk, token.prefix, hub.slug, by.pk)
    return token


def api_token_use(*, raw_token: str, ip: str | None = None, path: str = "") -> ApiToken:
    """The token behind a raw token, recording its use; raises ApiTokenRefused saying why not.

    Rules: an unknown, expired or revoked token is refused. A use sets last_used_at and writes a
    `used` event only when the last one recorded is older than USE_RECORDED_EVERY: one conditional
    UPDATE decides, so concurrent requests record it once and most requests write nothing.
    """
    token = ApiToken.objects.select_related("hub").filter(token_hash=hash_token(raw_token)).first()
    if token is None:
        raise ApiTokenRefused("unknown")
    if token.is_revoked:
        raise ApiTokenRefused("revoked")
    if token.is_expired:
        raise ApiTokenRefused("expired")
    now = timezone.now()
    recorded = 0
    # The row just read says whether a use is due; only then is the UPDATE sent, still conditional,
    # since concurrent requests may all have read the same old time.
    if token.last_used_at is None or token.last_used_at < now - USE_RECORDED_EVERY:
        recorded = ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - USE_RECORDED_EVERY)).update(last_used_at=now)
    if recorded:
        token.last_used_at = now
        ApiTokenEvent.objects.create(token=token, kind=ApiTokenEvent.Kind.USED, ip=ip, detail=path[:300], at=now)
    log.info("API token %s (%s) of hub %s used for %s from %s", token.pk, token.prefix, token.hub.slug, path, ip)
    return token


def hub_api_tokens(hub: Hub):
    """The hub's tokens, newest first, with who made and revoked them (one query)."""
    return ApiToken.objects.filter(hub=hub).select_related("created_by", "revoked_by")


# --- The API-token actor --------------------------------------------------------------------------

def api_error(status: int, message: str, **extra) -> JsonResponse:
    """An API refusal as JSON: {"error": message, ...}."""
    response = JsonResponse({"error": message, **extra}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _unauthorised(message: str, error: str | None = None) -> JsonResponse:
    response = api_error(401, message)
    # RFC 6750 section 3: no error code when no token was sent, invalid_token when it was wrong.
    challenge = 'Bearer realm="api"'
    if error:
        challenge += f', error="{error}", error_description="{message}"'
    response["WWW-Authenticate"] = challenge
    return response


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def api_token_view(view):
    """An API view of one hub: called as view(request, token, ...) for the hub in the URL.

    No session counts here, not even a hub lead's: only the Authorization header.
    """

    @wraps(view)
    def wrapper(request, hub_slug, *args, **kwargs):
        if any(name in request.GET for name in QUERY_TOKEN_NAMES):
            return _unauthorised("Send the token in the Authorization header (Authorization: Bearer "
                                 "<token>), never in the address: addresses are written to logs. "
                                 "Revoke this token and make a new one.", "invalid_request")
        scheme, _, raw = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return _unauthorised("This API needs an API token: Authorization: Bearer <token>")
        try:
            token = api_token_use(raw_token=raw.strip(), ip=_client_ip(request), path=request.path)
        except ApiTokenRefused as refused:
            message = {"unknown": "The API token is not recognised",
                       "expired": "The API token has expired: a hub lead can make a new one",
                       "revoked": "The API token has been revoked"}[refused.reason]
            return _unauthorised(message, "invalid_token")
        if token.hub.slug != hub_slug or not token.hub.is_active:
            return api_error(404, "No such hub for this token")
        request.api_token = token
        response = view(request, token, *args, **kwargs)
        # Figures for one hub, to one holder of a token: never kept by a shared cache.
        response["Cache-Control"] = "private, no-store"
        response["Vary"] = "Authorization"
        return response

    return wrapper
