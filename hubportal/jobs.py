"""The scheduled jobs. Each is one function that a management command, a Celery task and a test call."""

from django.utils import timezone

from . import digests, reminders
from .models import User


def job_send_reminders(*, dry_run=False, now=None):
    return reminders.reminders_send(now=now, dry_run=dry_run)


def job_send_digests(*, dry_run=False, today=None, frequencies=None):
    """Daily digests every day; weekly digests on Mondays (or the frequencies asked for)."""
    today = today or timezone.localdate()
    if frequencies is None:
        frequencies = [User.Digest.DAILY] + ([User.Digest.WEEKLY] if today.weekday() == 0 else [])
    sent = []
    for frequency in frequencies:
        sent += digests.digests_send(frequency=frequency, today=today, dry_run=dry_run)
    return sent
