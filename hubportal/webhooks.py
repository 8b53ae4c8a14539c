"""Outbound webhooks: a hub's events, posted to a Teams channel or to any HTTPS endpoint.

Data first, like the email outbox (hubportal/outbox.py): the service that changes something calls
`webhook_event_emit` inside its transaction, which writes one WebhookDelivery row per endpoint that
chose the event; after commit a Celery task gets the row's id, claims it (queued -> sending) with a
conditional UPDATE, POSTs it and marks it sent. A task delivered twice finds nothing to claim.

Retries are rows with a due time, never long countdown tasks (which Redis redelivers): a refused
attempt (429, 5xx, or a connection that never opened) puts the row back in `queued` with a later
`next_attempt_at`, doubling each time, until `retry_until` (WEBHOOK_RETRY_WINDOW_HOURS after the
event); the sweep, every minute, enqueues the rows whose attempt is due. Any other answer (4xx, a
redirect) fails the row at once. A request that may have reached the receiver without an answer
coming back (the read timed out, the connection dropped) is never sent again by itself: it is marked
failed, saying so, and a person decides on the failed-deliveries page. So nothing is sent twice by us.

What a receiver gets: the event, the hub, the inquiry's reference, its kind of help and a link to the
staff page (which needs the staff sign-in). Never a name, an address, a title or anything a
submitter wrote: a Teams channel is read by more people than the inquiry should be.

Signing (the JSON kind; Teams does not verify signatures): with the endpoint's secret,
    X-Hub-Timestamp: <unix seconds>
    X-Hub-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">
Receivers recompute it over the raw bytes, compare in constant time and refuse old timestamps
(docs/webhooks.md has a snippet). X-Hub-Delivery carries the delivery's id, the same on every
attempt, for receivers that want to drop a repeat a person sent again.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import time
from datetime import timedelta
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from .models import Hub, User, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

# --- Events ----------------------------------------------------------------------------------------

INQUIRY_SUBMITTED = "inquiry.submitted"
TRIAGE_OVERDUE = "inquiry.triage_overdue"
REFERRAL_DECLINED = "referral.declined"
# Defined now so endpoints can choose it; issue 11 (the value report) raises it when a report is
# published. Nothing raises it yet.
VALUE_REPORT_PUBLISHED = "value_report.published"
TEST = "test"

# What hub leads choose from, in this order, and the words a Teams card leads with.
EVENTS = {
    INQUIRY_SUBMITTED: "A new inquiry arrives",
    TRIAGE_OVERDUE: "An inquiry is overdue for triage",
    REFERRAL_DECLINED: "A partner declines a referral",
    VALUE_REPORT_PUBLISHED: "A value report is published",
}
HEADLINES = {
    INQUIRY_SUBMITTED: "New inquiry",
    TRIAGE_OVERDUE: "Inquiry overdue for triage",
    REFERRAL_DECLINED: "Referral declined",
    VALUE_REPORT_PUBLISHED: "Value report published",
    TEST: "Test message from the Innovation Hub Front Door",
}

SENT = "sent"
RETRY = "retry"
FAILED = "failed"
NOTHING_TO_DO = "nothing to do"

# Longest wait between two attempts, and the most a receiver's Retry-After is believed.
MAX_RETRY_DELAY = 60 * 60
# A row in `sending` this long belongs to a worker that is gone (the request times out in seconds).
STUCK_AFTER = timedelta(minutes=10)

USER_AGENT = "InnovationHubFrontDoor-Webhooks/1"


class WebhookNotResendable(Exception):
    """The delivery is not (or no longer) failed or stuck, or its endpoint was switched off."""


class EndpointInactive(Exception):
    """The endpoint was switched off."""


# --- Endpoints -------------------------------------------------------------------------------------

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def webhook_url_problem(url: str) -> str | None:
    """Why this URL cannot be an endpoint, in words for the form; None when it can.

    HTTPS only: the payload is small but it is ours, and Teams' URLs carry their own credential.
    Plain HTTP only to this machine (a receiver under test), and only where WEBHOOK_ALLOW_LOOPBACK
    is on (DEBUG and the tests). Addresses written as private or loopback IPs are refused in
    production so a hub lead cannot point the worker at the service's own network; names are not
    resolved here (a name that resolves inside the network is left to the egress firewall).
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return "Enter a web address, like https://example.org/hooks/innovation"
    if parts.username or parts.password:
        return "Enter the address without a user name or password in it"
    if not host:
        return "Enter a web address, like https://example.org/hooks/innovation"
    loopback_ok = settings.WEBHOOK_ALLOW_LOOPBACK and _is_loopback(host)
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback_ok):
        return "Enter an address that starts with https://"
    if loopback_ok:
        return None
    if host.lower() in _LOOPBACK_NAMES:
        return "Enter the address of a server outside this service"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
        return "Enter the address of a server outside this service"
    return None


