"""Outbound webhooks: a row in the event's transaction, sent after commit to a real HTTP server on
loopback, retried with backoff, failures shown to hub staff, never sent twice.

Tasks run eagerly (CELERY_TASK_ALWAYS_EAGER=1): "sent after commit" happens inside the test once the
on-commit callbacks run, and the sweep's enqueue sends at once. The clock travels with time-machine
to make retries due.
"""

import datetime as dt
import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from hubportal import webhooks
from hubportal.models import WebhookDelivery, WebhookEndpoint
from hubportal.reminders import reminders_send
from hubportal.tasks import send_webhook_delivery
from hubportal.workdays import LONDON
from intake import services as intake_services
from signposting import services as signposting_services
from tests.factories import DraftFactory
from tests.http_servers import DROP, SLOW, Answer, ScriptedServer, url_of_nothing
from tests.partners.conftest import partner, partner_contact  # noqa: F401 - fixtures

# A Friday afternoon in London: the hub's 5 working days of triage end on the next Friday.
FRIDAY = dt.datetime(2026, 11, 20, 14, 0, tzinfo=LONDON)
ALL_EVENTS = list(webhooks.EVENTS)


@pytest.fixture(autouse=True)
def _loopback_receivers(settings):
    # The receivers in these tests are http:// on 127.0.0.1, as WEBHOOK_ALLOW_LOOPBACK allows.
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_TIMEOUT = 1
    settings.WEBHOOK_RETRY_DELAY = 30
    settings.WEBHOOK_RETRY_WINDOW_HOURS = 24


def endpoint_for(hub, url, *, kind=WebhookEndpoint.Kind.JSON, events=None, by=None, name="Triage channel"):
    from tests.factories import UserFactory

    return webhooks.webhook_endpoint_create(hub=hub, by=by or UserFactory(), name=name, kind=kind, url=url,
                                            events=ALL_EVENTS if events is None else events)


def submit(submitter, hub, **fields):
    draft = DraftFactory(submitter=submitter, hub=hub, **fields)
    return intake_services.inquiry_submit(inquiry=draft, by=submitter)


def delivery_for(endpoint, event=webhooks.INQUIRY_SUBMITTED, subject="intake.inquiry:1"):
    """Queue one event to one endpoint, as an event's transaction would, without sending it."""
    with transaction.atomic():
        webhooks.webhook_event_emit(hub=endpoint.hub, event=event, subject=subject, reference="DOR-2026-00001",
                                    kind_of_help="I have a new idea", link="http://testserver/staff/dorset/x/")
    return WebhookDelivery.objects.get(key=f"{endpoint.pk}:{event}:{subject}")


def verify(secret, headers, body, *, tolerance=300, now=None):
    """The receiver's check from docs/webhooks.md, as a receiver would write it."""
    timestamp = headers["x-hub-timestamp"]
    if abs((now or time.time()) - int(timestamp)) > tolerance:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-hub-signature"])


# --- Events are queued with the change, sent after commit --------------------------------------------

@pytest.mark.django_db
def test_it_queues_a_new_inquiry_in_the_submissions_follow_up_and_sends_it_only_after_that_commits(
        hub, submitter, django_capture_on_commit_callbacks):
    with ScriptedServer() as receiver:
        endpoint = endpoint_for(hub, receiver.url + "/hook")
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            inquiry = submit(submitter, hub)
        # The submit request only promises the follow-up (a reminder due now); the fan-out is after commit.
        assert WebhookDelivery.objects.count() == 0
        with django_capture_on_commit_callbacks(execute=False) as follow_up_callbacks:
            for callback in callbacks:
                callback()  # the follow-up task (eager in tests)
        delivery = WebhookDelivery.objects.get()
        assert (delivery.endpoint, delivery.event, delivery.status) == (endpoint, "inquiry.submitted", "queued")
        assert delivery.key == f"{endpoint.pk}:inquiry.submitted:intake.inquiry:{inquiry.pk}"
        assert receiver.received == []  # nothing leaves before the follow-up commits
        for callback in follow_up_callbacks:
            callback()
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 1, 200)
        assert len(receiver.received) == 1
        body = receiver.received[0].json()
        assert body["event"] == "inquiry.submitted"
        assert body["reference"] == inquiry.reference
        assert body["hub"] == "Dorset Innovation Hub"
        assert body["kind_of_help"] == "I have a new idea"
        assert body["link"] == f"http://testserver/staff/dorset/inquiries/{inquiry.reference}/"
        assert body["id"] == str(delivery.public_id) == receiver.received[0].headers["x-hub-delivery"]


