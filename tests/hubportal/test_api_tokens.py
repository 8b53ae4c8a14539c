"""Read-only API tokens: hub leads make and revoke them; the raw token is shown once and never stored;
each creation, revocation and use leaves an audit row."""

import datetime as dt
import hashlib

import pytest
import time_machine
from django.urls import reverse

from hubportal.api_tokens import ApiTokenRefused, api_token_create, api_token_revoke, api_token_use
from hubportal.models import ApiToken, ApiTokenEvent
from tests.conftest import sign_in_staff

WHEN = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
NEW = "hubportal:staff_api_token_new"


def _make(client, name="ICS Power BI", days="90", hub="dorset"):
    return client.post(reverse(NEW, args=[hub]), {"name": name, "days": days})


@pytest.mark.django_db
@time_machine.travel(WHEN, tick=False)
def test_it_shows_the_new_token_once_on_a_no_store_page_and_keeps_only_its_hash(lead_client, hub, hub_lead):
    response = _make(lead_client)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"].split(", ")
    token = ApiToken.objects.get()
    raw = response.context["raw_token"]
    assert raw.startswith("hfd_") and raw in response.content.decode()
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(token.prefix) and len(token.prefix) < len(raw) // 3
    assert raw not in str(list(ApiToken.objects.values_list()))  # no column holds it
    assert (token.hub, token.name, token.created_by) == (hub, "ICS Power BI", hub_lead)
    assert token.expires_at == WHEN + dt.timedelta(days=90)
    assert list(token.events.values_list("kind", "by")) == [("created", hub_lead.pk)]
    # The list shows which token it is by its start, never the token again.
    listing = lead_client.get(reverse("hubportal:staff_api_tokens", args=["dorset"])).content.decode()
    assert token.prefix in listing and raw not in listing


@pytest.mark.django_db
def test_the_form_offers_90_days_and_refuses_more_than_the_maximum(lead_client, hub, settings):
    settings.API_TOKEN_MAX_DAYS = 365
    form = lead_client.get(reverse(NEW, args=["dorset"]))
    assert "no-store" in form["Cache-Control"].split(", ")
    assert 'value="90"' in form.content.decode()

    too_long = _make(lead_client, days="366")
    no_name = _make(lead_client, name=" ")

    assert "Days must be 365 or fewer" in too_long.content.decode()
    assert "Enter a name for the token" in no_name.content.decode()
    assert ApiToken.objects.count() == 0 and ApiTokenEvent.objects.count() == 0


@pytest.mark.django_db
def test_the_service_refuses_a_lifetime_beyond_the_maximum_too(hub, hub_lead, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    with pytest.raises(ValueError):
        api_token_create(hub=hub, name="x", days=31, by=hub_lead)
    assert ApiToken.objects.count() == 0


@pytest.mark.django_db
def test_a_team_member_sees_the_tokens_but_cannot_make_or_revoke_one(client, hub, hub_lead, hub_member):
    token = api_token_create(hub=hub, name="ICS Power BI", days=90, by=hub_lead).token
    sign_in_staff(client, hub_member)

    page = client.get(reverse("hubportal:staff_api_tokens", args=["dorset"])).content.decode()
    made = _make(client)
    revoked = client.post(reverse("hubportal:staff_api_token_revoke", args=["dorset", token.public_id]))

    assert "ICS Power BI" in page and "Make an API token" not in page and "Revoke" not in page
    assert (made.status_code, revoked.status_code) == (404, 404)
    assert ApiToken.objects.count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None
    assert list(ApiTokenEvent.objects.values_list("kind", flat=True)) == ["created"]


@pytest.mark.django_db
@time_machine.travel(WHEN, tick=False)
def test_a_lead_revokes_a_token_once_and_the_audit_says_who(lead_client, hub, hub_lead):
    issued = api_token_create(hub=hub, name="ICS Power BI", days=90, by=hub_lead)
    token = issued.token
    url = reverse("hubportal:staff_api_token_revoke", args=["dorset", token.public_id])

    first = lead_client.post(url, follow=True)
    again = lead_client.post(url, follow=True)

    token.refresh_from_db()
    assert (token.revoked_at, token.revoked_by) == (WHEN, hub_lead)
    assert "is revoked" in first.content.decode()
    assert "already revoked" in again.content.decode()
    assert sorted(token.events.values_list("kind", flat=True)) == ["created", "revoked"]
    with pytest.raises(ApiTokenRefused) as refused:
        api_token_use(raw_token=issued.raw_token, path="/")
    assert refused.value.reason == "revoked"


@pytest.mark.django_db
def test_a_lead_of_another_hub_cannot_revoke_this_hubs_token(client, hub, hub_lead, other_hub_lead):
    token = api_token_create(hub=hub, name="ICS Power BI", days=90, by=hub_lead).token
    sign_in_staff(client, other_hub_lead)

    via_own_hub = client.post(reverse("hubportal:staff_api_token_revoke", args=["manchester", token.public_id]))
    via_this_hub = client.post(reverse("hubportal:staff_api_token_revoke", args=["dorset", token.public_id]))

    assert (via_own_hub.status_code, via_this_hub.status_code) == (404, 404)
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.django_db
def test_a_revoked_or_expired_token_is_refused_with_its_reason(hub, hub_lead):
    with time_machine.travel(WHEN, tick=False):
        revoked = api_token_create(hub=hub, name="old", days=90, by=hub_lead)
        api_token_revoke(hub=hub, public_id=revoked.token.public_id, by=hub_lead)
        expiring = api_token_create(hub=hub, name="short", days=1, by=hub_lead)
        assert api_token_use(raw_token=expiring.raw_token).pk == expiring.token.pk
    with time_machine.travel(WHEN + dt.timedelta(days=1), tick=False):
        for raw, reason in ((revoked.raw_token, "revoked"), (expiring.raw_token, "expired"),
                            ("hfd_not-a-token", "unknown")):
            with pytest.raises(ApiTokenRefused) as refused:
                api_token_use(raw_token=raw)
            assert refused.value.reason == reason


@pytest.mark.django_db
def test_a_use_updates_last_used_and_is_audited_at_most_once_every_five_minutes(hub, hub_lead):
    with time_machine.travel(WHEN, tick=False):
        issued = api_token_create(hub=hub, name="ICS Power BI", days=90, by=hub_lead)
    for minutes in (0, 1, 4, 6):
        with time_machine.travel(WHEN + dt.timedelta(minutes=minutes), tick=False):
            api_token_use(raw_token=issued.raw_token, ip="10.0.0.7", path="/api/v1/hubs/dorset/metrics")

    issued.token.refresh_from_db()
    assert issued.token.last_used_at == WHEN + dt.timedelta(minutes=6)
    uses = list(issued.token.events.filter(kind="used").order_by("at").values_list("at", "ip", "detail"))
    assert uses == [(WHEN, "10.0.0.7", "/api/v1/hubs/dorset/metrics"),
                    (WHEN + dt.timedelta(minutes=6), "10.0.0.7", "/api/v1/hubs/dorset/metrics")]
