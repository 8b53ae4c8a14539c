from celery import shared_task


@shared_task(ignore_result=True)
def fetch_mailboxes():
    """Beat, every 2 minutes: import the hubs' new emails (intake.mailbox.mailbox_fetch_all)."""
    from .mailbox import mailbox_fetch_all

    return {pk: result.outcome for pk, result in mailbox_fetch_all().items()}
