"""Faults the outbox must survive: a real Celery worker, a Redis of our own and a local SMTP server.

Each test gets the `email_fault_rig` (tests/integration/conftest.py): a private redis-server it may
stop and start, one worker (`celery -A hubportal worker`, solo pool, as the Procfile runs it)
sending by SMTP to tests/integration/smtp_server.py, which the test tells to refuse, to be slow,
and which counts what it accepted by Message-ID. The worker retries after 1 s, then 2 s, and gives
up at the third refusal (EMAIL_SEND_RETRY_DELAY=1, EMAIL_SEND_RETRY_WINDOW=5).

Results, and what happens to a row left in `sending` by a killed worker: docs/email_faults.md.
Run with -s to see the figures each test prints.
"""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from hubportal import outbox
from hubportal.models import OutboundEmail
from hubportal.tasks import send_outbound_email
from intake.services import inquiry_submit
from tests.conftest import sign_in_staff
from tests.factories import DraftFactory, HubFactory, UserFactory

from .conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SEND_TASK = "hubportal.tasks.send_outbound_email"
SUBMISSIONS = 50
# What "promptly" means for a submission while Redis is down (a person is waiting on the page).
PROMPT_SECONDS = 2.0


def report(title, **figures):
    """Print the figures of a fault test (pytest -s shows them; docs/email_faults.md keeps them)."""
    print(f"\n[email faults] {title}: " + ", ".join(f"{name}={value}" for name, value in figures.items()))


def queue_emails(count, *, hub=None, label="fault", to=None, publish=True):
    """Queue `count` emails in one transaction, as a change causing them would.

    publish=False leaves them queued with no task anywhere, as when Redis was down at commit.
    """
    def queue():
        with transaction.atomic():
            return [
                outbox.outbound_email_queue(
                    key=f"{label}:{number}:inquiry_acknowledgement",
                    to=(to or "person{n}@nhs.net").format(n=number),
                    template="inquiry_acknowledgement",
                    context={"reference": f"FLT-2026-{number:05d}",
                             "inquiry_url": "http://testserver/inquiries/x/", "target_days": 5},
                    hub=hub,
                )
                for number in range(1, count + 1)
            ]

    if publish:
        return queue()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(outbox, "outbound_email_enqueue", lambda **kwargs: None)
        return queue()


def statuses(emails):
    return Counter(OutboundEmail.objects.filter(pk__in=[e.pk for e in emails]).values_list("status", flat=True))


def wait_until_settled(emails, timeout, settled=("sent", "failed")):
    """Wait until every one of `emails` is in a final status; return the rows."""
    def done():
        rows = list(OutboundEmail.objects.filter(pk__in=[e.pk for e in emails]))
        return rows if all(row.status in settled for row in rows) else None
    return wait_for(done, timeout=timeout, interval=0.2,
                    message=f"{len(emails)} emails to settle (now {dict(statuses(emails))})")


def assert_each_accepted_once(smtp, rows):
    """Every row's Message-ID reached the SMTP server exactly once, and nothing else did."""
    counts = smtp.message_ids()
    expected = {row.message_id for row in rows}
    assert "" not in expected
    assert set(counts) == expected, f"unexpected {set(counts) - expected}, missing {expected - set(counts)}"
    duplicated = {message_id: n for message_id, n in counts.items() if n > 1}
    assert duplicated == {}, f"sent more than once: {duplicated}"


# --- a. Redis stopped while inquiries are submitted ----------------------------------------------

