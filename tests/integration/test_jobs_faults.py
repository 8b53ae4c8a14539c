"""Jobs that survive the faults we measured: Redis killed under a busy worker, a mail server answering
421 for a while, and sign-in links behind a backlog. A real worker, a private Redis, a local SMTP server
(the `email_fault_rig`, tests/integration/conftest.py). Figures: docs/email_faults.md; run with -s.
"""

import time
from datetime import timedelta

import pytest
from django.db import transaction

from hubportal import outbox
from hubportal.heartbeats import WORKER
from hubportal.models import JobHeartbeat, OutboundEmail

from .conftest import wait_for
from .test_email_faults import (
    assert_each_accepted_once,
    queue_emails,
    report,
    statuses,
    wait_until_settled,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_busy_worker_survives_redis_being_killed_and_every_email_goes_exactly_once(email_fault_rig):
    rig = email_fault_rig
    # Production runs the prefork pool (Procfile, compose): the pool whose worker kombu 5.7.0 killed.
    for worker in rig.live_workers():
        worker.stop()
    worker = rig.start_worker(pool="prefork", concurrency=2)
    rig.workers_of_this_test = [worker]
    rig.smtp.data_reply_delay = 0.2  # each send takes a moment: tasks are in hand when Redis dies
    emails = queue_emails(30, label="redis-killed")
    assert rig.smtp.wait_for_accepted(3, timeout=20)

    rig.redis_server.kill()
    at_kill = dict(statuses(emails))
    time.sleep(2)
    rig.redis_server.start()  # back on the same port, empty
    rig.smtp.data_reply_delay = 0
    # Beat's sweep: what was on the queue died with Redis; the rows are still queued.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        worker.assert_running()
        outbox.outbound_email_requeue_stale(older_than=timedelta(seconds=3))
        if all(status == "sent" for status in statuses(emails).elements()):
            break
        time.sleep(1)
    rows = wait_until_settled(emails, timeout=5)
    time.sleep(1)

    worker.assert_running()  # the same process, never restarted
    assert [row.status for row in rows] == ["sent"] * 30
    assert_each_accepted_once(rig.smtp, rows)
    report("f. Redis killed under a busy prefork worker", emails=30, statuses_at_kill=at_kill,
           worker_alive=worker.is_running(), messages=rig.smtp.accepted_count(),
           distinct_message_ids=len(rig.smtp.message_ids()),
           duplicates=rig.smtp.accepted_count() - len(rig.smtp.message_ids()))
    rig.forget_unacknowledged()


def test_a_mail_server_answering_421_for_a_while_loses_nothing_however_often_the_sweep_runs(
        email_fault_rig):
    rig = email_fault_rig
    # Compressed: backoff 1, 2, 4, 8 s within a 20 s window (production: 30 s doubling to an hour,
    # within 24 hours); the server refuses for 6 s, and the sweep runs every half second.
    worker = rig.workers_of_this_test[0]
    worker.stop()
    rig.workers_of_this_test = []
    worker = rig.start_worker(env={"EMAIL_SEND_RETRY_WINDOW": "20"})
    rig.smtp.answer_for(6, "421 4.3.2 Service shutting down, try later")
    started = time.monotonic()
    emails = queue_emails(20, label="outage")

    swept = 0
    while time.monotonic() - started < 25 and not all(s == "sent" for s in statuses(emails).elements()):
        swept += outbox.outbound_email_requeue_stale(older_than=timedelta(0))
        time.sleep(0.5)
    rows = wait_until_settled(emails, timeout=10)
    rig.wait_until_idle()
    time.sleep(1)

    assert [row.status for row in rows] == ["sent"] * 20
    assert_each_accepted_once(rig.smtp, rows)
    assert len(rig.smtp.refused) >= 20  # every email was refused at least once
    # Backoff, not the sweep, paced the retries: attempts at 0, 1, 3, 7 and 15 s are all the 20 s
    # window has room for (a sweep re-driving every 0.5 s would have spent them in seconds).
    assert max(row.attempts for row in rows) <= 5
    report("g. 421 for 6 s, sweep every 0.5 s", emails=20, refused=len(rig.smtp.refused),
           max_attempts=max(row.attempts for row in rows), sweeps_enqueued=swept,
           messages=rig.smtp.accepted_count(), lost=20 - len(rig.smtp.message_ids()),
           duplicates=rig.smtp.accepted_count() - len(rig.smtp.message_ids()),
           all_sent_after_s=f"{time.monotonic() - started:.1f}")


def test_a_sign_in_link_is_sent_before_a_backlog_of_ordinary_emails_drains(email_fault_rig):
    rig = email_fault_rig
    rig.smtp.data_reply_delay = 0.1  # 40 ordinary emails take at least 4 s
    backlog = queue_emails(40, label="backlog")
    assert rig.smtp.wait_for_accepted(2, timeout=20)
    with transaction.atomic():
        sign_in = outbox.outbound_email_queue(
            key="email-link:1:sign-in", to="signing.in@nhs.net", template="sign_in_link",
            context={"link_url": "http://testserver/sign-in/link/x/", "minutes": 30}, has_secret=True)

    wait_until_settled([sign_in], timeout=20)
    behind_it = OutboundEmail.objects.filter(pk__in=[e.pk for e in backlog], status="queued").count()
    order = [message.recipients for message in rig.smtp.accepted]
    position = order.index(("signing.in@nhs.net",))
    wait_until_settled(backlog, timeout=30)

    assert behind_it > 20, (position, behind_it, dict(statuses(backlog)), len(order))  # most of the backlog was still waiting when the sign-in link went
    # kombu takes from the queues round robin: after what was in hand, and at most one more.
    assert position <= 4
    assert_each_accepted_once(rig.smtp, list(OutboundEmail.objects.filter(
        pk__in=[e.pk for e in [*backlog, sign_in]])))
    # The worker's heartbeat thread runs (every second here; the tables are emptied between tests).
    wait_for(lambda: JobHeartbeat.objects.filter(name=WORKER).exists(), timeout=10,
             message="the worker's heartbeat")
    report("h. sign-in link behind 40 emails", position_sent=position + 1, backlog_still_queued=behind_it)
