"""The failed-email page: hub staff see this hub's emails that did not go, and send one again.

Tasks run eagerly here (CELERY_TASK_ALWAYS_EAGER=1), so "sent after commit" happens inside the
test once the on-commit callbacks run; tests/integration/test_email_faults.py does the same through
a real worker, Redis and SMTP server.
"""

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hubportal import email_views
from hubportal.models import OutboundEmail

_keys = itertools.count(1)


def make_email(hub, status, *, to="jo.bloggs@nhs.net", claimed_minutes_ago=None, **fields):
    """An outbox row as a send would have left it."""
    now = timezone.now()
    number = next(_keys)
    return OutboundEmail.objects.create(
        key=f"test:{number}:inquiry_acknowledgement", to=to, template="inquiry_acknowledgement",
        context={"reference": f"DOR-2026-{number:05d}", "inquiry_url": "http://testserver/inquiries/x/",
                 "target_days": 5},
        hub=hub, status=status, created_at=now - timedelta(hours=1),
        claimed_at=None if claimed_minutes_ago is None else now - timedelta(minutes=claimed_minutes_ago),
        **fields,
    )


def failed(hub, **fields):
    fields.setdefault("attempts", 1)
    fields.setdefault("last_error", "SMTPRecipientsRefused: {'jo.bloggs@nhs.net': (550, b'No such user')}")
    return make_email(hub, OutboundEmail.Status.FAILED, claimed_minutes_ago=60, **fields)


def stuck(hub, minutes=11, **fields):
    fields.setdefault("attempts", 1)
    return make_email(hub, OutboundEmail.Status.SENDING, claimed_minutes_ago=minutes, **fields)


def list_url(hub):
    return reverse("hubportal:staff_failed_emails", args=[hub.slug])


def resend_url(hub, email):
    return reverse("hubportal:staff_email_resend", args=[hub.slug, email.pk])


def delivered_url(hub, email):
    return reverse("hubportal:staff_email_mark_delivered", args=[hub.slug, email.pk])


def not_delivered_url(hub, email):
    return reverse("hubportal:staff_email_mark_not_delivered", args=[hub.slug, email.pk])


def listed(response):
    return [email.pk for email in response.context["page"].object_list]


@pytest.mark.django_db
def test_it_lists_this_hubs_failed_emails_and_those_stuck_in_sending_for_over_ten_minutes(
        lead_client, hub, other_hub):
    refused = failed(hub, to="refused@nhs.net")
    stuck_one = stuck(hub, to="stuck@nhs.net")
    stuck(hub, minutes=2, to="still-sending@nhs.net")  # a worker may be on it right now
    make_email(hub, OutboundEmail.Status.QUEUED)
    make_email(hub, OutboundEmail.Status.SENT)
    failed(other_hub, to="other-hub@nhs.net")
    failed(None, to="no-hub@nhs.net")  # sign-in links belong to no hub

    response = lead_client.get(list_url(hub))

    assert response.status_code == 200
    assert sorted(listed(response)) == sorted([refused.pk, stuck_one.pk])
    body = response.content.decode()
    assert "refused@nhs.net" in body and "stuck@nhs.net" in body
    assert "550" in body  # the last error
    assert "Inquiry acknowledgement" in body
    assert "Stuck while sending" in body
    assert "other-hub@nhs.net" not in body and "still-sending@nhs.net" not in body


@pytest.mark.django_db
def test_a_stuck_email_offers_no_send_again_button_only_not_delivered(lead_client, hub):
    email = stuck(hub)
    body = lead_client.get(list_url(hub)).content.decode()
    assert not_delivered_url(hub, email) in body
    assert resend_url(hub, email) not in body


@pytest.mark.django_db
def test_the_list_is_paginated(lead_client, hub):
    for _ in range(30):
        failed(hub)
    first = lead_client.get(list_url(hub))
    second = lead_client.get(list_url(hub), {"page": 2})
    assert len(listed(first)) == email_views.PAGE_SIZE
    assert len(listed(second)) == 30 - email_views.PAGE_SIZE
    assert not set(listed(first)) & set(listed(second))


