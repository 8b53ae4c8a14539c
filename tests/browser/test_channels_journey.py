"""A hub lead sets up a channel in a real browser: adds a signed JSON endpoint (after a mistake),
sends it a test event the receiver refuses, finds it under failed deliveries, sends it again, and
switches the endpoint off. axe-core on every page state."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from hubportal.models import HubMembership, WebhookDelivery, WebhookEndpoint
from tests.factories import UserFactory
from tests.http_servers import ScriptedServer

from .conftest import assert_accessible
from .test_triage_journey import PASSWORD, staff_sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def lead(demo_hubs):
    user = UserFactory(email="lead.dorset@example.nhs.uk", full_name="Sarah Whitfield")
    user.set_password(PASSWORD)
    user.save()
    HubMembership.objects.create(hub=demo_hubs["DOR"], user=user, role=HubMembership.Role.LEAD)
    return user, TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


def test_a_hub_lead_adds_a_channel_tests_it_and_resends_a_refused_delivery(page, lead, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    user, device = lead
    with ScriptedServer([400]) as receiver:
        staff_sign_in(page, user.email, device)
        page.goto("/staff/dorset/channels/")
        expect(page.get_by_role("heading", level=1, name="Channels")).to_be_visible()
        assert_accessible(page)

        page.get_by_label("Name").fill("Innovation tracker")
        page.get_by_label("Any HTTPS endpoint (signed JSON)").check()
        page.get_by_label("Web address").fill("http://hooks.example.org/in")
        page.get_by_role("button", name="Add endpoint").click()
        expect(page.get_by_role("alert")).to_contain_text("Enter an address that starts with https://")
        expect(page.get_by_role("alert")).to_contain_text("Select at least one event")
        assert_accessible(page)

        page.get_by_label("Web address").fill(receiver.url + "/hook")
        page.get_by_label("A new inquiry arrives").check()
        page.get_by_role("button", name="Add endpoint").click()
        expect(page.get_by_text("Endpoint 'Innovation tracker' added")).to_be_visible()
        page.get_by_text("Signing secret for 'Innovation tracker'").click()
        expect(page.get_by_text(WebhookEndpoint.objects.get().secret)).to_be_visible()
        assert_accessible(page)

        page.get_by_role("button", name=re.compile("Send a test event")).click()
        expect(page.get_by_text("Test event on its way")).to_be_visible()
        assert [r.json()["event"] for r in receiver.received] == ["test"]
        assert WebhookDelivery.objects.get().status == "failed"

        page.get_by_role("link", name="Failed deliveries", exact=True).click()
        expect(page.get_by_role("heading", level=1, name="Deliveries that did not go")).to_be_visible()
        expect(page.get_by_text("The receiver answered 400")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name=re.compile("Send again")).click()
        expect(page.get_by_text("Sending it to 'Innovation tracker' again")).to_be_visible()
        expect(page.get_by_text("Every message to this hub's channels has gone")).to_be_visible()
        assert_accessible(page)
        assert len(receiver.received) == 2 and WebhookDelivery.objects.get().status == "sent"

        page.get_by_role("link", name="Channels", exact=True).click()
        page.get_by_role("button", name=re.compile("Switch off")).click()
        expect(page.get_by_text("is switched off. It will not be sent any more events")).to_be_visible()
        assert_accessible(page)
        assert not WebhookEndpoint.objects.get().is_active
