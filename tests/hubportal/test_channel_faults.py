"""The closing figures for channels (docs/channel_faults.md): every fault a receiver or Notify can
answer with, many times over, through the real code paths and real sockets on loopback.

For each scenario, ROUNDS rows are queued and driven until nothing is due: by the webhook sweep (the
clock travelling to each next attempt) or by the outbox's own retries. The figures are requests
made, rows sent, rows failed and shown to staff, and duplicates: a delivery or email that reached
its receiver's "accepted" answer more than once. Run with -s to print the table.
"""

from collections import Counter

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from hubportal import webhooks
from hubportal.models import OutboundEmail, WebhookDelivery, WebhookEndpoint
from hubportal.outbox import RETRY, outbound_email_queue, outbound_email_send
from tests.http_servers import (
    DROP,
    NOTIFY_API_KEY,
    NOTIFY_TEMPLATE_ID,
    FakeNotify,
    ScriptedServer,
    url_of_nothing,
)

ROUNDS = 10

# Each scenario: the receiver's answers to successive requests for one row (then 200 / 201).
WEBHOOK_SCENARIOS = {
    "200": [],
    "500 then 200": [500],
    "503, 502, 500 then 200": [503, 502, 500],
    "429 then 200": [429],
    "400": [400],
    "connection dropped without an answer": [DROP],
    "receiver down": None,
}
NOTIFY_SCENARIOS = {
    "201": [],
    "429 then 201": [429],
    "500 then 201": [500],
    "400": [400],
    "403": [403],
    "answer lost": [DROP],
}


def _drive(hub, urls):
    """One endpoint per URL, one event to all of them; send, then follow the sweep (the clock going to
    each next attempt) until nothing is queued. Returns the scenario's deliveries."""
    from tests.factories import UserFactory

    lead = UserFactory()
    WebhookEndpoint.objects.update(is_active=False)  # the previous scenario's endpoints hear nothing
    for number, url in enumerate(urls):
        webhooks.webhook_endpoint_create(hub=hub, by=lead, name=f"Row {number}", kind="json", url=url,
                                         events=[webhooks.INQUIRY_SUBMITTED])
    with transaction.atomic():
        deliveries = webhooks.webhook_event_emit(hub=hub, event=webhooks.INQUIRY_SUBMITTED, subject="x",
                                                 reference="DOR-2026-00001", kind_of_help="", link="http://x/")
    ids = [d.pk for d in deliveries]
    rows = WebhookDelivery.objects.filter(pk__in=ids)  # a fresh query each time it is used
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for delivery_id in ids:
            webhooks.webhook_delivery_send(delivery_id=delivery_id)
        while (due := rows.filter(status="queued").order_by("next_attempt_at")
               .values_list("next_attempt_at", flat=True).first()) is not None:
            clock.move_to(due)
            webhooks.webhook_deliveries_redrive()
            # A task delivered twice, as Redis may do: it must find nothing to claim.
            for delivery_id in ids:
                webhooks.webhook_delivery_send(delivery_id=delivery_id)
    return list(rows.all())


@pytest.mark.django_db
def test_webhook_fault_figures(hub, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_TIMEOUT = 1
    settings.WEBHOOK_RETRY_WINDOW_HOURS = 2
    results = []
    for name, script in WEBHOOK_SCENARIOS.items():
        if script is None:
            deliveries = _drive(hub, [url_of_nothing() for _ in range(ROUNDS)])
            requests_made, accepted = sum(d.attempts for d in deliveries), Counter()
        else:
            # One server per row, so each row meets the whole script.
            servers = [ScriptedServer(list(script)).__enter__() for _ in range(ROUNDS)]
            try:
                deliveries = _drive(hub, [server.url for server in servers])
            finally:
                for server in servers:
                    server.__exit__(None, None, None)
            requests_made = sum(len(server.received) for server in servers)
            # The answers after the script are the 200s: count which deliveries got one.
            accepted = Counter(r.headers["x-hub-delivery"] for server in servers
                               for r in server.received[len(script):])
        statuses = Counter(d.status for d in deliveries)
        duplicates = sum(count - 1 for count in accepted.values() if count > 1)
        results.append((name, requests_made, statuses["sent"], statuses["failed"], duplicates))
    _print("Webhooks", results)
    figures = {name: rest for name, *rest in results}
    assert figures["200"] == [10, 10, 0, 0]
    assert figures["500 then 200"] == [20, 10, 0, 0]
    assert figures["503, 502, 500 then 200"] == [40, 10, 0, 0]
    assert figures["429 then 200"] == [20, 10, 0, 0]
    assert figures["400"] == [10, 0, 10, 0]
    assert figures["connection dropped without an answer"] == [10, 0, 10, 0]
    assert figures["receiver down"] == [80, 0, 10, 0]  # 8 attempts each in the 2-hour window
    assert all(duplicates == 0 for *_, duplicates in results)


@pytest.mark.django_db
def test_notify_fault_figures(hub, settings):
    settings.EMAIL_BACKEND = "hubportal.notify_backend.NotifyEmailBackend"
    settings.NOTIFY_API_KEY = NOTIFY_API_KEY
    settings.NOTIFY_TEMPLATE_ID = NOTIFY_TEMPLATE_ID
    settings.NOTIFY_TIMEOUT = 1
    rows = []
    for name, script in NOTIFY_SCENARIOS.items():
        OutboundEmail.objects.all().delete()
        servers = []
        try:
            for number in range(ROUNDS):
                server = FakeNotify(list(script)).__enter__()
                servers.append(server)
                settings.NOTIFY_BASE_URL = server.url
                with transaction.atomic():
                    email = outbound_email_queue(key=f"faults:{name}:{number}", to="jo.bloggs@nhs.net",
                                                 template="inquiry_acknowledgement", hub=hub,
                                                 context={"reference": "DOR-2026-00001", "target_days": 5,
                                                          "inquiry_url": "http://testserver/inquiries/x/"})
                result = outbound_email_send(email_id=email.pk)
                while result == RETRY:  # each retry when its backoff is over
                    due = OutboundEmail.objects.get(pk=email.pk).next_attempt_at
                    with time_machine.travel(due, tick=False):
                        result = outbound_email_send(email_id=email.pk)
                outbound_email_send(email_id=email.pk)  # a task delivered twice
        finally:
            for server in servers:
                server.__exit__(None, None, None)
        accepted = Counter(r.json()["reference"] for s in servers for r in s.accepted)
        statuses = Counter(OutboundEmail.objects.values_list("status", flat=True))
        duplicates = sum(count - 1 for count in accepted.values() if count > 1)
        rows.append((name, sum(len(s.received) for s in servers), statuses["sent"], statuses["failed"],
                     duplicates))
    _print("GOV.UK Notify", rows)
    figures = {name: rest for name, *rest in rows}
    assert figures["201"] == [10, 10, 0, 0]
    assert figures["429 then 201"] == [20, 10, 0, 0]
    assert figures["500 then 201"] == [20, 10, 0, 0]
    assert figures["400"] == [10, 0, 10, 0]
    assert figures["403"] == [10, 0, 10, 0]
    assert figures["answer lost"] == [10, 0, 10, 0]


def _print(title, rows):
    print(f"\n{title}: {ROUNDS} rows per scenario")
    print("| scenario | requests | sent | failed (shown to staff) | duplicates |")
    print("| --- | --- | --- | --- | --- |")
    for name, made, sent, failed, duplicates in rows:
        print(f"| {name} | {made} | {sent} | {failed} | {duplicates} |")