@transaction.atomic
def webhook_endpoint_create(*, hub: Hub, by: User, name: str, kind: str, url: str,
                            events: list[str]) -> WebhookEndpoint:
    """Add an endpoint to a hub. Rules: a known kind, a URL `webhook_url_problem` accepts, known
    events only; a fresh random secret for signing, kept on the server."""
    kind = WebhookEndpoint.Kind(kind)
    problem = webhook_url_problem(url)
    if problem:
        raise ValueError(problem)
    unknown = set(events) - set(EVENTS)
    if unknown:
        raise ValueError(f"Unknown events: {sorted(unknown)}")
    endpoint = WebhookEndpoint.objects.create(
        hub=hub, name=name, kind=kind, url=url, events=[e for e in EVENTS if e in events],
        secret=secrets.token_hex(32), created_by=by)
    log.info("Webhook endpoint %s added to hub %s by user %s", endpoint.pk, hub.pk, by.pk)
    return endpoint


@transaction.atomic
def webhook_endpoint_deactivate(*, endpoint: WebhookEndpoint, by: User) -> None:
    """Switch an endpoint off: it gets no new events, and what is still queued for it is not sent
    (the send marks those failed, saying why). Switching off twice changes nothing the second time."""
    updated = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, deactivated_at=timezone.now())
    if not updated:
        raise EndpointInactive()
    log.info("Webhook endpoint %s switched off by user %s", endpoint.pk, by.pk)


@transaction.atomic
def webhook_endpoint_test(*, endpoint: WebhookEndpoint, by: User) -> WebhookDelivery:
    """Queue a test event to one active endpoint, sent after commit like any other."""
    if not WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).exists():
        raise EndpointInactive()
    link = settings.SITE_URL + reverse("hubportal:staff_webhooks", args=[endpoint.hub.slug])
    data = _data(hub=endpoint.hub, event=TEST, reference="", kind_of_help="", link=link)
    # Each press is a new test, so the subject is new each time.
    delivery, _ = _queue(endpoint, event=TEST, subject=f"test:{secrets.token_hex(8)}", data=data)
    return delivery


# --- Queueing --------------------------------------------------------------------------------------

def _data(*, hub, event, reference, kind_of_help, link):
    return {
        "event": event,
        "occurred_at": timezone.now().isoformat(timespec="seconds"),
        "hub": hub.name,
        "reference": reference,
        "kind_of_help": kind_of_help,
        "link": link,
    }


def _queue(endpoint, *, event, subject, data):
    now = timezone.now()
    delivery, created = WebhookDelivery.objects.get_or_create(
        key=f"{endpoint.pk}:{event}:{subject}"[:200],
        defaults={"endpoint": endpoint, "hub_id": endpoint.hub_id, "event": event, "payload": data,
                  "next_attempt_at": now,
                  "retry_until": now + timedelta(hours=settings.WEBHOOK_RETRY_WINDOW_HOURS)},
    )
    if created:
        transaction.on_commit(lambda: webhook_delivery_enqueue(delivery_id=delivery.pk))
    return delivery, created


def webhook_event_emit(*, hub: Hub, event: str, subject: str, reference: str, kind_of_help: str,
                       link: str) -> list[WebhookDelivery]:
    """Queue `event` about `subject` ("<app>.<model>:<pk>") to each of the hub's active endpoints that
    chose it; call inside the transaction that causes the event.

    Rules: only the fields a receiver may see are taken (reference, kind of help label, staff link;
    the hub's name is added); the same event about the same subject is queued once per endpoint,
    however often it is emitted; the sends are enqueued only when the transaction commits.
    """
    if event not in EVENTS:
        raise ValueError(f"Unknown webhook event {event!r}")
    endpoints = [e for e in WebhookEndpoint.objects.filter(hub=hub, is_active=True) if event in e.events]
    if not endpoints:
        return []
    data = _data(hub=hub, event=event, reference=reference, kind_of_help=kind_of_help, link=link)
    return [_queue(endpoint, event=event, subject=subject, data=data)[0] for endpoint in endpoints]