def test_submissions_succeed_promptly_while_redis_is_down_and_every_acknowledgement_arrives_once(
        email_fault_rig):
    rig = email_fault_rig
    hub = HubFactory()
    drafts = [DraftFactory(hub=hub) for _ in range(SUBMISSIONS)]

    rig.redis_server.stop()
    durations, keys = [], []
    for draft in drafts:
        started = time.monotonic()
        inquiry = inquiry_submit(inquiry=draft, by=draft.submitter)
        elapsed = time.monotonic() - started
        durations.append(elapsed)
        assert elapsed < PROMPT_SECONDS, (
            f"Submission {len(durations)} took {elapsed:.1f} s with Redis down: publishing to a dead "
            "broker must fail fast (see docs/email_faults.md, 'Publishing to a dead broker')")
        assert not connection.in_atomic_block  # committed, not merely written
        keys.append(f"inquiry:{inquiry.pk}:acknowledgement")

    emails = list(OutboundEmail.objects.filter(key__in=keys))
    assert len(emails) == SUBMISSIONS
    assert statuses(emails) == {"queued": SUBMISSIONS}  # nothing could be sent, nothing was lost
    assert rig.smtp.accepted_count() == 0

    rig.redis_server.start()  # back, and empty: whatever was published before is gone
    returned = time.monotonic()
    assert outbox.outbound_email_requeue_stale(older_than=timedelta(0)) == SUBMISSIONS
    # The worker reconnects on its own back-off (2 s, then 4 s, ...), then drains the queue.
    rows = wait_until_settled(emails, timeout=45)
    delivered_after = time.monotonic() - returned
    time.sleep(1.5)  # room for a duplicate to show up, if there were one

    assert [row.status for row in rows] == ["sent"] * SUBMISSIONS
    assert all(row.attempts == 1 for row in rows)
    assert_each_accepted_once(rig.smtp, rows)
    assert rig.smtp.accepted_count() == SUBMISSIONS
    recipients = {message.recipients for message in rig.smtp.accepted}
    assert recipients == {(draft.submitter.email,) for draft in drafts}
    report("a. Redis down during 50 submissions",
           submissions=SUBMISSIONS, slowest_submit_s=f"{max(durations):.3f}",
           mean_submit_s=f"{sum(durations) / len(durations):.3f}", queued_while_down=SUBMISSIONS,
           all_sent_after_redis_returned_s=f"{delivered_after:.1f}",
           messages=rig.smtp.accepted_count(), distinct_message_ids=len(rig.smtp.message_ids()),
           duplicates=rig.smtp.accepted_count() - len(rig.smtp.message_ids()))


# --- b. The same task delivered three times -----------------------------------------------------

def test_the_same_send_task_delivered_three_times_sends_one_email(email_fault_rig):
    rig = email_fault_rig
    [email] = queue_emails(1, label="thrice")  # delivery 1: published on commit
    send_outbound_email.delay(email.pk)  # deliveries 2 and 3, as a redelivery or a sweep would
    send_outbound_email.delay(email.pk)

    [row] = wait_until_settled([email], timeout=20)
    rig.wait_until_idle()
    worker = rig.workers_of_this_test[0]
    wait_for(lambda: len(worker.task_outcomes(SEND_TASK)) == 3, timeout=10,
             message=f"three runs of the send task (so far {worker.task_outcomes(SEND_TASK)})")

    assert sorted(worker.task_outcomes(SEND_TASK)) == ["'nothing to do'", "'nothing to do'", "'sent'"]
    assert row.status == "sent" and row.attempts == 1
    assert_each_accepted_once(rig.smtp, [row])
    report("b. one task delivered three times", deliveries=3, messages=rig.smtp.accepted_count())


# --- c. The SMTP server refuses --------------------------------------------------------------------

def test_a_temporary_refusal_is_retried_and_the_email_is_sent_on_the_second_attempt(email_fault_rig):
    rig = email_fault_rig
    rig.smtp.answer_next(1, "451 4.7.1 Greylisted, please try again later")
    started = time.monotonic()
    [email] = queue_emails(1, label="greylisted")

    [row] = wait_until_settled([email], timeout=20)

    assert row.status == "sent"
    assert row.attempts == 2
    assert len(rig.smtp.refused) == 1
    assert_each_accepted_once(rig.smtp, [row])
    assert rig.workers_of_this_test[0].task_outcomes(SEND_TASK) == ["'retry'", "'sent'"]
    report("c. 4xx then recovery", refused=len(rig.smtp.refused), attempts=row.attempts,
           messages=rig.smtp.accepted_count(), sent_after_s=f"{time.monotonic() - started:.1f}")


