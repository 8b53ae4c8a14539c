"""The hub's navigation on every staff page: its links, the page it is on, the leads' own link."""

import re

import pytest
from django.urls import reverse

from hubportal.testing import sign_in_staff
from intake.staff_nav import HUB_NAV, hub_nav_links


def _nav(page):
    nav = page[page.index('<nav class="app-hub-nav"'):]
    return nav[:nav.index("</nav>")]


@pytest.mark.django_db
def test_a_lead_sees_every_link_each_to_its_page_and_the_page_they_are_on(lead_client, hub):
    nav = _nav(lead_client.get(reverse("intake:staff_inquiry_list", args=[hub.slug])).content.decode())
    links = re.findall(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>', nav)
    assert [(href, words) for href, _, words in links] == [
        (reverse(name, args=[hub.slug]), words) for _, words, name, _ in HUB_NAV]
    assert [words for _, current, words in links if current] == ["All inquiries"]
    assert f'aria-label="{hub.name}"' in nav


@pytest.mark.django_db
def test_a_team_member_has_no_channels_link(client, hub, hub_member):
    nav = _nav(sign_in_staff(client, hub_member).get(reverse("intake:staff_dashboard", args=[hub.slug]))
               .content.decode())
    assert ">Channels<" not in nav and f'href="{reverse("hubportal:staff_webhooks", args=[hub.slug])}"' not in nav
    assert 'aria-current="page">Dashboard</a>' in nav
    assert len(re.findall(r"<li>", nav)) == len(HUB_NAV) - 1


def test_the_links_are_reversed_once_per_hub_and_follow_the_script_prefix():
    from django.urls import set_script_prefix

    first = hub_nav_links("dorset")
    assert hub_nav_links("dorset") is first
    assert first[0][2] == reverse("intake:staff_dashboard", args=["dorset"])
    set_script_prefix("/innovation/")
    try:
        assert hub_nav_links("dorset")[0][2] == "/innovation" + first[0][2]
    finally:
        set_script_prefix("/")