def webhook_delivery_enqueue(*, delivery_id: int) -> None:
    """Hand a row to Celery. A broker outage is logged, not raised: the sweep re-drives the row."""
    from .tasks import send_webhook_delivery

    try:
        send_webhook_delivery.delay(delivery_id)
    except Exception:  # noqa: BLE001 - any broker failure: the row stays queued for the sweep
        log.warning("Could not enqueue webhook delivery %s; the sweep will send it", delivery_id, exc_info=True)


def webhook_deliveries_redrive(*, now=None, limit=1000) -> int:
    """Enqueue every queued row whose attempt is due (a retry's time came, or Redis was down at
    commit). Safe to run at any time and in parallel: the send claims each row before sending."""
    now = now or timezone.now()
    ids = list(WebhookDelivery.objects.filter(status=WebhookDelivery.Status.QUEUED, next_attempt_at__lte=now)
               .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    for delivery_id in ids:
        webhook_delivery_enqueue(delivery_id=delivery_id)
    return len(ids)


# --- The request -----------------------------------------------------------------------------------

def webhook_body(delivery: WebhookDelivery) -> dict:
    """What the receiver gets: the JSON kind's body, or a Teams message carrying an Adaptive Card."""
    data = {"id": str(delivery.public_id), **delivery.payload}
    if delivery.endpoint.kind == WebhookEndpoint.Kind.TEAMS:
        return teams_message(data)
    return data


def teams_message(data: dict) -> dict:
    """A Teams incoming-webhook message: one Adaptive Card (1.4) with the facts and a link."""
    facts = [{"title": "Hub", "value": data["hub"]}]
    if data.get("reference"):
        facts.append({"title": "Reference", "value": data["reference"]})
    if data.get("kind_of_help"):
        facts.append({"title": "Kind of help", "value": data["kind_of_help"]})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": HEADLINES.get(data["event"], data["event"]), "weight": "Bolder",
             "size": "Medium", "wrap": True},
            {"type": "FactSet", "facts": facts},
        ],
        "actions": [{"type": "Action.OpenUrl", "title": "Open in the Front Door", "url": data["link"]}],
    }
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 with the endpoint's secret over b"<timestamp>." + body."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_request(delivery: WebhookDelivery, *, now: float | None = None) -> tuple[bytes, dict]:
    """The body bytes and headers of one attempt. The JSON kind is signed; the timestamp is the
    attempt's, so a receiver can refuse a replay of an old request."""
    body = json.dumps(webhook_body(delivery), separators=(",", ":"), sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "X-Hub-Delivery": str(delivery.public_id), "X-Hub-Event": delivery.event}
    if delivery.endpoint.kind == WebhookEndpoint.Kind.JSON:
        timestamp = str(int(now if now is not None else time.time()))
        headers["X-Hub-Timestamp"] = timestamp
        headers["X-Hub-Signature"] = webhook_signature(secret=delivery.endpoint.secret, timestamp=timestamp,
                                                       body=body)
    return body, headers


def webhook_retry_delay_seconds(attempts: int) -> int:
    """Exponential backoff from WEBHOOK_RETRY_DELAY, capped at an hour."""
    return min(settings.WEBHOOK_RETRY_DELAY * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY)


def _never_reached(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the receiver: the connection never opened."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.exceptions.SSLError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        # NewConnectionError covers refused connections and names that do not resolve.
        return isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError)
    return False


def _retry_after(response) -> int | None:
    value = response.headers.get("Retry-After", "")
    return min(int(value), MAX_RETRY_DELAY) if value.isdigit() else None


def _finish(delivery, **fields):
    # Only the attempt that claimed the row writes its outcome.
    WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDelivery.Status.SENDING).update(**fields)


def _retry_or_fail(delivery, *, now, error, status_code=None, retry_after=None):
    next_at = now + timedelta(seconds=retry_after or webhook_retry_delay_seconds(delivery.attempts))
    if next_at > delivery.retry_until:
        hours = settings.WEBHOOK_RETRY_WINDOW_HOURS
        _finish(delivery, status=WebhookDelivery.Status.FAILED, last_status_code=status_code,
                last_error=f"{error}. Gave up after {delivery.attempts} attempts: retries stop {hours} "
                           f"hours after the event"[:2000])
        log.warning("Webhook delivery %s failed for good: %s", delivery.pk, error)
        return FAILED
    _finish(delivery, status=WebhookDelivery.Status.QUEUED, next_attempt_at=next_at, last_status_code=status_code,
            last_error=error[:2000])
    log.info("Webhook delivery %s refused (%s); next attempt at %s", delivery.pk, error, next_at)
    return RETRY


