"""A hub lead makes an API token for the ICS's Power BI in a real browser, copies it once, the BI tool
reads the figures with it, and the lead revokes it. axe-core on every page."""

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from hubportal.models import ApiToken, HubMembership
from tests.factories import UserFactory

from .conftest import assert_accessible
from .test_triage_journey import PASSWORD, staff_sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def lead(demo_hubs):
    user = UserFactory(email="lead.dorset@example.nhs.uk", full_name="Sarah Whitfield")
    user.set_password(PASSWORD)
    user.save()
    HubMembership.objects.create(hub=demo_hubs["DOR"], user=user, role=HubMembership.Role.LEAD)
    return {"user": user, "device": TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)}


def test_a_hub_lead_makes_an_api_token_sees_it_once_and_revokes_it(page, lead):
    staff_sign_in(page, "lead.dorset@example.nhs.uk", lead["device"])
    expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()
    page.get_by_role("link", name="API tokens").click()

    expect(page.get_by_role("heading", level=1, name="API tokens")).to_be_visible()
    expect(page.get_by_text("This hub has no API tokens.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Make an API token").click()

    # The form: a missing name is explained next to the field, and what was typed stays.
    expect(page.get_by_role("heading", level=1, name="Make an API token")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Days until it expires").fill("30")
    page.get_by_role("button", name="Make the token").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_label("Days until it expires")).to_have_value("30")
    page.get_by_label("Name").fill("ICS Power BI")
    page.get_by_role("button", name="Make the token").click()

    # Shown once.
    expect(page.get_by_role("heading", level=1, name="Your new API token")).to_be_visible()
    assert_accessible(page)
    raw = page.locator("#api-token").inner_text()
    assert re.fullmatch(r"hfd_[\w-]{43}", raw)

    # The BI tool reads the figures with it.
    bi = Client()
    assert bi.get("/api/v1/hubs/dorset/metrics", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200

    page.get_by_role("link", name="Back to API tokens").click()
    expect(page.get_by_role("cell", name="ICS Power BI", exact=True)).to_be_visible()
    assert raw not in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Revoke ICS Power BI").click()
    expect(page.get_by_text("“ICS Power BI” is revoked")).to_be_visible()
    assert_accessible(page)

    assert ApiToken.objects.get().revoked_at is not None
    assert bi.get("/api/v1/hubs/dorset/metrics", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_the_api_page_is_accessible(page, demo_hubs):
    page.goto("/api/")
    expect(page.get_by_role("heading", level=1, name="API for business intelligence")).to_be_visible()
    assert_accessible(page)