@pytest.mark.django_db
def test_the_list_keeps_a_fixed_query_count_as_emails_grow(lead_client, hub):
    failed(hub)
    stuck(hub)
    lead_client.get(list_url(hub))  # warm the session and the hub lookups
    with CaptureQueriesContext(connection) as few:
        lead_client.get(list_url(hub))
    for _ in range(20):
        failed(hub)
        stuck(hub)
    with CaptureQueriesContext(connection) as many:
        lead_client.get(list_url(hub))
    assert len(many) == len(few)


@pytest.mark.django_db(transaction=True)
def test_send_again_puts_a_failed_email_back_in_the_queue_and_it_is_sent_once(lead_client, hub, outbox):
    email = failed(hub, attempts=3)

    response = lead_client.post(resend_url(hub, email))

    assert response.status_code == 302
    assert response["Location"] == list_url(hub)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 1  # counted again from nought, then one send
    assert email.last_error == ""
    assert [message.to for message in outbox] == [["jo.bloggs@nhs.net"]]
    assert outbox[0].extra_headers["Message-ID"] == email.message_id

    again = lead_client.post(resend_url(hub, email), follow=True)  # a second press, or a second person
    assert "no longer failed" in again.content.decode()
    assert len(outbox) == 1


@pytest.mark.django_db
def test_send_again_queues_the_email_only_when_the_transaction_commits(
        lead_client, hub, outbox, django_capture_on_commit_callbacks):
    email = failed(hub)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lead_client.post(resend_url(hub, email))
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.QUEUED
    assert email.attempts == 0
    assert outbox == []
    assert len(callbacks) == 1


@pytest.mark.django_db(transaction=True)
def test_a_stuck_email_is_never_sent_again_directly(lead_client, hub, outbox):
    email = stuck(hub)
    response = lead_client.post(resend_url(hub, email), follow=True)
    assert "no longer failed" in response.content.decode()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENDING
    assert outbox == []


@pytest.mark.django_db(transaction=True)
def test_a_person_marks_a_stuck_email_not_delivered_and_then_sends_it_again(
        lead_client, hub, hub_lead, outbox):
    email = stuck(hub, last_error="")

    lead_client.post(not_delivered_url(hub, email))

    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED
    assert "Sarah Whitfield checked it was not delivered" in email.last_error
    assert outbox == []  # marking sends nothing

    lead_client.post(resend_url(hub, email))
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert len(outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_person_marks_a_stuck_email_delivered_and_it_leaves_the_list_without_being_sent(
        lead_client, hub, hub_lead, outbox):
    email = stuck(hub, last_error="")
    response = lead_client.post(delivered_url(hub, email), follow=True)
    assert "is marked delivered" in response.content.decode()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.sent_at is not None
    assert "Sarah Whitfield checked it was delivered" in email.last_error
    assert outbox == []
    assert email.to not in lead_client.get(list_url(hub)).content.decode()


@pytest.mark.django_db
def test_an_email_sending_for_less_than_ten_minutes_cannot_be_marked_not_delivered(lead_client, hub):
    email = stuck(hub, minutes=3)
    response = lead_client.post(not_delivered_url(hub, email), follow=True)
    assert "no longer stuck" in response.content.decode()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENDING


@pytest.mark.django_db
def test_two_presses_of_send_again_queue_the_email_once(hub, hub_lead, django_capture_on_commit_callbacks):
    email = failed(hub)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email_views.outbound_email_resend(hub=hub, email_id=email.pk, by=hub_lead)
        with pytest.raises(email_views.EmailNotResendable):
            email_views.outbound_email_resend(hub=hub, email_id=email.pk, by=hub_lead)
    assert len(callbacks) == 1


# --- Who may use the page ------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_lead_of_another_hub_gets_404_for_the_list_and_for_this_hubs_emails(
        other_lead_client, hub, other_hub, outbox):
    refused = failed(hub, to="private.person@nhs.net")
    stuck_one = stuck(hub)
    attempts = [
        ("get", list_url(hub)),
        ("post", resend_url(hub, refused)),
        ("post", not_delivered_url(hub, stuck_one)),
        ("post", delivered_url(hub, stuck_one)),
        # This hub's email ids under the other lead's own hub: still not theirs.
        ("post", reverse("hubportal:staff_email_resend", args=[other_hub.slug, refused.pk])),
        ("post", reverse("hubportal:staff_email_mark_not_delivered", args=[other_hub.slug, stuck_one.pk])),
        ("post", reverse("hubportal:staff_email_mark_delivered", args=[other_hub.slug, stuck_one.pk])),
    ]
    for method, url in attempts:
        response = getattr(other_lead_client, method)(url)
        assert response.status_code == 404, (method, url)
        assert b"private.person@nhs.net" not in response.content
    refused.refresh_from_db()
    stuck_one.refresh_from_db()
    assert refused.status == OutboundEmail.Status.FAILED
    assert stuck_one.status == OutboundEmail.Status.SENDING
    assert outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "submitter", "lead_without_second_factor"])