def test_a_server_that_keeps_refusing_for_now_marks_the_email_failed_after_the_last_retry(email_fault_rig):
    rig = email_fault_rig
    rig.smtp.answer_next(10, "421 4.3.2 Service shutting down, try later")
    [email] = queue_emails(1, label="always-busy")

    [row] = wait_until_settled([email], timeout=20)

    assert row.status == "failed"
    assert row.attempts == 3  # all the retries EMAIL_SEND_RETRY_WINDOW has room for
    assert "421" in row.last_error
    assert len(rig.smtp.refused) == 3
    assert rig.smtp.accepted_count() == 0
    report("c. 4xx every time", attempts=row.attempts, refused=len(rig.smtp.refused), status=row.status)


def test_a_permanent_refusal_marks_that_email_failed_and_the_rest_of_the_queue_still_flows(email_fault_rig):
    rig = email_fault_rig
    rig.smtp.answer_recipient("no.such.person@nhs.net", "550 5.1.1 No such user here")
    # One transaction, so the refused email's task is first on the queue and the others wait behind it.
    with transaction.atomic():
        [refused] = queue_emails(1, label="no-such-person", to="no.such.person@nhs.net")
        others = queue_emails(5, label="behind-it")

    rows = {row.pk: row for row in wait_until_settled([refused, *others], timeout=20)}

    assert rows[refused.pk].status == "failed"
    assert rows[refused.pk].attempts == 1  # never retried
    assert "550" in rows[refused.pk].last_error
    assert [rows[e.pk].status for e in others] == ["sent"] * 5
    assert_each_accepted_once(rig.smtp, [rows[e.pk] for e in others])
    report("c. 5xx", failed=1, attempts_of_failed=rows[refused.pk].attempts,
           sent_behind_it=rig.smtp.accepted_count())


def test_an_email_whose_acceptance_was_lost_on_the_wire_is_not_sent_again_but_left_for_a_person(
        email_fault_rig):
    rig = email_fault_rig
    # The server takes the message, then the connection drops before its 250 reaches the worker.
    rig.smtp.drop_after_accepting_next(1)
    [email] = queue_emails(1, label="lost-reply")

    def recorded():
        row = OutboundEmail.objects.get(pk=email.pk)
        return row if row.last_error or row.status != "sending" else None
    wait_for(recorded, timeout=20, message="the worker to record how the send ended")
    time.sleep(3)  # a retry would come after 1 s
    row = OutboundEmail.objects.get(pk=email.pk)

    assert rig.smtp.accepted_count() == 1  # delivered once; a retry would have made it twice
    assert row.status == "sending"  # unknown outcome: shown as stuck to a person, never retried
    assert row.attempts == 1
    assert "may have accepted" in row.last_error
    assert rig.workers_of_this_test[0].task_outcomes(SEND_TASK) == ["'unknown'"]
    report("c. reply lost after the server accepted", messages=rig.smtp.accepted_count(),
           status=row.status, attempts=row.attempts)


# --- d. Two sweeps at once --------------------------------------------------------------------------

def test_two_sweeps_at_once_send_each_email_once(email_fault_rig):
    rig = email_fault_rig
    rig.start_worker()  # two workers, so the two tasks for one row can run at the same moment
    emails = queue_emails(20, label="swept", publish=False)  # queued while "Redis was down"
    barrier = threading.Barrier(2)
    swept = []

    def sweep():
        try:
            barrier.wait(timeout=5)
            swept.append(outbox.outbound_email_requeue_stale(older_than=timedelta(0)))
        finally:
            connections.close_all()  # this thread's own database connection

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    rows = wait_until_settled(emails, timeout=30)
    rig.wait_until_idle()
    wait_for(lambda: sum(len(worker.task_outcomes(SEND_TASK)) for worker in rig.workers_of_this_test)
             == sum(swept), timeout=10, message=f"{sum(swept)} runs of the send task")
    time.sleep(1)

    outcomes = Counter(outcome for worker in rig.workers_of_this_test
                       for outcome in worker.task_outcomes(SEND_TASK))
    assert sum(swept) >= 20  # each sweep saw every row it found still queued
    assert [row.status for row in rows] == ["sent"] * 20
    assert all(row.attempts == 1 for row in rows)
    assert outcomes["'sent'"] == 20
    assert outcomes["'nothing to do'"] == sum(swept) - 20  # every other delivery found it claimed
    assert_each_accepted_once(rig.smtp, rows)
    report("d. two sweeps at once", rows=20, enqueued_by_sweeps=sum(swept),
           tasks_that_found_it_claimed=outcomes["'nothing to do'"],
           workers=len(rig.workers_of_this_test), messages=rig.smtp.accepted_count(),
           duplicates=rig.smtp.accepted_count() - len(rig.smtp.message_ids()))


