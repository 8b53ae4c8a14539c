"""Sessions end after idling: 30 minutes for staff, 60 for submitters and partner contacts."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from tests.partners.conftest import sign_in_partner
from tests.partners.factories import PartnerContactFactory, PartnerFactory

START = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
SIGNED_OUT = "You were signed out because you did nothing for"


def at(minutes):
    return START + dt.timedelta(minutes=minutes)


@pytest.mark.django_db
def test_a_staff_session_idle_for_over_30_minutes_is_sent_to_sign_in_keeping_next(lead_client, hub):
    dashboard = reverse("intake:staff_dashboard", args=[hub.slug])
    with time_machine.travel(at(0), tick=False):
        assert lead_client.get(dashboard).status_code == 200
    with time_machine.travel(at(29), tick=False):
        assert lead_client.get(dashboard).status_code == 200  # activity restarts the clock
    with time_machine.travel(at(58), tick=False):
        assert lead_client.get(dashboard).status_code == 200
    with time_machine.travel(at(89), tick=False):
        response = lead_client.get(dashboard)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('hubportal:staff_sign_in')}?next={dashboard}"
        page = lead_client.get(response["Location"]).content.decode()
    assert f"{SIGNED_OUT} 30 minutes" in page
    assert "_auth_user_id" not in lead_client.session


@pytest.mark.django_db
def test_a_submitter_keeps_a_session_idle_for_59_minutes_but_not_61(submitter_client):
    inquiries = reverse("intake:inquiry_list")
    with time_machine.travel(at(0), tick=False):
        assert submitter_client.get(inquiries).status_code == 200
    with time_machine.travel(at(59), tick=False):
        assert submitter_client.get(inquiries).status_code == 200
    with time_machine.travel(at(59 + 61), tick=False):
        response = submitter_client.get(inquiries)
        assert response.status_code == 302
        assert response["Location"].endswith(f"?next={inquiries}")
        assert response["Location"].startswith(reverse("hubportal:sign_in"))
        assert f"{SIGNED_OUT} 60 minutes" in submitter_client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_a_partner_contacts_session_idles_out_after_60_minutes(client, hub):
    contact = PartnerContactFactory(partner=PartnerFactory(hubs=[hub]), email="priya@wessex.example.org")
    home = reverse("signposting:partner_home")
    with time_machine.travel(at(0), tick=False):
        sign_in_partner(client, contact.email)
        assert client.get(home).status_code == 200
    with time_machine.travel(at(61), tick=False):
        response = client.get(home)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('partners:sign_in')}?next={home}"
        assert SIGNED_OUT in client.get(response["Location"]).content.decode()
    assert "partner_sign_in" not in client.session


@pytest.mark.django_db
def test_the_idle_limits_are_settings(settings, submitter_client):
    settings.SESSION_IDLE_MINUTES = 5
    with time_machine.travel(at(0), tick=False):
        submitter_client.get(reverse("intake:inquiry_list"))
    with time_machine.travel(at(6), tick=False):
        assert submitter_client.get(reverse("intake:inquiry_list")).status_code == 302
