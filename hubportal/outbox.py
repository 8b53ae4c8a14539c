"""Outbound email, data first.

Every email is an OutboundEmail row written in the transaction that causes it. After commit, a
Celery task gets the row's id, claims it (queued -> sending) with a conditional UPDATE, sends it and
marks it sent. A task that finds nothing to claim returns, so a task delivered twice sends once.
If the broker is down at commit, the row stays queued and the sweep enqueues it again later.
"""

import hashlib
import logging
import smtplib
import traceback
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.template.loader import render_to_string
from django.utils import timezone

from .models import OutboundEmail

log = logging.getLogger(__name__)

SENT = "sent"
RETRY = "retry"
FAILED = "failed"
NOTHING_TO_DO = "nothing to do"
UNKNOWN = "unknown"


# Emails a person is waiting for right now (a sign-in link, an invitation): they go on their own
# queue, which the worker takes from first, so they never wait behind a backlog of notifications.
URGENT_QUEUE = "urgent"
NORMAL_QUEUE = "celery"  # Celery's default queue: everything else
URGENT_TEMPLATES = frozenset({"sign_in_link", "partner_sign_in_link", "referral_link"})


def outbound_email_is_urgent(template: str) -> bool:
    """True for the emails a person waits on: any kind of emailed sign-in link, and invitations.

    By template name, so a new sign-in flow (`..._sign_in_link`) or invitation is urgent without
    its sender having to say so.
    """
    return template in URGENT_TEMPLATES or template.endswith("sign_in_link") or "invitation" in template


def outbound_email_queue_name(template: str) -> str:
    return URGENT_QUEUE if outbound_email_is_urgent(template) else NORMAL_QUEUE


def outbound_email_queue(*, key, to, template, context, hub=None, has_secret=False, enqueue=True, is_new_key=False):
    """Queue one email; call inside the transaction that causes it.

    Rules: the same key is queued once (a second call returns the existing row and enqueues
    nothing); the send is enqueued only when the surrounding transaction commits, on the urgent
    queue for sign-in links and invitations (outbound_email_is_urgent). With enqueue=False the
    caller enqueues it later (outbound_email_enqueue) once it has completed the row's context after
    commit (intake's acknowledgement adds its signposting); the row is still the promise: if the
    caller never does, the sweep (outbound_email_requeue_stale) sends it as it stands.
    is_new_key=True: the caller's own lock makes the key new (a draft is sent once, under its row
    lock), so the row is inserted without a savepoint (two statements fewer); were the key there after
    all, the unique key fails the caller's whole transaction, and the email is still queued once.
    """
    if is_new_key:
        email, created = OutboundEmail.objects.create(
            key=key, to=to, template=template, context=context, hub=hub, has_secret=has_secret), True
    else:
        email, created = _outbound_email_create_or_get(
            key=key, to=to, template=template, context=context, hub=hub, has_secret=has_secret)
    if created and enqueue:
        transaction.on_commit(lambda: outbound_email_enqueue(email_id=email.pk, template=template))
    return email


def _outbound_email_create_or_get(*, key, **fields):
    """get_or_create the other way round: a key is nearly always new, so INSERT first (in a savepoint,
    so a duplicate key leaves the caller's transaction usable) and read only on a conflict. One SELECT
    of every column fewer on each email queued."""
    try:
        with transaction.atomic():
            return OutboundEmail.objects.create(key=key, **fields), True
    except IntegrityError:
        existing = OutboundEmail.objects.filter(key=key).first()
        if existing is None:
            raise  # not the key: another constraint, which the caller must hear about
        return existing, False


def outbound_email_enqueue(*, email_id, template, countdown=None):
    """Hand a row to Celery. A broker outage is logged, not raised: the sweep re-drives the row."""
    from .tasks import send_outbound_email

    try:
        send_outbound_email.apply_async(args=[email_id], countdown=countdown,
                                        queue=outbound_email_queue_name(template))
    except Exception:  # noqa: BLE001 - any broker failure: the row stays queued for the sweep
        log.warning("Could not enqueue outbound email %s; the sweep will retry it", email_id, exc_info=True)