# --- e. A worker killed mid-run ---------------------------------------------------------------------

def test_a_worker_killed_mid_run_loses_nothing_and_leaves_what_it_had_in_hand_for_a_person(
        email_fault_rig, client):
    rig = email_fault_rig
    hub = HubFactory()
    lead = UserFactory()
    hub.memberships.create(user=lead, role="lead")
    # A slow server: each message is accepted, then the 250 reply takes half a second.
    rig.smtp.data_reply_delay = 0.5
    emails = queue_emails(20, hub=hub, label="killed")
    first = rig.workers_of_this_test[0]

    # Kill it while the server holds an accepted message whose reply the worker has not yet read.
    assert rig.smtp.wait_for_accepted(5, timeout=20)
    wait_for(lambda: rig.smtp.replies_pending() > 0, timeout=5, interval=0.01,
             message="a message accepted and its reply not yet sent")
    first.kill()
    at_kill = statuses(emails)
    accepted_at_kill = rig.smtp.accepted_count()
    unacked = rig.redis.hlen("unacked")  # the task the dead worker had in hand

    rig.smtp.data_reply_delay = 0
    rig.start_worker()
    swept = outbox.outbound_email_requeue_stale(older_than=timedelta(0))
    # Drained: nothing on the queue, nothing unacknowledged but the dead worker's task (below).
    wait_for(lambda: rig.pending_messages() == unacked, timeout=30, interval=0.2,
             message="the new worker to drain the queue")
    time.sleep(1)
    rows = list(OutboundEmail.objects.filter(pk__in=[e.pk for e in emails]))

    counts = rig.smtp.message_ids()
    sent = [row for row in rows if row.status == "sent"]
    in_sending = [row for row in rows if row.status == "sending"]
    stuck_and_delivered = [row for row in in_sending if counts[outbox._message_id(row)] > 0]
    duplicates = sum(n - 1 for n in counts.values())

    # Nothing lost without a trace: every row was sent, or is visibly stuck.
    assert len(sent) + len(in_sending) == 20
    assert not [row for row in rows if row.status in ("queued", "failed")]
    # One solo worker holds at most one email at a time: that one is stuck, and no other.
    assert len(in_sending) == 1 and unacked == 1
    # Every sent row went once; the stuck one was not sent again behind anyone's back.
    assert all(counts[row.message_id] == 1 for row in sent)
    assert all(counts[outbox._message_id(row)] <= 1 for row in in_sending)
    assert duplicates == 0

    # The stuck email shows on the failed-email page once it has been stuck for ten minutes.
    OutboundEmail.objects.filter(pk__in=[row.pk for row in in_sending]).update(
        claimed_at=timezone.now() - timedelta(minutes=11))
    page = sign_in_staff(client, lead).get(reverse("hubportal:staff_failed_emails", args=[hub.slug]))
    assert [email.pk for email in page.context["page"].object_list] == [row.pk for row in in_sending]
    assert "Stuck while sending" in page.content.decode()

    # Redis would hand the dead worker's task out again after the visibility timeout (3 hours);
    # then it finds the row in `sending` and does nothing. Not waiting 3 hours here.
    rig.forget_unacknowledged()
    report("e. worker killed mid-run", emails=20, accepted_before_kill=accepted_at_kill,
           statuses_at_kill=dict(at_kill), swept_after_restart=swept, sent=len(sent),
           left_in_sending=len(in_sending), of_which_the_server_had_accepted=len(stuck_and_delivered),
           messages=sum(counts.values()), distinct_message_ids=len(counts), duplicates=duplicates,
           unacknowledged_task_in_redis=unacked)
