import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from hubportal import outbox as outbox_service
from hubportal.models import OutboundEmail
from hubportal.tasks import send_outbound_email


def _queue(hub=None, key="thing:1:hello", secret=False):
    return outbox_service.outbound_email_queue(
        key=key, to="jo.bloggs@nhs.net", template="sign_in_link",
        context={"link_url": "http://testserver/sign-in/link/abc/", "minutes": 30}, hub=hub, has_secret=secret,
    )


@pytest.mark.django_db(transaction=True)
def test_it_sends_the_email_only_after_the_transaction_commits(outbox):
    with transaction.atomic():
        email = _queue()
        assert outbox == []  # nothing leaves before commit
        assert OutboundEmail.objects.get().status == OutboundEmail.Status.QUEUED
    assert len(outbox) == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.sent_at is not None
    assert email.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_it_writes_no_row_and_sends_nothing_when_the_transaction_rolls_back(outbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        _queue()
        raise RuntimeError("the change that caused the email failed")
    assert OutboundEmail.objects.count() == 0
    assert outbox == []


@pytest.mark.django_db
def test_it_queues_the_same_key_once(django_capture_on_commit_callbacks, outbox):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = _queue()
        second = _queue()
    assert first.pk == second.pk
    assert OutboundEmail.objects.count() == 1
    assert len(callbacks) == 1
    assert len(outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_key_said_to_be_new_that_is_not_fails_the_whole_transaction_and_queues_it_once(outbox):
    from django.db import IntegrityError

    with transaction.atomic():
        first = _queue()
    with pytest.raises(IntegrityError), transaction.atomic():
        outbox_service.outbound_email_queue(key="thing:1:hello", to="jo.bloggs@nhs.net", template="sign_in_link",
                                            context={}, is_new_key=True)
    assert list(OutboundEmail.objects.values_list("pk", flat=True)) == [first.pk]
    assert len(outbox) == 1


@pytest.mark.django_db
def test_a_send_task_run_twice_sends_one_email(django_capture_on_commit_callbacks, outbox):
    with django_capture_on_commit_callbacks(execute=False):
        email = _queue()
    assert send_outbound_email.apply(args=[email.pk]).get() == outbox_service.SENT
    assert send_outbound_email.apply(args=[email.pk]).get() == outbox_service.NOTHING_TO_DO
    assert len(outbox) == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 1


@pytest.mark.django_db
def test_it_sets_a_stable_message_id_auto_submitted_and_the_hubs_reply_to(
        django_capture_on_commit_callbacks, outbox, hub):
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue(hub=hub)
    message = outbox[0]
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert message.reply_to == ["innovation.dorset@example.nhs.uk"]
    email.refresh_from_db()
    assert message.extra_headers["Message-ID"] == email.message_id
    assert email.message_id == outbox_service._message_id(email)  # derived from the key, so stable


@pytest.mark.django_db
def test_every_email_has_a_text_and_an_html_part(django_capture_on_commit_callbacks, outbox):
    with django_capture_on_commit_callbacks(execute=True):
        _queue()
    message = outbox[0]
    assert "http://testserver/sign-in/link/abc/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert 'href="http://testserver/sign-in/link/abc/"' in html


@pytest.mark.django_db
def test_it_wipes_a_secret_link_from_the_row_once_sent(django_capture_on_commit_callbacks, outbox):
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue(secret=True)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.context == {}
    assert "http://testserver/sign-in/link/abc/" in outbox[0].body


class RefusingBackend:
    """A mail backend that answers like a server refusing the message with a given SMTP code."""

    code = 451
    calls = 0

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        type(self).calls += 1
        raise smtplib.SMTPDataError(type(self).code, b"Refused by test server")


@pytest.fixture
def refusing_backend(settings):
    RefusingBackend.calls = 0
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    return RefusingBackend


@pytest.mark.django_db
def test_a_temporary_refusal_puts_the_email_back_in_the_queue_to_retry(
        django_capture_on_commit_callbacks, refusing_backend):
    refusing_backend.code = 451
    with django_capture_on_commit_callbacks(execute=False):
        email = _queue()
    assert outbox_service.outbound_email_send(email_id=email.pk) == outbox_service.RETRY
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.QUEUED
    assert "451" in email.last_error
    assert email.attempts == 1


@pytest.mark.django_db
def test_a_refused_send_is_retried_with_backoff_until_the_window_is_spent_then_marked_failed(
        django_capture_on_commit_callbacks, refusing_backend, settings):
    # Backoff 30 s, then 60 s (90 s waited); the next, 120 s, would pass a 100 s window.
    settings.EMAIL_SEND_RETRY_DELAY = 30
    settings.EMAIL_SEND_RETRY_WINDOW = 100
    refusing_backend.code = 421
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            email = _queue()
        email.refresh_from_db()
        # Eager tasks ignore the countdown: the retry ran at once and found it not yet due.
        assert (refusing_backend.calls, email.attempts, email.status) == (1, 1, "queued")
        assert email.next_attempt_at == start + timedelta(seconds=30)
    for seconds, attempts, status in [(31, 2, "queued"), (92, 3, "failed")]:
        with time_machine.travel(start + timedelta(seconds=seconds), tick=False):
            send_outbound_email(email.pk)
            email.refresh_from_db()
            assert (email.attempts, email.status) == (attempts, status)
    assert refusing_backend.calls == 3
    assert "421" in email.last_error


@pytest.mark.django_db
def test_the_retry_window_is_24_hours_of_backoff_each_delay_below_the_redis_visibility_timeout(settings):
    assert settings.EMAIL_SEND_RETRY_WINDOW == 24 * 60 * 60
    delays = [outbox_service.retry_delay_seconds(n) for n in range(1, 40)]
    assert max(delays) == 60 * 60 < settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3 * 3600)
    # How many attempts fit: the one that would start after 24 hours of backoff is never made.
    fitting = [n for n in range(1, 40) if outbox_service.retry_schedule_seconds(n) <= 24 * 60 * 60]
    assert len(fitting) == 30


@pytest.mark.django_db
def test_the_sweep_leaves_a_row_alone_while_its_retry_backoff_runs_and_re_drives_it_once_due(
        django_capture_on_commit_callbacks, refusing_backend, settings, outbox):
    settings.EMAIL_SEND_RETRY_DELAY = 60
    refusing_backend.code = 421
    start = timezone.now()
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        email = _queue()
    # A mail server refusing for minutes: the sweep runs every minute, and must not cut the 60 s
    # backoff short (it once spent every retry in four minutes and failed every email).
    for seconds in (10, 30, 50):
        with time_machine.travel(start + timedelta(seconds=seconds), tick=False):
            assert outbox_service.outbound_email_requeue_stale(older_than=timedelta(0)) == 0
    email.refresh_from_db()
    assert (email.status, email.attempts, refusing_backend.calls) == ("queued", 1, 1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the server recovers
    with time_machine.travel(email.next_attempt_at + timedelta(minutes=3), tick=False):
        assert outbox_service.outbound_email_requeue_stale() == 1  # its retry task was lost: due, re-driven
    email.refresh_from_db()
    assert email.status == "sent"
    assert len(outbox) == 1


@pytest.mark.django_db
def test_a_delivery_before_the_retry_is_due_claims_nothing(django_capture_on_commit_callbacks, refusing_backend):
    refusing_backend.code = 421
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue()
    assert outbox_service.outbound_email_send(email_id=email.pk) == outbox_service.NOTHING_TO_DO
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("queued", 1)


@pytest.mark.django_db
def test_a_permanent_refusal_marks_the_email_failed_without_retrying(
        django_capture_on_commit_callbacks, refusing_backend):
    refusing_backend.code = 550
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue()
    email.refresh_from_db()
    assert refusing_backend.calls == 1
    assert email.status == OutboundEmail.Status.FAILED
    assert "550" in email.last_error


@pytest.mark.django_db
def test_the_sweep_enqueues_rows_left_queued_and_they_are_sent_once(
        django_capture_on_commit_callbacks, outbox):
    with django_capture_on_commit_callbacks(execute=False):
        stale = _queue(key="stale:1")
        fresh = _queue(key="fresh:1")
    OutboundEmail.objects.filter(pk=stale.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=10))
    assert outbox_service.outbound_email_requeue_stale() == 1
    assert outbox_service.outbound_email_requeue_stale() == 0  # sent, so nothing left to re-drive
    assert [m.to for m in outbox] == [["jo.bloggs@nhs.net"]]
    assert OutboundEmail.objects.get(pk=stale.pk).status == OutboundEmail.Status.SENT
    assert OutboundEmail.objects.get(pk=fresh.pk).status == OutboundEmail.Status.QUEUED


@pytest.mark.django_db
def test_a_broker_outage_at_commit_leaves_the_row_queued_and_the_change_committed(
        django_capture_on_commit_callbacks, monkeypatch, outbox):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("Redis is down")

    monkeypatch.setattr(send_outbound_email, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.QUEUED
    assert outbox == []


@pytest.mark.django_db
def test_an_email_that_cannot_be_built_is_marked_failed_not_left_sending(django_capture_on_commit_callbacks, outbox):
    with django_capture_on_commit_callbacks(execute=True):
        email = outbox_service.outbound_email_queue(key="broken:1", to="jo.bloggs@nhs.net",
                                                    template="no_such_template", context={})
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED
    assert "Could not build the email: TemplateDoesNotExist" in email.last_error
    assert outbox == []
