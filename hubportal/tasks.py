from celery import shared_task

from .models import OutboundEmail
from .outbox import RETRY, outbound_email_requeue_stale, outbound_email_send, retry_delay_seconds


@shared_task(ignore_result=True)
def send_outbound_email(email_id):
    outcome = outbound_email_send(email_id=email_id)
    if outcome == RETRY:
        # The row is back in `queued`; a later delivery claims it again. The service counts the
        # attempts and gives up (failed) at EMAIL_SEND_MAX_RETRIES, so this chain always ends.
        attempts = OutboundEmail.objects.filter(pk=email_id).values_list("attempts", flat=True).first() or 1
        send_outbound_email.apply_async(args=[email_id], countdown=retry_delay_seconds(attempts))
    return outcome


@shared_task(ignore_result=True)
def requeue_stale_outbound_email():
    return outbound_email_requeue_stale()


@shared_task(ignore_result=True)
def send_reminders():
    from .jobs import job_send_reminders

    return len(job_send_reminders())


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
