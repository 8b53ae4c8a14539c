import datetime as dt
import os
import shutil
import sys
import types

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from hubportal.testing import sign_in_staff  # noqa: F401 - tests import it from here

from .factories import HubFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from the same
# thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# In CI (.ci/run sets REQUIRE_SERVICES=1) a missing Redis or Chromium is a failure, not a skip.
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


class _ClockGuard(types.ModuleType):
    """django.utils.timezone with `now` read-only.

    Patching timezone.now fakes the clock only for code that calls it by that name: model field
    defaults and anything holding the original function still see the real date, so such a test
    passes only near the day it was written. Travel the whole clock with time-machine instead.
    """

    def __setattr__(self, name, value):
        if name == "now":
            raise RuntimeError("Do not patch django.utils.timezone.now: travel the clock with time-machine, "
                               "@time_machine.travel(WHEN, tick=False) (see tests/conftest.py).")
        super().__setattr__(name, value)

    def __delattr__(self, name):
        if name == "now":
            raise RuntimeError("Do not patch django.utils.timezone.now: use time-machine.")
        super().__delattr__(name)


timezone.__class__ = _ClockGuard
assert sys.modules["django.utils.timezone"] is timezone


def pytest_configure(config):
    """`TEST_NOW=2028-02-29T23:30+00:00 make test` runs the whole suite on another date.

    The clock ticks from that moment, so the suite sees the date it would see on that day. .ci/run
    uses it for the dates that broke suites before: the Friday before a clock change, Christmas
    Eve, 29 February, and the hour when UTC and London disagree on the date.
    """
    when = os.environ.get("TEST_NOW")
    if when:
        traveller = time_machine.travel(dt.datetime.fromisoformat(when), tick=True)
        traveller.start()
        config._test_now_traveller = traveller


def pytest_report_header(config):
    when = os.environ.get("TEST_NOW")
    return f"clock travelled to {when} (TEST_NOW)" if when else None


def skip_or_fail(reason):
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1: CI must have it)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _no_sql_kept_from_another_test():
    """Each test starts with no compiled SQL kept (hubportal.sqlcache): its keys name everything the SQL
    depends on, and this keeps a test from leaning on what an earlier one compiled."""
    from hubportal import sqlcache

    sqlcache.clear()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploads in each test go to a fresh folder, never the developer's var/media."""
    media = tmp_path / "media"
    media.mkdir()
    settings.STORAGES = {**settings.STORAGES,
                         "default": {**settings.STORAGES["default"],
                                     "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"],
                                                 "location": str(media)}}}
    settings.MEDIA_ROOT = str(media)
    yield
    shutil.rmtree(media, ignore_errors=True)


@pytest.fixture
def hub(db):
    return HubFactory(name="Dorset Innovation Hub", code="DOR", slug="dorset",
                      email="innovation.dorset@example.nhs.uk")


@pytest.fixture
def other_hub(db):
    return HubFactory(name="Manchester Innovation Hub", code="MAN", slug="manchester",
                      email="innovation.manchester@example.nhs.uk")


@pytest.fixture
def submitter(db):
    return UserFactory(email="jo.bloggs@nhs.net", full_name="Jo Bloggs")


@pytest.fixture
def other_submitter(db):
    return UserFactory(email="sam.other@nhs.net", full_name="Sam Other")


@pytest.fixture
def submitter_client(client, submitter):
    client.force_login(submitter)
    return client


@pytest.fixture
def other_submitter_client(client, other_submitter):
    client.force_login(other_submitter)
    return client


@pytest.fixture
def outbox():
    """Emails Django actually handed to the mail backend (tasks run eagerly in unit tests)."""
    mail.outbox.clear()
    return mail.outbox




@pytest.fixture
def hub_lead(db, hub):
    from hubportal.models import HubMembership

    user = UserFactory(email="lead.dorset@example.nhs.uk", full_name="Sarah Whitfield")
    HubMembership.objects.create(hub=hub, user=user, role=HubMembership.Role.LEAD)
    return user


@pytest.fixture
def hub_member(db, hub):
    from hubportal.models import HubMembership

    user = UserFactory(email="member.dorset@example.nhs.uk", full_name="Priya Patel")
    HubMembership.objects.create(hub=hub, user=user, role=HubMembership.Role.MEMBER)
    return user


@pytest.fixture
def other_hub_lead(db, other_hub):
    from hubportal.models import HubMembership

    user = UserFactory(email="lead.manchester@example.nhs.uk", full_name="Kwame Mensah")
    HubMembership.objects.create(hub=other_hub, user=user, role=HubMembership.Role.LEAD)
    return user


@pytest.fixture
def lead_client(client, hub_lead):
    return sign_in_staff(client, hub_lead)


@pytest.fixture
def other_lead_client(client, other_hub_lead):
    return sign_in_staff(client, other_hub_lead)
