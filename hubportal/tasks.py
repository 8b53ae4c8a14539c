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
def apply_retention():
    from .personal_data import data_export_requeue_stale
    from .retention import retention_apply

    data_export_requeue_stale()
    return sum(outcome.count for outcome in retention_apply())


@shared_task(ignore_result=True)
def build_data_export(export_id):
    from .personal_data import data_export_build

    return data_export_build(export_id=export_id)