@pytest.mark.django_db
def test_a_rolled_back_submission_queues_and_sends_nothing(hub, submitter, django_capture_on_commit_callbacks):
    with ScriptedServer() as receiver:
        endpoint_for(hub, receiver.url)
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
            with transaction.atomic():
                submit(submitter, hub)
                raise RuntimeError("something later in the request failed")
        assert WebhookDelivery.objects.count() == 0
        assert receiver.received == []


@pytest.mark.django_db
def test_it_goes_only_to_active_endpoints_of_the_hub_that_chose_the_event(
        hub, other_hub, submitter, hub_lead, django_capture_on_commit_callbacks):
    with ScriptedServer() as receiver:
        chose = endpoint_for(hub, receiver.url + "/chose", events=[webhooks.INQUIRY_SUBMITTED])
        endpoint_for(hub, receiver.url + "/declines-only", events=[webhooks.REFERRAL_DECLINED])
        off = endpoint_for(hub, receiver.url + "/off")
        webhooks.webhook_endpoint_deactivate(endpoint=off, by=hub_lead)
        endpoint_for(other_hub, receiver.url + "/other-hub")
        with django_capture_on_commit_callbacks(execute=True):
            submit(submitter, hub)
        assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [chose.pk]
        assert [r.path for r in receiver.received] == ["/chose"]


@pytest.mark.django_db
def test_the_payload_carries_no_personal_data_in_either_kind(hub, submitter, django_capture_on_commit_callbacks):
    with ScriptedServer() as receiver:
        endpoint_for(hub, receiver.url + "/json")
        endpoint_for(hub, receiver.url + "/teams", kind=WebhookEndpoint.Kind.TEAMS)
        with django_capture_on_commit_callbacks(execute=True):
            inquiry = submit(submitter, hub, title="Virtual ward for frailty", contact_name="Jo Bloggs",
                             problem="Patients wait in hospital for observations.",
                             organisation="Dorset County Hospital", role="Ward manager")
        assert len(receiver.received) == 2
        for request in receiver.received:
            text = request.body.decode()
            assert inquiry.reference in text
            for personal in ("Virtual ward for frailty", "Jo Bloggs", "jo.bloggs", "nhs.net",
                             "Patients wait in hospital", "Dorset County Hospital", "Ward manager",
                             inquiry.proposed_innovation, inquiry.who_benefits, inquiry.evidence):
                assert personal not in text, (request.path, personal)
        stored = json.dumps(list(WebhookDelivery.objects.values_list("payload", flat=True)))
        assert "Jo Bloggs" not in stored and "Virtual ward for frailty" not in stored


@pytest.mark.django_db
def test_triage_overdue_is_sent_once_when_the_overdue_reminder_comes(
        hub, submitter, hub_lead, django_capture_on_commit_callbacks):
    with ScriptedServer() as receiver:
        endpoint_for(hub, receiver.url, events=[webhooks.TRIAGE_OVERDUE])
        with time_machine.travel(FRIDAY, tick=False):
            inquiry = submit(submitter, hub)
        due = dt.datetime(2026, 11, 27, 10, tzinfo=LONDON)
        overdue = dt.datetime(2026, 11, 30, 10, tzinfo=LONDON)
        with django_capture_on_commit_callbacks(execute=True):
            reminders_send(now=due)
            assert receiver.received == []  # "due today" is not overdue
            reminders_send(now=overdue)
            reminders_send(now=overdue + timedelta(hours=1))
        assert [r.json()["event"] for r in receiver.received] == ["inquiry.triage_overdue"]
        assert receiver.received[0].json()["reference"] == inquiry.reference
        assert WebhookDelivery.objects.get().status == "sent"


@pytest.mark.django_db
def test_a_declined_referral_is_sent_with_the_inquirys_reference(
        hub, submitter, hub_lead, partner, partner_contact, django_capture_on_commit_callbacks):  # noqa: F811
    with ScriptedServer() as receiver:
        endpoint_for(hub, receiver.url, events=[webhooks.REFERRAL_DECLINED], kind=WebhookEndpoint.Kind.TEAMS)
        inquiry = submit(submitter, hub, kind_of_help="evaluation", consent_share_with_partners=True)
        referral = signposting_services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
        with django_capture_on_commit_callbacks(execute=True):
            signposting_services.referral_decline(referral=referral, contact=partner_contact, reason="other",
                                                  details="Priya Natarajan thinks this is not for us")
        delivery = WebhookDelivery.objects.get()
        assert (delivery.event, delivery.status) == ("referral.declined", "sent")
        assert delivery.key.endswith(f"signposting.referral:{referral.pk}")
        text = receiver.received[0].body.decode()
        assert inquiry.reference in text and "I need help with evaluation" in text
        assert "Priya" not in text and "not for us" not in text


