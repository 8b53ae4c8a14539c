"""The fault the issue measured, at full length and with production settings: a mail server answering
421 for 6 minutes while beat's sweep runs every minute. Too long for every CI run (about 9 minutes), so
the file is not named test_*.py; run it on purpose:

    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python -m pytest tests/integration/soak_smtp_421.py -s

Before the per-row backoff, this lost all 20 emails (marked failed after about 4 minutes). Production
settings: the first retry after 30 s, doubling to an hour, within 24 hours.
"""

import time

import pytest

from hubportal import outbox

from .test_email_faults import (
    assert_each_accepted_once,
    queue_emails,
    report,
    statuses,
    wait_until_settled,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = 6 * 60
SWEEP_EVERY_SECONDS = 60  # beat's schedule for the outbox sweep


def test_a_mail_server_answering_421_for_six_minutes_loses_nothing_with_production_settings(email_fault_rig):
    rig = email_fault_rig
    worker = rig.workers_of_this_test[0]
    worker.stop()
    rig.workers_of_this_test = []
    # The rig's compressed retry settings replaced by production's (30 s doubling, 24 hours).
    rig.start_worker(env={"EMAIL_SEND_RETRY_DELAY": "30", "EMAIL_SEND_RETRY_WINDOW": str(24 * 3600)})
    rig.smtp.answer_for(OUTAGE_SECONDS, "421 4.3.2 Service shutting down, try later")
    started = time.monotonic()
    emails = queue_emails(20, label="six-minute outage")
    swept = 0
    while time.monotonic() - started < OUTAGE_SECONDS + 300:
        if all(s == "sent" for s in statuses(emails).elements()):
            break
        time.sleep(SWEEP_EVERY_SECONDS)
        swept += outbox.outbound_email_requeue_stale()
    rows = wait_until_settled(emails, timeout=60)
    rig.wait_until_idle()
    assert [row.status for row in rows] == ["sent"] * 20
    assert_each_accepted_once(rig.smtp, rows)
    report("421 for 6 minutes, production backoff, sweep every minute", emails=20,
           refused=len(rig.smtp.refused), max_attempts=max(row.attempts for row in rows),
           sweeps_enqueued=swept, delivered=len(rig.smtp.message_ids()),
           lost=20 - len(rig.smtp.message_ids()),
           duplicates=rig.smtp.accepted_count() - len(rig.smtp.message_ids()),
           all_sent_after_s=f"{time.monotonic() - started:.0f}")
