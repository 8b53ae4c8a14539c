"""The outbox through a real Celery worker on Redis: a submission's email is sent once, and only once.

The unit tests (tests/hubportal/test_outbox.py) run the send task eagerly; these publish it to Redis
on commit, as production does, and let another process claim, send and mark the row.
"""

import time

import pytest

from hubportal.models import OutboundEmail
from hubportal.tasks import send_outbound_email
from intake.services import inquiry_submit
from tests.factories import DraftFactory, HubFactory

from .conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SEND_TASK = "hubportal.tasks.send_outbound_email"


def _submit():
    draft = DraftFactory(hub=HubFactory())
    # Commits; on commit the acknowledgement's send task is published to Redis.
    inquiry = inquiry_submit(inquiry=draft, by=draft.submitter)
    return inquiry, OutboundEmail.objects.get(key=f"inquiry:{inquiry.pk}:acknowledgement")


def _wait_until_sent(email, timeout=20):
    def sent():
        email.refresh_from_db()
        return email.status == OutboundEmail.Status.SENT
    wait_for(sent, timeout=timeout, interval=0.1, message=f"outbound email {email.pk} to be sent "
             f"(last status {email.status!r}, attempts {email.attempts})")


def test_a_submission_produces_exactly_one_acknowledgement_email_through_a_real_worker(
    celery_worker_on_redis,
):
    worker = celery_worker_on_redis
    inquiry, email = _submit()
    # The row was written in the submission's transaction, before anything ran.
    assert email.status in {OutboundEmail.Status.QUEUED, OutboundEmail.Status.SENDING,
                            OutboundEmail.Status.SENT}

    _wait_until_sent(email)
    time.sleep(2)  # room for a duplicate send to show up, if there were one

    messages = worker.emails()
    assert len(messages) == 1, [m["Subject"] for m in messages]
    message = messages[0]
    assert message["To"] == inquiry.submitter.email
    assert inquiry.reference in message["Subject"]
    assert inquiry.reference in message.get_body(preferencelist=("plain",)).get_content()
    assert message["Message-ID"] == email.message_id
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 1
    assert worker.task_outcomes(SEND_TASK) == ["'sent'"]


def test_the_same_send_task_delivered_three_times_sends_one_email(celery_worker_on_redis):
    worker = celery_worker_on_redis
    inquiry, email = _submit()  # delivery 1: published on commit
    send_outbound_email.delay(email.pk)  # deliveries 2 and 3: the same task again
    send_outbound_email.delay(email.pk)

    _wait_until_sent(email)
    worker.wait_until_idle()
    # Every delivery ran; the two that found the row already claimed did nothing.
    wait_for(lambda: len(worker.task_outcomes(SEND_TASK)) == 3, timeout=5,
             message=f"three runs of the send task (log: {worker.task_outcomes(SEND_TASK)})")
    assert sorted(worker.task_outcomes(SEND_TASK)) == ["'nothing to do'", "'nothing to do'", "'sent'"]

    messages = worker.emails()
    assert len(messages) == 1, [m["Subject"] for m in messages]
    assert messages[0]["To"] == inquiry.submitter.email
    assert inquiry.reference in messages[0]["Subject"]
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 1
