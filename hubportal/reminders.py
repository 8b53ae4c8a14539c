"""Reminders: rows with a due time, swept by beat (never long countdown tasks, which Redis redelivers).

Each app registers one handler per kind in its AppConfig.ready(). A handler receives the claimed
Reminder and returns what it did ("sent ..." or why it did not); it queues emails through the outbox,
inside the sweep's transaction for that row.
"""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from .models import Reminder
from .workdays import LONDON, add_working_days

log = logging.getLogger(__name__)

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
    transaction, so exactly one sweep handles it; if the handler fails, the claim rolls back and the
    next sweep tries again.
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
        with transaction.atomic():
            claimed = Reminder.objects.filter(pk=reminder.pk, done_at__isnull=True).update(done_at=now)
            if not claimed:
                continue  # another sweep has it
            outcome = handler(reminder) or "done"
            Reminder.objects.filter(pk=reminder.pk).update(outcome=outcome[:100])
        results.append((reminder, outcome))
    return results