def test_the_value_report_event_exists_for_issue_11_to_raise():
    assert webhooks.EVENTS[webhooks.VALUE_REPORT_PUBLISHED] == "A value report is published"


# --- What goes on the wire ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_json_requests_are_signed_over_the_timestamp_and_the_raw_body(hub):
    with ScriptedServer() as receiver:
        endpoint = endpoint_for(hub, receiver.url)
        delivery = delivery_for(endpoint)
        assert webhooks.webhook_delivery_send(delivery_id=delivery.pk) == webhooks.SENT
        request = receiver.received[0]
        assert request.headers["content-type"] == "application/json"
        assert request.headers["x-hub-event"] == "inquiry.submitted"
        assert verify(endpoint.secret, request.headers, request.body)
        assert not verify("another-secret", request.headers, request.body)
        assert not verify(endpoint.secret, request.headers, request.body.replace(b"DOR", b"MAN"))
        # An old request replayed later is refused by the timestamp check.
        assert not verify(endpoint.secret, request.headers, request.body, now=time.time() + 3600)


@pytest.mark.django_db
def test_teams_gets_an_adaptive_card_message_and_no_signature(hub):
    with ScriptedServer() as receiver:
        endpoint = endpoint_for(hub, receiver.url, kind=WebhookEndpoint.Kind.TEAMS)
        webhooks.webhook_delivery_send(delivery_id=delivery_for(endpoint).pk)
        request = receiver.received[0]
        assert "x-hub-signature" not in request.headers
        message = request.json()
        assert message["type"] == "message"
        [attachment] = message["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        card = attachment["content"]
        assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
        assert card["body"][0]["text"] == "New inquiry"
        assert card["body"][1]["facts"] == [
            {"title": "Hub", "value": "Dorset Innovation Hub"},
            {"title": "Reference", "value": "DOR-2026-00001"},
            {"title": "Kind of help", "value": "I have a new idea"},
        ]
        assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open in the Front Door",
                                    "url": "http://testserver/staff/dorset/x/"}]


# --- Faults: retried, failed and shown, never twice ---------------------------------------------------

@pytest.mark.django_db
def test_a_500_is_retried_after_the_backoff_and_then_sent_once(hub):
    start = timezone.now()
    with ScriptedServer([500, 500, 200]) as receiver, time_machine.travel(start, tick=False) as clock:
        delivery = delivery_for(endpoint_for(hub, receiver.url))
        assert webhooks.webhook_delivery_send(delivery_id=delivery.pk) == webhooks.RETRY
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("queued", 1, 500)
        assert delivery.next_attempt_at == start + timedelta(seconds=30)
        assert "The receiver answered 500" in delivery.last_error
        # Not due yet: neither the sweep nor a stray task sends it.
        assert webhooks.webhook_deliveries_redrive() == 0
        assert webhooks.webhook_delivery_send(delivery_id=delivery.pk) == webhooks.NOTHING_TO_DO
        clock.shift(30)
        assert webhooks.webhook_deliveries_redrive() == 1  # second attempt: 500 again, doubles the wait
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.next_attempt_at) == (2, start + timedelta(seconds=90))
        clock.shift(60)
        assert webhooks.webhook_deliveries_redrive() == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, "")
        clock.shift(3600)
        assert webhooks.webhook_deliveries_redrive() == 0
        assert webhooks.webhook_delivery_send(delivery_id=delivery.pk) == webhooks.NOTHING_TO_DO
        ids = {r.headers["x-hub-delivery"] for r in receiver.received}
        assert len(receiver.received) == 3 and ids == {str(delivery.public_id)}