def test_anyone_not_signed_in_as_staff_is_sent_to_the_staff_sign_in(client, hub, submitter, hub_lead, who):
    if who == "submitter":
        client.force_login(submitter)
    elif who == "lead_without_second_factor":
        client.force_login(hub_lead)  # a password alone: no verified device in the session
    refused = failed(hub)
    stuck_one = stuck(hub)
    for method, url in [("get", list_url(hub)), ("post", resend_url(hub, refused)),
                        ("post", not_delivered_url(hub, stuck_one)), ("post", delivered_url(hub, stuck_one))]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, (who, method, url)
        assert response["Location"].startswith("/staff/sign-in/?next="), (who, url)
    refused.refresh_from_db()
    stuck_one.refresh_from_db()
    assert refused.status == OutboundEmail.Status.FAILED
    assert stuck_one.status == OutboundEmail.Status.SENDING


@pytest.mark.django_db
def test_send_again_refuses_a_get(lead_client, hub):
    email = failed(hub)
    assert lead_client.get(resend_url(hub, email)).status_code == 405
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED


# --- Emails of no hub (sign-in links): administrators, through admin ------------------------------

@pytest.fixture
def admin_client(client, db):
    from tests.conftest import sign_in_staff
    from tests.factories import UserFactory

    return sign_in_staff(client, UserFactory(email="admin@example.nhs.uk", is_staff=True, is_superuser=True))


ADMIN_LIST = "/admin/hubportal/outboundemail/"


@pytest.mark.django_db
def test_administrators_see_failed_and_stuck_emails_of_no_hub_that_hub_leads_never_see(
        admin_client, hub, other_hub, client):
    no_hub_failed = failed(None, to="signing-in@nhs.net")
    no_hub_stuck = stuck(None, to="stuck-sign-in@nhs.net")
    make_email(None, OutboundEmail.Status.SENT, to="went@nhs.net")
    hub_failed = failed(hub, to="hub@nhs.net")

    page = admin_client.get(ADMIN_LIST, {"attention": "no_hub"})
    assert sorted(e.pk for e in page.context["cl"].result_list) == sorted([no_hub_failed.pk, no_hub_stuck.pk])
    everything = admin_client.get(ADMIN_LIST, {"attention": "yes"})
    assert sorted(e.pk for e in everything.context["cl"].result_list) == sorted(
        [no_hub_failed.pk, no_hub_stuck.pk, hub_failed.pk])


@pytest.mark.django_db
def test_a_hub_lead_sees_only_their_hubs_emails_and_cannot_open_the_admin_list(lead_client, hub):
    failed(None, to="signing-in@nhs.net")
    mine = failed(hub, to="hub@nhs.net")
    assert listed(lead_client.get(list_url(hub))) == [mine.pk]
    response = lead_client.get(ADMIN_LIST)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_administrators_mark_a_stuck_email_of_no_hub_not_delivered_then_send_it_again(
        admin_client, outbox, django_capture_on_commit_callbacks):
    email = stuck(None, to="stuck-sign-in@nhs.net")
    admin_client.post(ADMIN_LIST, {"action": "mark_not_delivered", "_selected_action": [email.pk]})
    email.refresh_from_db()
    assert email.status == "failed"
    assert "checked it was not delivered" in email.last_error
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(ADMIN_LIST, {"action": "resend", "_selected_action": [email.pk]})
    email.refresh_from_db()
    assert email.status == "sent"
    assert [m.to for m in outbox] == [["stuck-sign-in@nhs.net"]]


