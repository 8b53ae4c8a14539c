import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from hubportal.heartbeats import BEAT, WORKER, job_heartbeat_record


@pytest.fixture
def heartbeats(db):
    """A worker and beat that have just shown they are alive."""
    job_heartbeat_record(name=WORKER)
    job_heartbeat_record(name=BEAT)


@pytest.mark.django_db
def test_it_reports_the_database_and_broker_reachable_without_a_login(client, heartbeats):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["database"] is True
    assert body["broker"] is True
    assert body["worker"] is True and body["beat"] is True
    assert body["status"] == "ok"


@pytest.mark.django_db
def test_it_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("database is down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["database"] is False


@pytest.mark.django_db
def test_it_reports_an_unreachable_broker_but_stays_up(client, settings, heartbeats):
    from hubportal.celery import app

    # Celery 5.6 reads the namespaced key first: both are set, and both put back.
    original = app.conf.broker_url, app.conf.CELERY_BROKER_URL
    app.conf.broker_url = app.conf.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url, app.conf.CELERY_BROKER_URL = original
    body = json.loads(response.content)
    assert response.status_code == 200
    assert body == {"status": "degraded", "database": True, "broker": False, "worker": True, "beat": True}


@pytest.mark.django_db
@pytest.mark.parametrize(("stale", "minutes"), [(WORKER, 4), (BEAT, 6)])
def test_it_says_degraded_but_stays_in_service_when_the_worker_or_beat_heartbeat_is_stale(
        client, stale, minutes):
    now = timezone.now()
    # The worker beats every 30 s and is stale after 3 minutes; beat's sweep runs every minute,
    # stale after 5. The other one beat just now.
    with time_machine.travel(now - timedelta(minutes=minutes), tick=False):
        job_heartbeat_record(name=stale)
    with time_machine.travel(now - timedelta(seconds=20), tick=False):
        job_heartbeat_record(name=({WORKER, BEAT} - {stale}).pop())
    with time_machine.travel(now, tick=False):
        response = client.get("/healthz")
    body = json.loads(response.content)
    assert response.status_code == 200  # web still takes submissions; the outbox waits
    assert body["status"] == "degraded"
    assert body[stale] is False
    assert body[({"worker", "beat"} - {stale}).pop()] is True


@pytest.mark.django_db
def test_it_says_degraded_when_no_worker_or_beat_has_ever_reported(client):
    body = json.loads(client.get("/healthz").content)
    assert (body["status"], body["worker"], body["beat"]) == ("degraded", False, False)


@pytest.mark.django_db
def test_a_heartbeat_just_inside_its_limit_is_still_fresh(client):
    now = timezone.now()
    with time_machine.travel(now - timedelta(minutes=2, seconds=59), tick=False):
        job_heartbeat_record(name=WORKER)
    with time_machine.travel(now - timedelta(minutes=4, seconds=59), tick=False):
        job_heartbeat_record(name=BEAT)
    with time_machine.travel(now, tick=False):
        body = json.loads(client.get("/healthz").content)
    assert (body["worker"], body["beat"]) == (True, True)


@pytest.mark.django_db
def test_the_compose_healthcheck_command_fails_on_a_stale_heartbeat_and_passes_on_a_fresh_one(capsys):
    now = timezone.now()
    with time_machine.travel(now - timedelta(minutes=10), tick=False):
        job_heartbeat_record(name=BEAT)
    job_heartbeat_record(name=WORKER)
    call_command("check_heartbeat", "worker")
    assert "worker: alive" in capsys.readouterr().out
    with pytest.raises(CommandError, match="beat heartbeat is stale"):
        call_command("check_heartbeat", "beat")


@pytest.mark.django_db
def test_beats_outbox_sweep_records_beats_heartbeat(client):
    from hubportal.tasks import requeue_stale_outbound_email

    moment = timezone.now() - timedelta(seconds=5)
    with time_machine.travel(moment, tick=False):
        requeue_stale_outbound_email()
    from hubportal.models import JobHeartbeat

    assert JobHeartbeat.objects.get(name=BEAT).beat_at == moment


@pytest.mark.django_db(transaction=True)
def test_the_worker_heartbeat_thread_writes_the_worker_heartbeat(settings):
    from hubportal.heartbeats import worker_heartbeat_start
    from hubportal.models import JobHeartbeat

    settings.WORKER_HEARTBEAT_SECONDS = 0.05
    stop = worker_heartbeat_start()
    try:
        deadline = timezone.now() + timedelta(seconds=10)
        while not JobHeartbeat.objects.filter(name=WORKER).exists() and timezone.now() < deadline:
            stop.wait(0.05)
    finally:
        stop.set()
    assert JobHeartbeat.objects.filter(name=WORKER).exists()
