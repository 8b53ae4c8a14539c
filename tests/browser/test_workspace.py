"""The staff workspace in a triage meeting, in Chromium: the case page (first answer above the fold at
1280px, its sections reached by anchor links, the referral form behind "Refer to partners"), the list
with filters applied and removed, a saved search shared with the hub, the parked queue, and a partner
arriving by an emailed link. axe-core and the 320px reflow check run on every state visited."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from intake import services
from intake.models import Inquiry, SavedSearch
from partners.models import PartnerContact
from tests.factories import DraftFactory, SubmittedFactory
from tests.partners.factories import PartnerContactFactory, PartnerFactory

from .conftest import assert_accessible
from .test_signposting_journey import _referral_link_path
from .test_triage_journey import staff_sign_in, triage_world  # noqa: F401 - the fixture is used below

pytestmark = pytest.mark.browser

# The first answer must be readable without scrolling on a 1280 x 720 laptop screen (the fold).
FOLD_PX = 700
first_answer_offsets = []


def test_a_triage_meeting_works_through_the_case_page_list_saved_searches_and_parked_queue(
        page, triage_world, live_server):  # noqa: F811 - the imported fixture
    hub, lead, inquiry = triage_world["hub"], triage_world["lead"], triage_world["inquiry"]
    submitter = triage_world["submitter"]
    for n in range(3):
        SubmittedFactory(submitter=submitter, hub=hub, reference=f"DOR-2026-{n + 90:05d}",
                         title=f"Digital IG question {n}", kind_of_help="information_governance" if n else "new_idea",
                         organisation="University Hospitals Dorset NHS Foundation Trust",
                         triage_due_on=timezone.localdate() - dt.timedelta(days=3))
    parked = services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=hub, title="Sensor trial later"),
                                     by=submitter)
    services.inquiry_park(inquiry=parked, by=lead, until=timezone.localdate() + dt.timedelta(days=30),
                          reason="After the pilot", version=parked.version)

    page.set_viewport_size({"width": 1280, "height": 720})
    staff_sign_in(page, lead.email, triage_world["device"])
    expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()
    assert_accessible(page)

    # The case page: the summary band, then the first answer above the fold.
    page.goto(f"/staff/dorset/inquiries/{inquiry.reference}/")
    expect(page.get_by_role("heading", level=1, name="Falls sensors in care homes")).to_be_visible()
    band = page.locator(".app-case-band")
    expect(band).to_contain_text("Waiting for")
    expect(band).to_contain_text("The hub: triage")
    first_answer = page.locator("#answers ~ .nhsuk-summary-list .nhsuk-summary-list__row").first
    box = first_answer.bounding_box()
    first_answer_offsets.append(box["y"])
    print(f"first answer at {box['y']:.0f}px from the top at 1280px wide")
    assert box["y"] + box["height"] < FOLD_PX, box
    assert_accessible(page)

    # Each section is an anchor away (no JavaScript needed), and the referral form waits behind a summary.
    nav = page.get_by_role("navigation", name="Sections of this inquiry")
    for name, target in [("Checklist", "checklists"), ("Notes (0)", "notes"), ("Timeline", "timeline")]:
        nav.get_by_role("link", name=name).click()
        expect(page).to_have_url(re.compile(f"#{target}$"))
        expect(page.locator(f"#{target}")).to_be_in_viewport()
    expect(page.get_by_role("button", name="Send referrals")).to_be_hidden()
    page.get_by_text("Refer to partners").click()
    expect(page.get_by_role("button", name="Send referrals")).to_be_visible()
    assert_accessible(page)
    expect(page.locator("#timeline ~ .app-timeline")).to_contain_text("Jo Bloggs sent the inquiry to the hub")

    # The list with filters applied: a summary of them, each removable in one click.
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_role("heading", level=1, name="All inquiries")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Kind of help").select_option("information_governance")
    page.get_by_label("Only overdue for triage").check()
    page.get_by_role("button", name="Apply filters").click()
    summary = page.locator(".app-filter-summary")
    expect(summary).to_contain_text("Only overdue for triage: Yes")
    expect(page.get_by_role("link", name="DOR-2026-00091")).to_be_visible()
    expect(page.get_by_role("link", name="DOR-2026-00090")).to_have_count(0)
    assert_accessible(page)

    # Sort by triage due: the column header says which way.
    page.get_by_role("link", name=re.compile("^Triage due")).click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Triage due")
    assert_accessible(page)

    # Save the search and share it with the hub.
    page.get_by_text("Save this search").click()
    page.get_by_label("Name this search").fill("Overdue IG questions")
    page.get_by_label("Share it with everyone in the hub").check()
    page.get_by_role("button", name="Save search").click()
    expect(page.get_by_text("You saved the search “Overdue IG questions” and shared it with the hub")).to_be_visible()
    saved = SavedSearch.objects.get()
    assert saved.is_shared and "kind_of_help=information_governance" in saved.query and "overdue=on" in saved.query
    assert_accessible(page)

    # Remove one filter: the others stay.
    summary.get_by_role("link", name=re.compile("Only overdue for triage")).click()
    expect(page.locator(".app-filter-summary")).not_to_contain_text("Only overdue")
    expect(page.locator(".app-filter-summary")).to_contain_text("Kind of help")
    assert_accessible(page)

    # The saved search brings the filters back.
    page.get_by_role("link", name="Overdue IG questions").click()
    expect(page.locator(".app-filter-summary")).to_contain_text("Only overdue for triage: Yes")

    # The parked queue from the dashboard shows the return date.
    page.get_by_role("link", name="Dashboard", exact=True).click()
    parked_card = page.locator(".nhsuk-card").filter(has=page.get_by_role("heading", name=re.compile("^Parked")))
    expect(parked_card).to_contain_text("Sensor trial later")
    expect(parked_card).to_contain_text("Back ")
    parked_card.get_by_role("link", name=re.compile("See all 1")).click()
    expect(page.get_by_role("heading", level=2, name="Parked")).to_be_visible()
    expect(page.get_by_role("link", name=parked.reference)).to_be_visible()
    assert_accessible(page)


def test_a_partner_arriving_by_an_emailed_link_sees_the_signed_in_header(page, triage_world):  # noqa: F811
    from signposting.services import referral_send

    hub, lead, inquiry = triage_world["hub"], triage_world["lead"], triage_world["inquiry"]
    partner = PartnerFactory(name="Health Innovation Wessex", hubs=[hub])
    PartnerContactFactory(partner=partner, name="Priya Natarajan", email="priya@wessex.example.org")
    referral_send(inquiry=Inquiry.objects.get(pk=inquiry.pk), partner=partner, by=lead)
    page.goto(_referral_link_path("priya@wessex.example.org"))
    assert_accessible(page)
    page.get_by_role("button", name="Open the referral").click()
    header = page.locator("header.nhsuk-header")
    expect(header).to_contain_text("priya@wessex.example.org")
    expect(header.get_by_role("link", name="Your organisation's referrals")).to_be_visible()
    expect(header.get_by_role("button", name="Sign out")).to_be_visible()
    assert_accessible(page)
    assert PartnerContact.objects.filter(email="priya@wessex.example.org").exists()
