"""GOV.UK Notify as the email provider, through the outbox, against a local server speaking Notify's
documented API (tests/http_servers.FakeNotify: its JWT authentication, its answers and its errors).

The outbox is the same as for SMTP: a row, claimed before sending, retried when Notify says "later"
(429, 5xx, unreachable), failed and shown to staff when it says "no" (400, 403), never sent twice.
"""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import transaction

from hubportal.models import OutboundEmail
from hubportal.outbox import (
    FAILED,
    NOTHING_TO_DO,
    RETRY,
    SENT,
    outbound_email_queue,
    outbound_email_render,
    outbound_email_requeue_stale,
    outbound_email_send,
)
from tests.http_servers import (
    DROP,
    NOTIFY_API_KEY,
    NOTIFY_SERVICE_ID,
    NOTIFY_TEMPLATE_ID,
    FakeNotify,
    url_of_nothing,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def notify_settings(settings):
    settings.EMAIL_BACKEND = "hubportal.notify_backend.NotifyEmailBackend"
    settings.NOTIFY_API_KEY = NOTIFY_API_KEY
    settings.NOTIFY_TEMPLATE_ID = NOTIFY_TEMPLATE_ID
    settings.NOTIFY_TIMEOUT = 1
    return settings


def queue(hub, key="inquiry:1:acknowledgement"):
    with transaction.atomic():
        return outbound_email_queue(
            key=key, to="jo.bloggs@nhs.net", template="inquiry_acknowledgement", hub=hub,
            context={"reference": "DOR-2026-00001", "inquiry_url": "http://testserver/inquiries/x/",
                     "target_days": 5})


def references(notify):
    return [r.json()["reference"] for r in notify.accepted]


@pytest.mark.django_db
def test_it_sends_through_notifys_generic_template_after_commit(
        notify_settings, hub, django_capture_on_commit_callbacks):
    with FakeNotify() as notify:
        notify_settings.NOTIFY_BASE_URL = notify.url
        with django_capture_on_commit_callbacks(execute=True):
            email = queue(hub)
        email.refresh_from_db()
        assert (email.status, email.attempts, email.last_error) == ("sent", 1, "")
        [request] = notify.accepted
        body = request.json()
        assert body["email_address"] == "jo.bloggs@nhs.net"
        assert body["template_id"] == NOTIFY_TEMPLATE_ID
        # Our templates, rendered by us: Notify's template only places ((subject)) and ((body)).
        subject, text, _ = outbound_email_render(email)
        assert body["personalisation"] == {"subject": subject, "body": text}
        assert "DOR-2026-00001" in subject and "http://testserver/inquiries/x/" in text
        # The reference is the outbox row's stable Message-ID (a hash of its key): no personal data.
        assert f"<{body['reference']}>" == email.message_id
        assert "jo.bloggs" not in body["reference"]
        assert request.headers["authorization"].startswith("Bearer ")


@pytest.mark.django_db
def test_the_request_carries_a_jwt_notify_accepts_and_a_wrong_key_is_refused_for_good(notify_settings, hub):
    # The fake checks the signature with the key's secret, iss = service id and iat, as Notify does.
    with FakeNotify(secret="0f0c3a4e-5b1d-4f6a-9e2c-7d8b9a0c1e2f") as notify:
        notify_settings.NOTIFY_BASE_URL = notify.url
        email = queue(hub)
        assert outbound_email_send(email_id=email.pk) == FAILED
        email.refresh_from_db()
        assert email.status == "failed"
        assert "GOV.UK Notify answered 403" in email.last_error and "Invalid token" in email.last_error
        assert notify.accepted == [] and len(notify.received) == 1
    import jwt

    token = notify.received[0].headers["authorization"].removeprefix("Bearer ")
    assert jwt.decode(token, options={"verify_signature": False})["iss"] == NOTIFY_SERVICE_ID


@pytest.mark.django_db
@pytest.mark.parametrize("refusal", [429, 500, 503])
def test_a_refusal_for_now_is_retried_and_then_sent_once(notify_settings, hub, refusal):
    with FakeNotify([refusal]) as notify:
        notify_settings.NOTIFY_BASE_URL = notify.url
        email = queue(hub)
        assert outbound_email_send(email_id=email.pk) == RETRY
        email.refresh_from_db()
        assert (email.status, email.attempts) == ("queued", 1)
        assert f"GOV.UK Notify answered {refusal}" in email.last_error
        assert outbound_email_send(email_id=email.pk) == NOTHING_TO_DO  # its backoff has not run yet
        with time_machine.travel(email.next_attempt_at, tick=False):
            assert outbound_email_send(email_id=email.pk) == SENT
            assert outbound_email_send(email_id=email.pk) == NOTHING_TO_DO
        email.refresh_from_db()
        assert (email.status, email.attempts) == ("sent", 2)
        assert len(notify.received) == 2
        assert references(notify) == [email.message_id.strip("<>")]  # accepted once: duplicates 0


@pytest.mark.django_db
def test_a_400_fails_at_once_and_shows_notifys_reason(notify_settings, hub):
    with FakeNotify([400]) as notify:
        notify_settings.NOTIFY_BASE_URL = notify.url
        email = queue(hub)
        assert outbound_email_send(email_id=email.pk) == FAILED
        assert outbound_email_send(email_id=email.pk) == NOTHING_TO_DO
        email.refresh_from_db()
        assert (email.status, email.attempts) == ("failed", 1)
        assert "answered 400" in email.last_error and "team-only API key" in email.last_error
        assert len(notify.received) == 1 and notify.accepted == []


@pytest.mark.django_db
def test_a_403_fails_at_once(notify_settings, hub):
    with FakeNotify([403]) as notify:
        notify_settings.NOTIFY_BASE_URL = notify.url
        email = queue(hub)
        assert outbound_email_send(email_id=email.pk) == FAILED
        assert OutboundEmail.objects.get().status == "failed"
        assert len(notify.received) == 1


@pytest.mark.django_db
def test_notify_unreachable_is_retried(notify_settings, hub):
    notify_settings.NOTIFY_BASE_URL = url_of_nothing().removesuffix("/hook")
    email = queue(hub)
    assert outbound_email_send(email_id=email.pk) == RETRY
    email.refresh_from_db()
    assert email.status == "queued" and "Could not reach GOV.UK Notify" in email.last_error


@pytest.mark.django_db
def test_an_answer_lost_on_the_way_back_is_never_sent_again_by_itself(notify_settings, hub):
    with FakeNotify([DROP]) as notify:
        notify_settings.NOTIFY_BASE_URL = notify.url
        email = queue(hub)
        assert outbound_email_send(email_id=email.pk) == FAILED
        email.refresh_from_db()
        assert email.status == "failed" and "may have accepted it" in email.last_error
        assert len(notify.received) == 1


@pytest.mark.django_db
def test_through_the_task_a_500_then_success_sends_once(notify_settings, hub, django_capture_on_commit_callbacks):
    # Each refusal leaves the row queued until its backoff is over; the sweep then re-drives it
    # through the task, which sends it once.
    with FakeNotify([500, 429]) as notify:
        notify_settings.NOTIFY_BASE_URL = notify.url
        with django_capture_on_commit_callbacks(execute=True):
            email = queue(hub)
        for _ in range(2):
            email.refresh_from_db()
            assert email.status == "queued"
            with time_machine.travel(email.next_attempt_at + timedelta(seconds=1), tick=False), \
                    django_capture_on_commit_callbacks(execute=True):
                assert outbound_email_requeue_stale(older_than=timedelta(0)) == 1
        email.refresh_from_db()
        assert (email.status, email.attempts) == ("sent", 3)
        assert len(notify.received) == 3 and len(notify.accepted) == 1


def _settings_with(env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("NOTIFY_", "EMAIL_"))}
    code = "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**clean, "DJANGO_SETTINGS_MODULE": "hubportal.settings", **env})


def test_email_provider_notify_chooses_the_notify_backend_and_needs_its_key():
    chosen = _settings_with({"EMAIL_PROVIDER": "notify", "NOTIFY_API_KEY": NOTIFY_API_KEY,
                             "NOTIFY_TEMPLATE_ID": NOTIFY_TEMPLATE_ID})
    assert chosen.stdout.strip() == "hubportal.notify_backend.NotifyEmailBackend", chosen.stderr
    missing = _settings_with({"EMAIL_PROVIDER": "notify", "NOTIFY_TEMPLATE_ID": NOTIFY_TEMPLATE_ID})
    assert missing.returncode != 0 and "EMAIL_PROVIDER=notify needs NOTIFY_API_KEY" in missing.stderr
    wrong = _settings_with({"EMAIL_PROVIDER": "pigeon"})
    assert wrong.returncode != 0 and "EMAIL_PROVIDER must be smtp or notify" in wrong.stderr
