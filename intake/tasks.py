"""intake's scheduled jobs: thin tasks that call the function a test calls."""

from celery import shared_task

from .access_log import inquiry_access_purge


@shared_task(ignore_result=True)
def purge_access_log():
    """Delete access log rows older than ACCESS_LOG_RETENTION_DAYS (daily, from beat)."""
    return inquiry_access_purge()