def outbound_email_requeue_stale(*, older_than=timedelta(minutes=2), now=None):
    """Enqueue again every queued row whose send has been due for `older_than` and not happened.

    That is a row whose task was lost (Redis was down at commit, or restarted empty), never a row
    waiting out its retry backoff: its `next_attempt_at` is still ahead, and re-driving it early
    would spend its retries in minutes (a mail server refusing for 6 minutes once lost every email).
    Safe to run at any time and in parallel: the send task claims each row before sending.
    """
    cutoff = (now or timezone.now()) - older_than
    rows = list(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED, next_attempt_at__lt=cutoff)
        .order_by("next_attempt_at").values_list("pk", "template")[:1000]
    )
    for email_id, template in rows:
        outbound_email_enqueue(email_id=email_id, template=template)
    return len(rows)


def _message_id(email):
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    digest = hashlib.sha256(email.key.encode()).hexdigest()[:32]
    # Stable: the same email always carries the same Message-ID, so a duplicate is recognisable.
    return f"<{digest}@{domain}>"


def outbound_email_render(email):
    """Subject, text and HTML of a row, from templates/emails/<template>.{subject.txt,txt,html}."""
    context = {
        **email.context,
        "site_url": settings.SITE_URL,
        "service_name": settings.SERVICE_NAME,
        "hub_name": email.hub.name if email.hub else "",
    }
    # One line: a subject template's line breaks are layout, not part of the subject.
    subject = " ".join(render_to_string(f"emails/{email.template}.subject.txt", context).split())
    text = render_to_string(f"emails/{email.template}.txt", context)
    html = render_to_string(f"emails/{email.template}.html", context)
    return subject, text, html


def _build_message(email):
    subject, text, html = outbound_email_render(email)
    headers = {
        "Message-ID": email.message_id or _message_id(email),
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
    }
    if email.context.get("unsubscribe_url"):
        # RFC 2369 and RFC 8058: mail clients offer a one-click unsubscribe that POSTs to this URL.
        headers["List-Unsubscribe"] = f"<{email.context['unsubscribe_url']}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    reply_to = [email.hub.email] if email.hub else None
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[email.to], headers=headers, reply_to=reply_to
    )
    message.attach_alternative(html, "text/html")
    return message