@pytest.mark.django_db
def test_a_429_waits_as_long_as_the_receiver_asks(hub):
    start = timezone.now()
    with ScriptedServer([Answer(429, "slow down", {"Retry-After": "120"})]) as receiver, \
            time_machine.travel(start, tick=False):
        delivery = delivery_for(endpoint_for(hub, receiver.url))
        assert webhooks.webhook_delivery_send(delivery_id=delivery.pk) == webhooks.RETRY
        delivery.refresh_from_db()
        assert (delivery.status, delivery.last_status_code) == ("queued", 429)
        assert delivery.next_attempt_at == start + timedelta(seconds=120)


@pytest.mark.django_db
def test_a_400_fails_at_once_and_is_not_retried(hub):
    with ScriptedServer([400]) as receiver:
        delivery = delivery_for(endpoint_for(hub, receiver.url))
        assert webhooks.webhook_delivery_send(delivery_id=delivery.pk) == webhooks.FAILED
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 400)
        assert "answered 400" in delivery.last_error and "not retried" in delivery.last_error
        with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
            assert webhooks.webhook_deliveries_redrive() == 0
        assert len(receiver.received) == 1


@pytest.mark.django_db
def test_a_redirect_is_not_followed(hub):
    with ScriptedServer([Answer(302, "", {"Location": "http://127.0.0.1:9/elsewhere"})]) as receiver:
        delivery = delivery_for(endpoint_for(hub, receiver.url))
        assert webhooks.webhook_delivery_send(delivery_id=delivery.pk) == webhooks.FAILED
        assert WebhookDelivery.objects.get().last_status_code == 302
        assert len(receiver.received) == 1


@pytest.mark.django_db
def test_a_receiver_that_is_down_is_retried_until_the_window_closes_then_failed(hub, settings):
    settings.WEBHOOK_RETRY_WINDOW_HOURS = 2
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        delivery = delivery_for(endpoint_for(hub, url_of_nothing()))
        outcomes = [webhooks.webhook_delivery_send(delivery_id=delivery.pk)]
        while outcomes[-1] == webhooks.RETRY:
            clock.move_to(WebhookDelivery.objects.get().next_attempt_at)
            webhooks.webhook_deliveries_redrive()
            delivery.refresh_from_db()
            outcomes.append({"queued": webhooks.RETRY, "failed": webhooks.FAILED}[delivery.status])
    delivery.refresh_from_db()
    # 30 s doubling: waits of 30, 60, ..., 1920 s add up to 3810 s; the next (capped at 3600 s) would
    # end after the two hours, so the eighth attempt is the last.
    assert outcomes == [webhooks.RETRY] * 7 + [webhooks.FAILED]
    assert (delivery.status, delivery.attempts) == ("failed", 8)
    assert "Could not connect" in delivery.last_error and "retries stop 2 hours" in delivery.last_error


@pytest.mark.django_db
def test_a_request_whose_answer_never_came_is_failed_and_never_repeated_by_itself(hub, settings):
    for step in (DROP, SLOW):
        WebhookEndpoint.objects.all().delete()
        with ScriptedServer([step]) as receiver:
            delivery = delivery_for(endpoint_for(hub, receiver.url, name=step))
            assert webhooks.webhook_delivery_send(delivery_id=delivery.pk) == webhooks.FAILED
            delivery.refresh_from_db()
            assert delivery.status == "failed"
            assert "The receiver may have got it" in delivery.last_error
            with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
                assert webhooks.webhook_deliveries_redrive() == 0
            assert len(receiver.received) == 1


@pytest.mark.django_db
def test_a_task_delivered_twice_sends_once(hub):
    with ScriptedServer() as receiver:
        delivery = delivery_for(endpoint_for(hub, receiver.url))
        send_webhook_delivery.apply(args=[delivery.pk])
        send_webhook_delivery.apply(args=[delivery.pk])
        assert len(receiver.received) == 1
        assert WebhookDelivery.objects.get().attempts == 1


