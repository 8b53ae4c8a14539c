from celery import shared_task
from django.utils import timezone

from .heartbeats import BEAT, job_heartbeat_record
from .models import OutboundEmail
from .outbox import (
    RETRY,
    outbound_email_enqueue,
    outbound_email_erase_abandoned_secrets,
    outbound_email_requeue_stale,
    outbound_email_send,
)


@shared_task(ignore_result=True)
def send_outbound_email(email_id):
    outcome = outbound_email_send(email_id=email_id)
    if outcome == RETRY:
        # The row is back in `queued` with its next_attempt_at; the retry is published for then.
        # The service gives up (failed) once the backoff would pass EMAIL_SEND_RETRY_WINDOW, so
        # this chain always ends. If this publish is lost, the sweep re-drives the row when due.
        row = OutboundEmail.objects.filter(pk=email_id).values("template", "next_attempt_at").first()
        if row:
            countdown = max((row["next_attempt_at"] - timezone.now()).total_seconds(), 0)
            outbound_email_enqueue(email_id=email_id, template=row["template"], countdown=countdown)
    return outcome


@shared_task(ignore_result=True)
def requeue_stale_outbound_email():
    # Beat runs this every minute: its last run is beat's heartbeat for /healthz.
    job_heartbeat_record(name=BEAT)
    outbound_email_erase_abandoned_secrets()
    return outbound_email_requeue_stale()


@shared_task(ignore_result=True)
def send_reminders():
    from .jobs import job_send_reminders

    return len(job_send_reminders())


@shared_task(ignore_result=True)
def send_reminder(reminder_id):
    # Work a request handed over after commit (a reminder due at once); the sweep is its safety net.
    from .reminders import reminder_send_now

    return reminder_send_now(reminder_id=reminder_id)


@shared_task(ignore_result=True)
def send_digests():
    from .jobs import job_send_digests

    return len(job_send_digests())


@shared_task(ignore_result=True)
def send_webhook_delivery(delivery_id):
    # No countdown chain: a refused attempt leaves the row queued with its next_attempt_at, and the
    # sweep below enqueues it when that time comes.
    from .webhooks import webhook_delivery_send

    return webhook_delivery_send(delivery_id=delivery_id)


@shared_task(ignore_result=True)
def redrive_webhook_deliveries():
    from .webhooks import webhook_deliveries_redrive

    return webhook_deliveries_redrive()


@shared_task(ignore_result=True)
def apply_retention():
    from .personal_data import data_export_requeue_stale
    from .retention import retention_apply

    data_export_requeue_stale()
    return sum(outcome.count for outcome in retention_apply())


@shared_task(ignore_result=True)
def build_data_export(export_id):
    from .personal_data import data_export_build

    return data_export_build(export_id=export_id)