def _is_permanent(exc):
    """True when the mail server refused the message for good (5xx); False when worth retrying."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _may_have_been_accepted(exc):
    """True when the connection broke while the server was taking the message itself (SMTP DATA).

    The server may have accepted it and its 250 been lost on the way back, so sending again could
    deliver it twice. A refusal it answered (SMTPDataError) is known, and not this.
    """
    if isinstance(exc, smtplib.SMTPResponseException):
        return False
    return any(frame.f_code.co_name == "data" and frame.f_globals.get("__name__") == "smtplib"
               for frame, _ in traceback.walk_tb(exc.__traceback__))


def outbound_email_send(*, email_id):
    """Send one queued email once. Returns SENT, RETRY, FAILED, UNKNOWN or NOTHING_TO_DO.

    Rules: claim first (queued -> sending), so two workers, or one task delivered twice, send once;
    a failure before the server accepted the message (connection refused, 4xx) goes back to queued
    with `next_attempt_at` set by the backoff, for as long as the schedule stays within
    EMAIL_SEND_RETRY_WINDOW (24 hours), then failed; a 5xx is permanent and marks the row failed; a
    connection lost while the server was taking the message (UNKNOWN) leaves the row in `sending`,
    never retried, for a person to check on the failed-email page.
    """
    now = timezone.now()
    # A delivery that comes before the row's retry is due (a duplicate, a sweep racing the retry
    # task) finds nothing to claim: only the backoff decides when a refused email is tried again.
    # The tolerance absorbs clock differences between the machine that set it and this one.
    claimed = OutboundEmail.objects.filter(
        pk=email_id, status=OutboundEmail.Status.QUEUED, next_attempt_at__lte=now + CLAIM_TOLERANCE,
    ).update(
        status=OutboundEmail.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now
    )
    if not claimed:
        return NOTHING_TO_DO
    email = OutboundEmail.objects.select_related("hub").get(pk=email_id)
    try:
        message = _build_message(email)
    except Exception as exc:  # noqa: BLE001 - a template that cannot render will never render: permanent
        OutboundEmail.objects.filter(pk=email_id).update(
            status=OutboundEmail.Status.FAILED, last_error=f"Could not build the email: {type(exc).__name__}: {exc}"[:2000],
            **_erased(email))
        log.exception("Building outbound email %s failed", email_id)
        return FAILED
    try:
        message.send()
    except (OSError, smtplib.SMTPException, ConnectionError) as exc:
        if _may_have_been_accepted(exc):
            # Never sent again automatically, so its link is no longer needed here either.
            OutboundEmail.objects.filter(pk=email_id).update(
                last_error=f"The mail server may have accepted it: the connection broke while it was "
                           f"taking the message ({type(exc).__name__}: {exc})"[:2000], **_erased(email))
            log.error("Outbound email %s may or may not have been delivered; left for a person: %s",
                      email_id, exc)
            return UNKNOWN
        delay = retry_delay_seconds(email.attempts)
        # The backoff schedule, not the wall clock, measures the window: a worker that was down
        # for a while does not eat into an email's retries, and "send again" starts it afresh.
        permanent = _is_permanent(exc) or retry_schedule_seconds(email.attempts) + delay > settings.EMAIL_SEND_RETRY_WINDOW
        OutboundEmail.objects.filter(pk=email_id).update(
            status=OutboundEmail.Status.FAILED if permanent else OutboundEmail.Status.QUEUED,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            **(_erased(email) if permanent else {}),
        )
        log.warning("Sending outbound email %s failed (%s): %s", email_id,
                    "permanent" if permanent else "will retry", exc)
        return FAILED if permanent else RETRY
    updates = {"status": OutboundEmail.Status.SENT, "sent_at": timezone.now(),
               "message_id": message.extra_headers["Message-ID"], "last_error": ""}
    OutboundEmail.objects.filter(pk=email_id).update(**updates, **_erased(email))
    return SENT


def _erased(email):
    """The update that wipes a row's context when it holds a secret (a sign-in or referral link).

    The link is only needed to write the email. Once it went, or will never go by itself (failed,
    or its outcome unknown), the database keeps no usable copy of it; "send again" is then refused
    and the person asks for a new link.
    """
    return {"context": {}} if email.has_secret else {}


def outbound_email_erase_abandoned_secrets(*, now=None):
    """Wipe the link from rows no worker will send any more: failed, or stuck in `sending`.

    The send path erases what it can see end; this catches a worker killed mid-send (its row
    stays in `sending` with the link) and rows failed before the erasing existed.
    """
    stuck_before = (now or timezone.now()) - STUCK_AFTER
    return (OutboundEmail.objects.filter(has_secret=True)
            .filter(Q(status=OutboundEmail.Status.FAILED)
                    | Q(status=OutboundEmail.Status.SENDING, claimed_at__lt=stuck_before))
            .exclude(context={}).update(context={}))


# How early a delivery may claim a row before its next_attempt_at (clock skew between machines).
CLAIM_TOLERANCE = timedelta(seconds=2)


def retry_delay_seconds(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th refused attempt: exponential backoff, capped.

    The cap (EMAIL_SEND_RETRY_DELAY_MAX, an hour) stays well below the Redis visibility timeout
    (3 hours), so Redis never hands a retry that is still waiting to another worker.
    """
    return min(settings.EMAIL_SEND_RETRY_DELAY * 2 ** max(attempts - 1, 0), settings.EMAIL_SEND_RETRY_DELAY_MAX)


def retry_schedule_seconds(attempts: int) -> int:
    """Seconds of backoff an email has waited out by its `attempts`-th attempt (0 for the first)."""
    return sum(retry_delay_seconds(n) for n in range(1, attempts))


# --- Emails that need a person: failed, or stuck in `sending` --------------------------------------

# Far longer than one send can take (EMAIL_TIMEOUT is 20 s a step): a row in `sending` this long
# belongs to a worker that is gone.
STUCK_AFTER = timedelta(minutes=10)