@pytest.mark.django_db
def test_an_event_emitted_twice_is_queued_once(hub, django_capture_on_commit_callbacks):
    with ScriptedServer() as receiver:
        endpoint = endpoint_for(hub, receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            delivery_for(endpoint)
            delivery_for(endpoint)
        assert WebhookDelivery.objects.count() == 1
        assert len(receiver.received) == 1


@pytest.mark.django_db
def test_what_is_queued_for_an_endpoint_switched_off_meanwhile_is_failed_not_sent(hub, hub_lead):
    with ScriptedServer() as receiver:
        endpoint = endpoint_for(hub, receiver.url)
        delivery = delivery_for(endpoint)
        webhooks.webhook_endpoint_deactivate(endpoint=endpoint, by=hub_lead)
        assert webhooks.webhook_delivery_send(delivery_id=delivery.pk) == webhooks.FAILED
        assert "switched off" in WebhookDelivery.objects.get().last_error
        assert receiver.received == []


@pytest.mark.django_db
def test_the_sweep_is_scheduled_every_minute():
    task = PeriodicTask.objects.get(task="hubportal.tasks.redrive_webhook_deliveries")
    assert (task.interval.every, task.interval.period, task.enabled) == (1, "minutes", True)


# --- Endpoint addresses --------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "loopback", "problem"), [
    ("https://example.webhook.office.com/webhookb2/abc", False, None),
    ("https://hooks.example.org:8443/in", False, None),
    ("http://hooks.example.org/in", False, "Enter an address that starts with https://"),
    ("http://127.0.0.1:8080/in", False, "Enter an address that starts with https://"),
    ("http://127.0.0.1:8080/in", True, None),
    ("http://hooks.example.org/in", True, "Enter an address that starts with https://"),
    ("https://localhost/in", False, "Enter the address of a server outside this service"),
    ("https://10.0.0.5/in", False, "Enter the address of a server outside this service"),
    ("https://169.254.169.254/latest", False, "Enter the address of a server outside this service"),
    ("https://[::1]/in", False, "Enter the address of a server outside this service"),
    ("https://user:pass@hooks.example.org/in", False, "Enter the address without a user name or password in it"),
    ("ftp://hooks.example.org/in", False, "Enter an address that starts with https://"),
    ("not a url", False, "Enter a web address, like https://example.org/hooks/innovation"),
])
def test_endpoint_addresses_are_https_outside_the_service(settings, url, loopback, problem):
    settings.WEBHOOK_ALLOW_LOOPBACK = loopback
    assert webhooks.webhook_url_problem(url) == problem


# --- Pages: hub leads manage endpoints; hub staff see and resend failures ----------------------------

def channels_url(hub):
    return reverse("hubportal:staff_webhooks", args=[hub.slug])


def failures_url(hub):
    return reverse("hubportal:staff_webhook_failures", args=[hub.slug])


@pytest.mark.django_db
def test_a_hub_lead_adds_an_endpoint_choosing_its_events(lead_client, hub, hub_lead):
    response = lead_client.post(channels_url(hub), {
        "name": "Triage team channel", "kind": "teams", "url": "https://example.webhook.office.com/webhookb2/abc",
        "events": ["inquiry.submitted", "referral.declined"]})
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.hub, endpoint.name, endpoint.kind, endpoint.created_by) == (
        hub, "Triage team channel", "teams", hub_lead)
    assert endpoint.events == ["inquiry.submitted", "referral.declined"]
    assert len(endpoint.secret) == 64 and endpoint.is_active
    page = lead_client.get(channels_url(hub)).content.decode()
    assert "Triage team channel" in page and "A partner declines a referral" in page


@pytest.mark.django_db
def test_a_bad_endpoint_is_refused_next_to_its_field_keeping_what_was_typed(lead_client, hub):
    response = lead_client.post(channels_url(hub), {
        "name": "Our system", "kind": "json", "url": "http://hooks.example.org/in", "events": []})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter an address that starts with https://" in page
    assert "Select at least one event" in page
    assert 'value="Our system"' in page and "http://hooks.example.org/in" in page
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.django_db
def test_a_hub_lead_sends_a_test_event_and_switches_an_endpoint_off(lead_client, hub, hub_lead,
                                                                   django_capture_on_commit_callbacks):
    with ScriptedServer() as receiver:
        endpoint = endpoint_for(hub, receiver.url + "/hook")
        with django_capture_on_commit_callbacks(execute=True):
            lead_client.post(reverse("hubportal:staff_webhook_test", args=[hub.slug, endpoint.public_id]))
        assert [r.json()["event"] for r in receiver.received] == ["test"]
        assert WebhookDelivery.objects.get().status == "sent"
        lead_client.post(reverse("hubportal:staff_webhook_deactivate", args=[hub.slug, endpoint.public_id]))
        endpoint.refresh_from_db()
        assert not endpoint.is_active and endpoint.deactivated_at is not None
        with django_capture_on_commit_callbacks(execute=True):
            response = lead_client.post(reverse("hubportal:staff_webhook_test", args=[hub.slug, endpoint.public_id]),
                                        follow=True)
        assert "is switched off" in response.content.decode()
        assert len(receiver.received) == 1 and WebhookDelivery.objects.count() == 1


