"""The case page's referrals panel is a Jinja2 partial (issue 13): its forms carry the request's CSRF token,
and everything a partner or submitter wrote is escaped as Django's engine would."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from signposting import services
from signposting.models import Referral
from tests.conftest import sign_in_staff

HOSTILE = '"><script>alert(1)</script>'


def case_page(client, inquiry):
    return client.get(reverse("intake:staff_inquiry", args=[inquiry.hub.slug, inquiry.reference]),
                      secure=True)


@pytest.mark.django_db
def test_the_panels_close_button_posts_with_the_pages_own_csrf_token(inquiry, partner, partner_contact, hub_lead):
    referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    client = sign_in_staff(Client(enforce_csrf_checks=True), hub_lead)
    page = case_page(client, inquiry).content.decode()
    close_url = reverse("signposting:referral_close", args=[inquiry.hub.slug, inquiry.reference, referral.public_id])
    form = re.search(rf'<form method="post" action="{re.escape(close_url)}" novalidate>(.*?)</form>', page, re.S)
    assert form, "the referral has a Close button"
    token = re.search(r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">', form.group(1)).group(1)
    # The send form carries the same token.
    assert page.count(f'name="csrfmiddlewaretoken" value="{token}"') >= 2

    refused = client.post(close_url, secure=True, HTTP_REFERER="https://testserver/")
    assert refused.status_code == 403  # no token: CSRF protection is on in this client
    response = client.post(close_url, {"csrfmiddlewaretoken": token}, secure=True,
                           HTTP_REFERER="https://testserver/")
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.CLOSED


@pytest.mark.django_db
def test_what_partners_write_is_escaped_in_the_panel(inquiry, partner, partner_contact, hub_lead):
    partner.name = f"Wessex {HOSTILE}"
    partner.save(update_fields=["name"])
    referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    services.referral_ask(referral=referral, contact=partner_contact, question=f"First line\n{HOSTILE}")
    services.referral_decline(referral=referral, contact=partner_contact, reason="out_of_scope",
                              details=f"Not for us {HOSTILE}")
    client = sign_in_staff(Client(), hub_lead)
    html = case_page(client, inquiry).content.decode()
    assert "<script>alert(1)</script>" not in html
    html = html.replace("&#34;", "&quot;")  # Jinja2 writes a quote as &#34;, Django as &quot;: both escaped
    escaped = "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    assert f"Wessex {escaped}" in html
    assert f"(Not for us {escaped})" in html
    assert f"First line<br>{escaped}" in html  # the question's line breaks kept, its text escaped
    referral.refresh_from_db()
    assert f"Declined {timezone.localtime(referral.declined_at):%-d %B %Y}" in html  # in London time


@pytest.mark.django_db
def test_a_referral_without_a_re_route_reads_as_none_in_the_panel(inquiry, partner, partner_contact, hub_lead):
    # Django's engine reads a missing reverse one-to-one as empty; the partial must too, not raise.
    referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    services.referral_decline(referral=referral, contact=partner_contact, reason="no_capacity")
    html = case_page(sign_in_staff(Client(), hub_lead), inquiry).content.decode()
    assert "Re-routed to" not in html
    reroute = reverse("signposting:referral_reroute", args=[inquiry.hub.slug, inquiry.reference, referral.public_id])
    assert f'href="{reroute}"' in html