class EmailNotResendable(Exception):
    """The email is not (or no longer) failed: someone else sent it again, or it went meanwhile."""


class EmailLinkErased(EmailNotResendable):
    """The email carried a secure link, erased when it failed: only a new link can be sent."""


class EmailNotStuck(Exception):
    """The email is not stuck in `sending` (any more): it went, or someone else marked it."""


def outbound_email_needing_attention(*, hub, now=None):
    """This hub's failed emails and those stuck in `sending`, newest first."""
    stuck_before = (now or timezone.now()) - STUCK_AFTER
    return (
        OutboundEmail.objects.filter(hub=hub)
        .filter(Q(status=OutboundEmail.Status.FAILED)
                | Q(status=OutboundEmail.Status.SENDING, claimed_at__lt=stuck_before))
        .only("pk", "template", "to", "status", "attempts", "last_error", "created_at", "claimed_at",
              "has_secret")
        .order_by("-created_at", "-pk")
    )


@transaction.atomic
def outbound_email_resend(*, hub, email_id, by):
    """Queue a failed email of this hub again; it is sent after commit.

    Rules: only a failed email (a stuck one is first marked not delivered by a person); its
    attempts start again from nought, so it gets the full retries; two people pressing at once
    send it once (the conditional UPDATE lets one of them through, the other is told).
    """
    rows = OutboundEmail.objects.filter(pk=email_id, status=OutboundEmail.Status.FAILED)
    if hub is not None:  # None: an administrator, from admin
        rows = rows.filter(hub=hub)
    if rows.filter(has_secret=True).exists():
        raise EmailLinkErased()
    updated = rows.update(status=OutboundEmail.Status.QUEUED, attempts=0, claimed_at=None,
                          next_attempt_at=timezone.now())
    if not updated:
        raise EmailNotResendable()
    log.info("Outbound email %s queued again by user %s", email_id, by.pk)
    template = OutboundEmail.objects.values_list("template", flat=True).get(pk=email_id)
    transaction.on_commit(lambda: outbound_email_enqueue(email_id=email_id, template=template))


def _resolve_stuck(*, hub, email_id, by, now, status, finding):
    now = now or timezone.now()
    note = (f"Stuck while sending; {by.get_full_name()} checked it {finding} "
            f"({timezone.localtime(now):%d %b %Y %H:%M}). ")
    fields = {"status": status, "last_error": Concat(Value(note), F("last_error"))}
    if status == OutboundEmail.Status.SENT:
        fields["sent_at"] = now
    rows = OutboundEmail.objects.filter(pk=email_id, status=OutboundEmail.Status.SENDING,
                                        claimed_at__lt=now - STUCK_AFTER)
    if hub is not None:  # None: an administrator, from admin (emails of no hub, such as sign-in links)
        rows = rows.filter(hub=hub)
    updated = rows.update(**fields)
    if not updated:
        raise EmailNotStuck()
    # Sent, or failed for a person to decide on: either way no worker needs its link any more.
    OutboundEmail.objects.filter(pk=email_id, has_secret=True).update(context={})
    log.info("Outbound email %s stuck in sending: %s %s (user %s)", email_id, status, finding, by.pk)


@transaction.atomic
def outbound_email_mark_not_delivered(*, hub, email_id, by, now=None):
    """A person checked that a stuck email never arrived: it becomes failed, and may be sent again.

    Rules: only an email stuck in `sending` for longer than STUCK_AFTER; the last error records
    who said so and when. Races with the worker that claimed it are harmless: if that worker ever
    finishes, it marks the row sent, which is then the truth.
    """
    _resolve_stuck(hub=hub, email_id=email_id, by=by, now=now, status=OutboundEmail.Status.FAILED,
                   finding="was not delivered")


@transaction.atomic
def outbound_email_mark_delivered(*, hub, email_id, by, now=None):
    """A person checked that a stuck email did arrive (the recipient has it): it becomes sent."""
    _resolve_stuck(hub=hub, email_id=email_id, by=by, now=now, status=OutboundEmail.Status.SENT,
                   finding="was delivered")
