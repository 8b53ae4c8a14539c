"""intake's scheduled jobs: thin tasks that call the function a test calls."""

from celery import shared_task

from .access_log import inquiry_access_purge


@shared_task(ignore_result=True)
def fetch_mailboxes():
    """Beat, every 2 minutes: import the hubs' new emails (intake.mailbox.mailbox_fetch_all)."""
    from .mailbox import mailbox_fetch_all

    return {pk: result.outcome for pk, result in mailbox_fetch_all().items()}


@shared_task(ignore_result=True)
def purge_access_log():
    """Delete access log rows older than ACCESS_LOG_RETENTION_DAYS (daily, from beat)."""
    return inquiry_access_purge()


@shared_task(ignore_result=True)
def compact_rollups():
    """Beat, every minute: fold the metrics rollups' delta rows into one row per key, so reads stay short
    (intake.rollups.rollups_compact)."""
    from .rollups import rollups_compact

    return rollups_compact()
