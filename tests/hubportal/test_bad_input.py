"""Odd query strings and addresses get a page, a 400 or a 404: never a server error."""

import pytest
from django.urls import reverse

from tests.partners.conftest import sign_in_partner
from tests.partners.factories import PartnerContactFactory, PartnerFactory

PAGES = ["-1", "0", "abc", "1e3", "9" * 30, "9" * 5000, "9223372036854775808"]


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_every_paginated_staff_page_takes_any_page_number(lead_client, hub, page):
    for url in [reverse("signposting:hub_referrals", args=[hub.slug]),
                reverse("hubportal:staff_failed_emails", args=[hub.slug]),
                reverse("intake:staff_inquiry_list", args=[hub.slug])]:
        assert lead_client.get(url, {"page": page, "status": "sent"}).status_code == 200, url


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_the_partners_paginated_page_takes_any_page_number(client, hub, page):
    contact = PartnerContactFactory(partner=PartnerFactory(hubs=[hub]), email="priya@wessex.example.org")
    sign_in_partner(client, contact.email)
    assert client.get(reverse("signposting:partner_home"), {"page": page}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"from": "9999-12-31"}, {"to": "0001-01-01"}, {"from": "0000-01-01"},
                                   {"to": "9" * 30}])
def test_the_metrics_page_and_csv_take_any_date(lead_client, hub, query):
    assert lead_client.get(reverse("intake:staff_metrics", args=[hub.slug]), query).status_code == 200
    # The CSV has no form to show an error on: it refuses the period with a 400 saying why.
    assert lead_client.get(reverse("intake:staff_metrics_csv", args=[hub.slug]), query).status_code == 400


@pytest.mark.django_db
def test_a_nul_character_in_the_address_is_a_404_and_in_the_query_a_400(client, hub):
    assert client.get("/staff/dorset%00/").status_code == 404
    response = client.get("/", {"next": "/\x00"})
    assert response.status_code == 400
    assert b"NUL character" in response.content