@pytest.mark.django_db
def test_a_team_member_who_is_not_a_lead_cannot_manage_endpoints(client, hub, hub_member):
    from hubportal.testing import sign_in_staff

    sign_in_staff(client, hub_member)
    endpoint = endpoint_for(hub, "https://hooks.example.org/in")
    assert client.get(channels_url(hub)).status_code == 404
    assert client.post(channels_url(hub), {"name": "x", "kind": "json", "url": "https://a.example.org/",
                                           "events": ["inquiry.submitted"]}).status_code == 404
    assert client.post(reverse("hubportal:staff_webhook_deactivate", args=[hub.slug, endpoint.public_id])
                       ).status_code == 404
    assert WebhookEndpoint.objects.get().is_active and WebhookEndpoint.objects.count() == 1
    # ...but sees, like every member, the deliveries that did not go.
    assert client.get(failures_url(hub)).status_code == 200


@pytest.mark.django_db
def test_another_hubs_lead_cannot_touch_this_hubs_endpoints_or_deliveries(other_lead_client, hub, other_hub):
    endpoint = endpoint_for(hub, "https://hooks.example.org/in")
    delivery = delivery_for(endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed")
    for name in ("staff_webhook_test", "staff_webhook_deactivate"):
        assert other_lead_client.post(reverse(f"hubportal:{name}", args=[other_hub.slug, endpoint.public_id])
                                      ).status_code == 404
    assert other_lead_client.post(reverse("hubportal:staff_webhook_resend", args=[other_hub.slug, delivery.public_id])
                                  ).status_code == 404
    assert "hooks.example.org" not in other_lead_client.get(channels_url(other_hub)).content.decode()
    assert WebhookEndpoint.objects.get().is_active
    assert WebhookDelivery.objects.get().status == "failed"


@pytest.mark.django_db
def test_hub_staff_see_a_failed_delivery_and_send_it_again_once(
        client, hub, hub_member, django_capture_on_commit_callbacks):
    from hubportal.testing import sign_in_staff

    sign_in_staff(client, hub_member)
    with ScriptedServer([400, 200]) as receiver:
        delivery = delivery_for(endpoint_for(hub, receiver.url, name="Innovation tracker"))
        webhooks.webhook_delivery_send(delivery_id=delivery.pk)
        page = client.get(failures_url(hub)).content.decode()
        assert "Innovation tracker" in page and "DOR-2026-00001" in page and "answered 400" in page
        assert "1</strong> delivery needs attention" in page
        resend = reverse("hubportal:staff_webhook_resend", args=[hub.slug, delivery.public_id])
        with django_capture_on_commit_callbacks(execute=True):
            client.post(resend)
            second = client.post(resend, follow=True)  # a second press, or a second person
        assert "cannot be sent again" in second.content.decode()
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("sent", 1)
        assert len(receiver.received) == 2
        assert "Every message to this hub" in client.get(failures_url(hub)).content.decode()


@pytest.mark.django_db
def test_the_failures_page_keeps_a_fixed_number_of_queries_as_failures_grow(
        client, hub, hub_member, django_assert_max_num_queries):
    from hubportal.testing import sign_in_staff

    sign_in_staff(client, hub_member)
    endpoint = endpoint_for(hub, "https://hooks.example.org/in")
    for number in range(30):
        delivery_for(endpoint, subject=f"intake.inquiry:{number}")
    WebhookDelivery.objects.update(status="failed", last_error="The receiver answered 400")
    with django_assert_max_num_queries(12):
        assert client.get(failures_url(hub)).status_code == 200


@pytest.mark.django_db
def test_administrators_see_endpoints_and_deliveries_in_admin_without_the_secret(client, hub):
    from hubportal.testing import sign_in_staff
    from tests.factories import UserFactory

    sign_in_staff(client, UserFactory(email="admin@example.nhs.uk", is_staff=True, is_superuser=True))
    endpoint = endpoint_for(hub, "https://hooks.example.org/in")
    delivery_for(endpoint)
    assert "Triage channel" in client.get(reverse("admin:hubportal_webhookendpoint_changelist")).content.decode()
    change = client.get(reverse("admin:hubportal_webhookendpoint_change", args=[endpoint.pk])).content.decode()
    assert "hooks.example.org" in change and endpoint.secret not in change
    assert client.get(reverse("admin:hubportal_webhookdelivery_changelist")).status_code == 200
