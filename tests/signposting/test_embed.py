"""The hub's widget for a trust intranet: framed only by the sites the hub lists, nothing personal in it."""

import pytest
from django.urls import reverse

from hubportal.models import Hub
from tests.partners.factories import ResourceFactory

WIDGET = "/embed/dorset/"
SETTINGS = "/staff/dorset/intranet-widget/"


def frame_ancestors(response):
    [directive] = [d for d in response["Content-Security-Policy"].split("; ") if d.startswith("frame-ancestors")]
    return directive


@pytest.mark.django_db
def test_it_may_be_framed_by_no_site_until_the_hub_lists_one(client, hub):
    response = client.get(WIDGET)
    assert response.status_code == 200
    assert frame_ancestors(response) == "frame-ancestors 'none'"
    assert "X-Frame-Options" not in response


@pytest.mark.django_db
def test_only_the_sites_the_hub_lists_may_frame_it_and_every_other_page_stays_unframeable(client, hub):
    hub.embed_origins = "https://intranet.dchft.nhs.uk\nhttps://staffnet.dorsetccg.nhs.uk"
    hub.save()
    response = client.get(WIDGET)
    assert frame_ancestors(response) == ("frame-ancestors https://intranet.dchft.nhs.uk "
                                         "https://staffnet.dorsetccg.nhs.uk")
    # The rest of the policy is the site's own: no inline script crept in for the widget.
    assert "script-src 'self'" in response["Content-Security-Policy"]
    for page in ("/", "/sign-in/", reverse("intake:staff_home")):
        other = client.get(page)
        assert other["X-Frame-Options"] == "DENY", page
        assert frame_ancestors(other) == "frame-ancestors 'none'", page


@pytest.mark.django_db
def test_it_asks_for_nothing_personal_sets_no_cookie_and_opens_the_journey_in_a_new_tab(client, hub):
    response = client.get(WIDGET)
    body = response.content.decode()
    assert 'method="post"' not in body.lower()
    assert "csrfmiddlewaretoken" not in body
    assert not response.cookies
    assert 'href="http://testserver/" target="_blank" rel="noopener">Start an inquiry' in body


@pytest.mark.django_db
def test_choosing_a_kind_of_help_shows_what_the_matcher_offers_this_hubs_submitters(client, hub, other_hub):
    ResourceFactory(title="Evaluation toolkit", hub=hub, support_needs=["evaluation"])
    ResourceFactory(title="National evaluation guide", hub=None, support_needs=["evaluation"])
    ResourceFactory(title="Manchester only", hub=other_hub, support_needs=["evaluation"])
    ResourceFactory(title="Funding calls", hub=hub, support_needs=["funding"])
    body = client.get(WIDGET, {"help": "evaluation"}).content.decode()
    assert "Evaluation toolkit" in body and "National evaluation guide" in body
    assert "Manchester only" not in body and "Funding calls" not in body


@pytest.mark.django_db
def test_words_search_the_resources_offered_to_the_hub(client, hub, other_hub):
    ResourceFactory(title="Information governance starter pack", hub=hub)
    ResourceFactory(title="Governance for Manchester", hub=other_hub)
    ResourceFactory(title="Retired governance note", hub=hub, is_active=False)
    body = client.get(WIDGET, {"q": "governance"}).content.decode()
    assert "Information governance starter pack" in body
    assert "Governance for Manchester" not in body and "Retired governance note" not in body
    assert "1 resource found" in body


@pytest.mark.django_db
def test_what_is_typed_is_escaped_and_an_unknown_kind_of_help_is_ignored(client, hub):
    response = client.get(WIDGET, {"q": '"><script>alert(1)</script>', "help": "<b>x</b>"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
    assert "<b>x</b>" not in body


@pytest.mark.django_db
def test_an_unknown_or_closed_hub_has_no_widget(client, hub):
    assert client.get("/embed/nowhere/").status_code == 404
    Hub.objects.filter(pk=hub.pk).update(is_active=False)
    assert client.get(WIDGET).status_code == 404


@pytest.mark.django_db
def test_the_hub_lead_lists_the_sites_and_sees_the_snippet_to_paste(lead_client, hub):
    response = lead_client.post(SETTINGS, {"origins": "https://intranet.dchft.nhs.uk/\n\nhttps://intranet.dchft.nhs.uk"})
    assert response.status_code == 302
    hub.refresh_from_db()
    assert hub.embed_origin_list == ["https://intranet.dchft.nhs.uk"]
    page = lead_client.get(SETTINGS).content.decode()
    assert "&lt;iframe src=&quot;http://testserver/embed/dorset/&quot;" in page
    assert "https://intranet.dchft.nhs.uk" in page


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["http://intranet.dchft.nhs.uk", "https://intranet.dchft.nhs.uk/news",
                                 "https://*.nhs.uk", "https://a.nhs.uk 'unsafe-inline'", "intranet", "javascript:x"])
def test_a_site_that_is_not_a_https_origin_is_refused_and_nothing_changes(lead_client, hub, bad):
    hub.embed_origins = "https://kept.nhs.uk"
    hub.save()
    response = lead_client.post(SETTINGS, {"origins": bad})
    assert response.status_code == 200
    assert "as a web address starting https:// with no path" in response.content.decode()
    hub.refresh_from_db()
    assert hub.embed_origins == "https://kept.nhs.uk"


@pytest.mark.django_db
def test_a_team_member_sees_the_snippet_but_cannot_change_the_sites(client, hub, hub_member):
    from tests.conftest import sign_in_staff

    member = sign_in_staff(client, hub_member)
    page = member.get(SETTINGS).content.decode()
    assert "Code to paste" in page and "Save sites" not in page
    assert member.post(SETTINGS, {"origins": "https://evil.example.org"}).status_code == 404
    hub.refresh_from_db()
    assert hub.embed_origins == ""


@pytest.mark.django_db
def test_another_hubs_lead_gets_404(other_lead_client, hub):
    assert other_lead_client.get(SETTINGS).status_code == 404
    assert other_lead_client.post(SETTINGS, {"origins": "https://evil.example.org"}).status_code == 404
