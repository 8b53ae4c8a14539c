"""Sessions in Redis (SESSION_ENGINE=cache or cached_db), so any web process serves any request.

Uses the Redis server in REDIS_URL (else 127.0.0.1:6379) and its database, under a key prefix of this
test's own, and deletes only its own keys: never database 15, which the integration tests flush.
"""

import os
import uuid

import pytest
import redis
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.conftest import sign_in_staff, skip_or_fail


@pytest.fixture
def redis_sessions(settings):
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    server = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        server.ping()
    except redis.RedisError:
        skip_or_fail(f"Redis is not reachable at {url}")
    prefix = f"hubportal-test-session-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "sessions": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix},
    }
    settings.SESSION_CACHE_ALIAS = "sessions"
    yield server, prefix
    for key in server.scan_iter(f"{prefix}:*"):
        server.delete(key)


@pytest.mark.django_db
@pytest.mark.parametrize("engine", ["cache", "cached_db"])
def test_a_staff_session_lives_in_redis_and_any_client_with_its_cookie_is_served(
        settings, redis_sessions, hub, hub_lead, engine):
    server, prefix = redis_sessions
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{engine}"
    first = sign_in_staff(Client(), hub_lead)
    cookie = first.cookies[settings.SESSION_COOKIE_NAME].value

    # Another "web process": a fresh client that has only the cookie, as after a load balancer's choice.
    second = Client()
    second.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = second.get(reverse("intake:staff_inquiry_list", args=[hub.slug]))

    assert response.status_code == 200
    assert [key for key in server.scan_iter(f"{prefix}:*") if cookie.encode() in key]
    # cache: Redis only; cached_db: written through to the table as well.
    assert Session.objects.filter(session_key=cookie).exists() == (engine == "cached_db")