def webhook_delivery_send(*, delivery_id: int) -> str:
    """Make one attempt at one due delivery. Returns SENT, RETRY, FAILED or NOTHING_TO_DO.

    Rules: claim first (queued and due -> sending), so two workers, or a task delivered twice, send
    once; 2xx is sent; 429, 5xx and a connection that never opened are retried with backoff until
    `retry_until` (a 429's Retry-After is honoured, up to an hour); any other answer fails at once;
    a request that may have arrived without an answer (read timeout, connection dropped) fails at
    once and is never repeated by itself; an endpoint switched off meanwhile fails the row.
    """
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.QUEUED, next_attempt_at__lte=now,
    ).update(status=WebhookDelivery.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    if not claimed:
        return NOTHING_TO_DO
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        _finish(delivery, status=WebhookDelivery.Status.FAILED,
                last_error="Not sent: the endpoint was switched off before it went")
        return FAILED
    body, headers = webhook_request(delivery)
    try:
        # Redirects are not followed: the receiver is the URL a hub lead typed, nowhere else.
        response = requests.post(endpoint.url, data=body, headers=headers, allow_redirects=False,
                                 timeout=(settings.WEBHOOK_CONNECT_TIMEOUT, settings.WEBHOOK_TIMEOUT))
    except requests.RequestException as exc:
        if _never_reached(exc):
            return _retry_or_fail(delivery, now=now, error=f"Could not connect: {type(exc).__name__}")
        if isinstance(exc, requests.exceptions.SSLError):
            error = f"The receiver's certificate was refused: {exc}"
        else:
            error = (f"The receiver may have got it: no answer came back ({type(exc).__name__}). "
                     "Not sent again by itself; check with the receiver before sending it again")
        _finish(delivery, status=WebhookDelivery.Status.FAILED, last_error=error[:2000], last_status_code=None)
        log.warning("Webhook delivery %s: %s", delivery.pk, error)
        return FAILED
    code = response.status_code
    if 200 <= code < 300:
        _finish(delivery, status=WebhookDelivery.Status.SENT, sent_at=timezone.now(), last_status_code=code,
                last_error="")
        return SENT
    answer = f"The receiver answered {code} {response.reason or ''}".strip()
    if code == 429 or code >= 500:
        return _retry_or_fail(delivery, now=now, error=answer, status_code=code,
                              retry_after=_retry_after(response) if code == 429 else None)
    _finish(delivery, status=WebhookDelivery.Status.FAILED, last_status_code=code,
            last_error=f"{answer}: refused, not retried"[:2000])
    log.warning("Webhook delivery %s refused for good: %s", delivery.pk, answer)
    return FAILED


# --- Deliveries that need a person -----------------------------------------------------------------

def _needing_attention(now):
    return (Q(status=WebhookDelivery.Status.FAILED)
            | Q(status=WebhookDelivery.Status.SENDING, claimed_at__lt=now - STUCK_AFTER))


def webhook_deliveries_needing_attention(*, hub: Hub, now=None):
    """This hub's failed deliveries and those stuck in `sending`, newest first."""
    now = now or timezone.now()
    return (WebhookDelivery.objects.filter(hub=hub).filter(_needing_attention(now))
            .select_related("endpoint").order_by("-created_at", "-pk"))


@transaction.atomic
def webhook_delivery_resend(*, hub: Hub, delivery_id: int, by: User, now=None) -> None:
    """Queue a failed (or stuck) delivery of this hub again, with a fresh retry window; sent after
    commit. Rules: its endpoint must still be on; two people pressing at once send it once (the
    conditional UPDATE lets one through, the other is told)."""
    now = now or timezone.now()
    updated = (WebhookDelivery.objects.filter(pk=delivery_id, hub=hub, endpoint__is_active=True)
               .filter(_needing_attention(now))
               .update(status=WebhookDelivery.Status.QUEUED, attempts=0, claimed_at=None, next_attempt_at=now,
                       retry_until=now + timedelta(hours=settings.WEBHOOK_RETRY_WINDOW_HOURS)))
    if not updated:
        raise WebhookNotResendable()
    log.info("Webhook delivery %s queued again by user %s", delivery_id, by.pk)
    transaction.on_commit(lambda: webhook_delivery_enqueue(delivery_id=delivery_id))
