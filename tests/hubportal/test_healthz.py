import json

import pytest
from django.db import connection


@pytest.mark.django_db
def test_it_reports_the_database_and_broker_reachable_without_a_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["database"] is True
    assert body["broker"] is True
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
def test_it_reports_an_unreachable_broker_but_stays_up(client, settings):
    from hubportal.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    body = json.loads(response.content)
    assert response.status_code == 200
    assert body == {"status": "degraded", "database": True, "broker": False}
