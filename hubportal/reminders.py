"""Reminders: rows with a due time, swept by beat (never long countdown tasks, which Redis redelivers).

Each app registers one handler per kind in its AppConfig.ready(). A handler receives the claimed
Reminder and returns what it did ("sent ..." or why it did not); it queues emails through the outbox,
inside the sweep's transaction for that row.
"""

import datetime as dt
import logging
import traceback

from django.db import transaction
from django.utils import timezone

from .models import Reminder
from .workdays import LONDON, add_working_days

log = logging.getLogger(__name__)

FAILED = "failed"

# Reminders go out at the start of the working day, London time.
SEND_HOUR = 9

_handlers = {}


def register(kind, handler):
    _handlers[kind] = handler


def at_working_day(start, working_days):
    """09:00 London on the date `working_days` working days after `start`."""
    day = add_working_days(start, working_days)
    return dt.datetime.combine(day, dt.time(SEND_HOUR), tzinfo=LONDON)


def reminder_schedule(*, kind, subject, stage, due_at, hub=None):
    """Plan a reminder; planning the same stage again changes nothing (once per stage)."""
    reminder, _ = Reminder.objects.get_or_create(kind=kind, subject=subject, stage=stage,
                                                 defaults={"due_at": due_at, "hub": hub})
    return reminder


def reminder_cancel(*, kind, subject):
    """Drop a thing's pending reminders (it stopped waiting)."""
    return Reminder.objects.filter(kind=kind, subject=subject, done_at__isnull=True).update(
        done_at=timezone.now(), outcome="cancelled")


def reminders_due(now=None):
    now = now or timezone.now()
    return Reminder.objects.filter(done_at__isnull=True, due_at__lte=now)


def reminders_send(*, now=None, dry_run=False, limit=5000):
    """Send every due reminder once. Returns [(reminder, outcome)].

    Safe to run twice, or twice at once: each row is claimed with a conditional UPDATE in its own
    transaction, so exactly one sweep handles it. A handler that raises does not stop the sweep:
    its writes (and any email it queued) roll back to a savepoint, and the row is recorded as
    "failed" with the error, for staff to see in admin and try again from there; the other due
    reminders still go. It is not retried by itself: a handler that fails on a row usually fails
    the same way every minute.
    """
    now = now or timezone.now()
    results = []
    for reminder in list(reminders_due(now).order_by("due_at", "pk")[:limit]):
        handler = _handlers.get(reminder.kind)
        if dry_run:
            results.append((reminder, "would send" if handler else "no handler"))
            continue
        if handler is None:
            log.error("No handler for reminder kind %s", reminder.kind)
            continue
        outcome = _reminder_handle(reminder, handler, now=now)
        if outcome is not None:
            results.append((reminder, outcome))
    return results


def _reminder_handle(reminder, handler, *, now):
    """Claim one due row and run its handler, in one transaction; None when someone else claimed it."""
    with transaction.atomic():
        claimed = Reminder.objects.filter(pk=reminder.pk, done_at__isnull=True, due_at__lte=now).update(done_at=now)
        if not claimed:
            return None  # another sweep (or the after-commit task) has it
        error = ""
        try:
            with transaction.atomic():
                outcome = handler(reminder) or "done"
        except Exception as exc:  # noqa: BLE001 - any handler bug: record it, go on with the rest
            log.exception("Reminder %s (%s/%s) failed", reminder.pk, reminder.kind, reminder.stage)
            outcome = FAILED
            error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
        Reminder.objects.filter(pk=reminder.pk).update(outcome=outcome[:100], error=error)
    return outcome


def reminder_send_now(*, reminder_id, now=None):
    """Handle one reminder that is due now, as the sweep would: the work a request hands over after commit.

    A service writes a reminder due at once (the row is the promise, in its transaction) and enqueues
    this after commit, so the work starts within moments instead of at the next sweep. The claim is
    the sweep's, so the task and the sweep, or the task delivered twice, run the handler once; a lost
    task only means the sweep does it within the minute. Returns the outcome, or None.
    """
    now = now or timezone.now()
    reminder = Reminder.objects.filter(pk=reminder_id, done_at__isnull=True).first()
    if reminder is None:
        return None
    handler = _handlers.get(reminder.kind)
    if handler is None:
        log.error("No handler for reminder kind %s", reminder.kind)
        return None
    return _reminder_handle(reminder, handler, now=now)


def reminder_enqueue(*, reminder_id):
    """Hand a due-now reminder to Celery; a broker outage is logged, not raised (the sweep has the row)."""
    from .tasks import send_reminder

    try:
        send_reminder.delay(reminder_id)
    except Exception:  # noqa: BLE001 - any broker failure: the sweep handles the row within the minute
        log.warning("Could not enqueue reminder %s; the sweep will handle it", reminder_id, exc_info=True)


@transaction.atomic
def reminder_retry(*, reminder_id):
    """Make a failed reminder due again (from admin, once its cause is fixed); the next sweep sends it.

    Rules: only a failed one; two people pressing at once retry it once.
    """
    return Reminder.objects.filter(pk=reminder_id, outcome=FAILED).update(done_at=None, outcome="", error="")
