"""A search with more matches than are ranked, in a real browser: the list says they are newest first,
pages on, and is accessible at every step (issue 13). The cap is lowered so a few inquiries pass it."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from intake import services
from tests.factories import DraftFactory

from . import test_triage_journey
from .conftest import assert_accessible
from .test_triage_journey import staff_sign_in

triage_world = test_triage_journey.triage_world  # the triage journey's hub, lead and inquiry (a fixture)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="ranked full-text search is PostgreSQL's")]


def test_a_search_past_the_ranking_cap_lists_the_newest_first_and_says_so(page, triage_world, monkeypatch):
    hub, lead = triage_world["hub"], triage_world["lead"]
    sent = []
    for day, title in enumerate(["Falls alarms at night", "Falls clinic triage", "Falls prevention app"], 1):
        with time_machine.travel(timezone.make_aware(dt.datetime(2026, 5, day, 9)), tick=False):
            draft = DraftFactory(submitter=triage_world["submitter"], hub=hub, title=title)
            sent.append(services.inquiry_submit(inquiry=draft, by=draft.submitter))
    monkeypatch.setattr("intake.search.RANK_CAP", 3)  # four match: the world's "Falls sensors" too
    monkeypatch.setattr("intake.staff_views.PAGE_SIZE", 2)

    staff_sign_in(page, lead.email, triage_world["device"])
    page.goto(f"/staff/{hub.slug}/inquiries/")
    page.get_by_label("Search title and text").fill("falls")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text(re.compile(r"^More than 3 inquiries match your filters"))).to_be_visible()
    expect(page.get_by_text("Your search matches more than 3 inquiries, so they are listed newest first.")
           ).to_be_visible()
    newest = [triage_world["inquiry"].reference] + [inquiry.reference for inquiry in reversed(sent)]
    expect(page.locator("tbody tr").first).to_contain_text(newest[0])
    expect(page.locator("tbody tr").nth(1)).to_contain_text(newest[1])
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("Next")).click()
    expect(page.get_by_text("so they are listed newest first")).to_be_visible()
    expect(page.locator("tbody tr").first).to_contain_text(newest[2])
    assert_accessible(page)