@pytest.mark.django_db
def test_administrators_mark_a_stuck_email_of_no_hub_delivered(admin_client):
    email = stuck(None, to="stuck-sign-in@nhs.net")
    too_recent = stuck(None, minutes=2)
    admin_client.post(ADMIN_LIST, {"action": "mark_delivered", "_selected_action": [email.pk, too_recent.pk]})
    email.refresh_from_db()
    too_recent.refresh_from_db()
    assert email.status == "sent" and email.sent_at is not None
    assert too_recent.status == "sending"  # a worker may still be on it


# --- Secure links are erased from rows that will not be sent --------------------------------------

SIGN_IN_CONTEXT = {"link_url": "http://testserver/sign-in/link/RAW-TOKEN/", "minutes": 30}


def secret_email(status, **fields):
    return OutboundEmail.objects.create(
        key=f"secret:{next(_keys)}:sign-in", to="jo.bloggs@nhs.net", template="sign_in_link",
        context=dict(SIGN_IN_CONTEXT), has_secret=True, status=status, **fields)


class _Refusing:
    code = 550

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        import smtplib
        raise smtplib.SMTPDataError(type(self).code, b"Refused")


@pytest.mark.django_db
@pytest.mark.parametrize("code", [550, 421])
def test_a_sign_in_email_that_fails_for_good_keeps_no_copy_of_its_link(settings, code):
    from hubportal import outbox as outbox_service

    settings.EMAIL_BACKEND = f"{__name__}._Refusing"
    settings.EMAIL_SEND_RETRY_WINDOW = 0  # a 421 with no retries left fails too
    _Refusing.code = code
    email = secret_email(OutboundEmail.Status.QUEUED)
    assert outbox_service.outbound_email_send(email_id=email.pk) == outbox_service.FAILED
    email.refresh_from_db()
    assert email.status == "failed" and email.context == {}
    assert "RAW-TOKEN" not in str(OutboundEmail.objects.filter(pk=email.pk).values().get())


@pytest.mark.django_db
def test_a_retried_sign_in_email_keeps_its_link_until_it_has_gone(settings):
    from hubportal import outbox as outbox_service

    settings.EMAIL_BACKEND = f"{__name__}._Refusing"
    _Refusing.code = 451
    email = secret_email(OutboundEmail.Status.QUEUED)
    assert outbox_service.outbound_email_send(email_id=email.pk) == outbox_service.RETRY
    email.refresh_from_db()
    assert email.context == SIGN_IN_CONTEXT  # needed for the retry


@pytest.mark.django_db
def test_the_sweep_erases_links_of_failed_and_abandoned_rows_but_not_of_those_still_going():
    from hubportal.tasks import requeue_stale_outbound_email

    now = timezone.now()
    old_failed = secret_email(OutboundEmail.Status.FAILED)
    abandoned = secret_email(OutboundEmail.Status.SENDING, claimed_at=now - timedelta(minutes=11))
    in_hand = secret_email(OutboundEmail.Status.SENDING, claimed_at=now - timedelta(minutes=1))
    waiting = secret_email(OutboundEmail.Status.QUEUED, next_attempt_at=now + timedelta(minutes=5))
    plain = failed(None)

    requeue_stale_outbound_email()

    contexts = dict(OutboundEmail.objects.values_list("pk", "context"))
    assert contexts[old_failed.pk] == {} and contexts[abandoned.pk] == {}
    assert contexts[in_hand.pk] == SIGN_IN_CONTEXT and contexts[waiting.pk] == SIGN_IN_CONTEXT
    assert contexts[plain.pk] != {}  # no secret in it: kept, so it can be sent again


@pytest.mark.django_db
def test_a_failed_email_whose_link_was_erased_is_not_sent_again_blank(lead_client, hub, outbox,
                                                                     django_capture_on_commit_callbacks):
    email = failed(hub, has_secret=True)
    OutboundEmail.objects.filter(pk=email.pk).update(context={})
    body = lead_client.get(list_url(hub)).content.decode()
    assert resend_url(hub, email) not in body
    assert "send a new link instead" in body
    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(resend_url(hub, email), follow=True)
    assert "carried a secure link" in response.content.decode()
    email.refresh_from_db()
    assert email.status == "failed"
    assert outbox == []
