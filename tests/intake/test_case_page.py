"""The staff case page: summary band first, sections in order, decisions from the lifecycle, a timeline
worded for its reader, new answers highlighted, and a bounded number of queries."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from intake import selectors, services
from intake.models import Checklist, Criterion, Inquiry
from intake.staff_views import DECISION_ACTIONS
from tests.factories import DraftFactory, SubmittedFactory, UserFactory
from tests.partners.factories import PartnerContactFactory, PartnerFactory

WHEN = dt.datetime(2026, 3, 2, 10, 36, tzinfo=dt.UTC)


@pytest.fixture
def sent(hub, submitter):
    return services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=hub, title="Falls sensor"),
                                   by=submitter)


def case_url(hub, inquiry):
    return reverse("intake:staff_inquiry", args=[hub.slug, inquiry.reference])


def decision_buttons(html):
    """The labels of the decision buttons in the page's "Decide" group."""
    match = re.search(r'<div class="app-actions app-case__decisions"[^>]*>(.*?)\n</div>', html, re.S)
    if not match:
        return set()
    return set(re.findall(r'data-module="nhsuk-button"[^>]*>([^<]+)<', match.group(1)))


@pytest.mark.django_db
def test_it_shows_the_summary_band_then_the_sections_with_the_answers_first(lead_client, hub, sent):
    html = lead_client.get(case_url(hub, sent)).content.decode()
    positions = [html.index(marker) for marker in (
        'class="app-case-band"', 'class="app-case-nav"', 'id="answers"', 'id="checklists"', 'id="questions"',
        'id="referrals-heading"', 'id="notes"', 'id="timeline"', 'id="data-protection"')]
    assert positions == sorted(positions)
    band = html[html.index('class="app-case-band"'):html.index("</dl>", html.index('class="app-case-band"'))]
    for key in ("Status", "Triage", "Assigned to", "Checklist", "Consent", "Waiting for"):
        assert f"<dt>{key}</dt>" in band
    assert "The hub: triage" in band
    assert "Not assessed" in band
    # The sub-navigation is anchor links to each section: it works without JavaScript.
    nav = html[html.index('class="app-case-nav"'):html.index("</nav>", html.index('class="app-case-nav"'))]
    assert re.findall(r'href="#([a-z-]+)"', nav) == ["answers", "checklists", "questions", "referrals-heading",
                                                     "notes", "timeline", "data-protection"]


@pytest.mark.django_db
def test_the_referral_form_waits_behind_refer_to_partners(lead_client, hub, sent):
    html = lead_client.get(case_url(hub, sent)).content.decode()
    details = html.index('<details class="nhsuk-details app-refer"')
    assert html.index("Refer to partners", details) < html.index("Send referrals", details)
    assert '<details class="nhsuk-details app-refer" open>' not in html


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["submitted", "in_review", "awaiting_info", "routed", "in_support", "closed"])
def test_the_decision_buttons_are_exactly_what_the_lifecycle_allows(lead_client, hub, submitter, status):
    inquiry = SubmittedFactory(submitter=submitter, hub=hub, status=status)
    allowed = selectors.inquiry_available_decisions(inquiry)
    labels = {label for name, label, _kind, _style in DECISION_ACTIONS if name in allowed}
    html = lead_client.get(case_url(hub, inquiry)).content.decode()
    assert decision_buttons(html) == labels
    if status == "closed":
        assert labels == set()


@pytest.mark.django_db
def test_the_timeline_is_worded_for_staff_and_for_the_submitter(lead_client, client, hub, hub_lead, submitter):
    priya = UserFactory(email="priya.shah@nhs.net", full_name="Priya Shah")
    inquiry = services.inquiry_submit(inquiry=DraftFactory(submitter=priya, hub=hub), by=priya)
    services.inquiry_request_info(inquiry=inquiry, by=hub_lead, question="Which wards?", version=inquiry.version)
    services.inquiry_answer_info(inquiry=Inquiry.objects.get(pk=inquiry.pk), by=priya, answer="Ward 4")

    staff_html = lead_client.get(case_url(hub, inquiry)).content.decode()
    # The case page's body is Jinja2, which writes an apostrophe as &#39; (Django's pages as &#x27;).
    assert "Priya Shah answered the hub&#39;s question" in staff_html
    assert "Sarah Whitfield asked the submitter a question" in staff_html

    client.force_login(priya)
    own_html = client.get(reverse("intake:inquiry_detail", args=[inquiry.public_id])).content.decode()
    assert "You answered the hub&#x27;s question" in own_html
    assert "Dorset Innovation Hub asked you for more information" in own_html
    assert "Sarah Whitfield" not in own_html  # the submitter reads the hub, not its staff's names


@pytest.mark.django_db
def test_referring_writes_one_timeline_line_per_referral(lead_client, hub, hub_lead, sent):
    from signposting.services import referral_send_many

    wessex = PartnerFactory(name="Health Innovation Wessex", hubs=[hub])
    PartnerContactFactory(partner=wessex, email="priya@wessex.example.org")
    uni = PartnerFactory(name="Bournemouth University", hubs=[hub])
    PartnerContactFactory(partner=uni, email="emma@bournemouth.example.ac.uk")
    referral_send_many(inquiry=sent, partners=[wessex, uni], by=hub_lead)

    html = lead_client.get(case_url(hub, sent)).content.decode()
    timeline = html[html.index('id="timeline"'):]
    assert timeline.count("Referred to Health Innovation Wessex") == 1
    assert timeline.count("Referred to Bournemouth University") == 1


@pytest.mark.django_db
def test_an_answer_that_arrived_since_the_hub_last_acted_is_highlighted_first(lead_client, hub, hub_lead,
                                                                              submitter, sent):
    services.inquiry_request_info(inquiry=sent, by=hub_lead, question="Which wards?", version=sent.version)
    services.inquiry_answer_info(inquiry=Inquiry.objects.get(pk=sent.pk), by=submitter, answer="Ward 4 and 5")

    html = lead_client.get(case_url(hub, sent)).content.decode()
    answers = html[html.index('id="answers"'):html.index('id="checklists"')]
    assert "app-new-answer" in answers and "Ward 4 and 5" in answers
    assert answers.index("Ward 4 and 5") < answers.index("nhsuk-summary-list")

    # Once the hub acts again, it is no longer new.
    services.inquiry_add_note(inquiry=sent, by=hub_lead, body="Read it")
    html = lead_client.get(case_url(hub, sent)).content.decode()
    assert "app-new-answer" not in html


def _grow(hub, hub_lead, submitter, inquiry, times):
    """More of everything the case page lists: notes, questions answered, assessments, referrals."""
    from signposting.services import referral_send

    checklist = Checklist.objects.get_or_create(hub=hub, slug="triage", defaults={"name": "Triage"})[0]
    criterion = Criterion.objects.get_or_create(checklist=checklist, question="Is it proven?")[0]
    for n in range(times):
        services.inquiry_add_note(inquiry=inquiry, by=hub_lead, body=f"Note {n}")
        inquiry = Inquiry.objects.get(pk=inquiry.pk)
        if inquiry.status != "awaiting_info" and inquiry.can_become("awaiting_info"):
            services.inquiry_request_info(inquiry=inquiry, by=hub_lead, question=f"Q{n}", version=inquiry.version)
            services.inquiry_answer_info(inquiry=Inquiry.objects.get(pk=inquiry.pk), by=submitter, answer=f"A{n}")
        services.assessment_record(inquiry=inquiry, by=hub_lead, checklist=checklist,
                                   answers={criterion: ("yes", "")}, summary="")
        partner = PartnerFactory(hubs=[hub])
        PartnerContactFactory(partner=partner)
        referral_send(inquiry=Inquiry.objects.get(pk=inquiry.pk), partner=partner, by=hub_lead)
    return Inquiry.objects.get(pk=inquiry.pk)


@pytest.mark.django_db
def test_the_case_page_issues_the_same_number_of_queries_at_two_data_sizes(lead_client, hub, hub_lead,
                                                                           submitter, sent):
    small = _grow(hub, hub_lead, submitter, sent, 1)
    with CaptureQueriesContext(connection) as few:
        assert lead_client.get(case_url(hub, small)).status_code == 200
    large = _grow(hub, hub_lead, submitter, small, 6)
    with CaptureQueriesContext(connection) as many:
        assert lead_client.get(case_url(hub, large)).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many][len(few):]
    print(f"case page: {len(few)} queries")
    assert len(few) <= CASE_PAGE_QUERIES


# Measured (SQLite and PostgreSQL alike: 25) with the session, the staff checks, the inquiry, the
# signposting panel and its matcher, checklists, questions, notes, events and similar inquiries, the
# access log's one INSERT, the emails from the hub's mailbox, the lay review panel, and the inquiry's
# case of support with its stage (adoption).
CASE_PAGE_QUERIES = 27


@pytest.mark.django_db
@time_machine.travel(WHEN, tick=False)
def test_the_submitter_sees_when_to_expect_a_response_in_words(submitter_client, hub, submitter):
    inquiry = services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=hub), by=submitter)
    html = submitter_client.get(reverse("intake:inquiry_detail", args=[inquiry.public_id])).content.decode()
    due = inquiry.triage_due_on
    assert f"You can expect a response from the hub by {due:%A} {due:%-d} {due:%B} {due:%Y}." in html


@pytest.mark.parametrize("when, text", [
    (dt.datetime(2026, 3, 2, 10, 36, tzinfo=dt.UTC), "10:36am"),
    (dt.datetime(2026, 7, 2, 23, 5, tzinfo=dt.UTC), "12:05am"),  # British Summer Time: London's clock
    (dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), "9am"),
    (dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC), "3:30pm"),
])
def test_times_read_the_nhs_way(when, text):
    rendered = Template("{% load nhs_dates %}{{ when|nhs_time }}").render(Context({"when": when}))
    assert rendered == text


@pytest.mark.django_db
def test_the_rarer_states_of_the_band_and_the_data_protection_section(client, lead_client, hub, hub_lead,
                                                                        hub_member, submitter):
    """The case page's body is a Jinja2 partial that fails on a missing name: each of its branches is drawn
    here at least once, with hostile text escaped."""
    from hubportal.testing import sign_in_staff

    hostile = '"><script>alert(1)</script>'
    overdue = SubmittedFactory(submitter=submitter, hub=hub, consent_share_with_partners=False,
                               triage_due_on=dt.date(2020, 1, 6), parked_until=dt.date(2099, 1, 5),
                               legal_hold_reason=f"A claim {hostile}", legal_hold_at=WHEN, legal_hold_by=hub_lead)
    html = lead_client.get(case_url(hub, overdue)).content.decode()
    assert "Due 6 January 2020 <strong class=\"nhsuk-tag nhsuk-tag--red\">Overdue</strong>" in html
    assert "Parked until 5 January 2099" in html
    assert "<strong>Do not share with partners</strong>" in html
    assert "Nobody" in html  # not assigned
    assert "Legal hold</strong></a>" in html  # flagged in the contents list
    assert "since 2 March 2026: A claim &quot;&gt;&lt;script&gt;" in html  # drawn by a Django include
    assert "Release the legal hold" in html
    assert "<script>alert(1)" not in html

    member_html = sign_in_staff(client, hub_member).get(case_url(hub, overdue)).content.decode()
    assert "Release the legal hold" not in member_html
    assert "Who saw this inquiry" not in member_html
    assert "No legal hold." not in member_html  # there is one

    removed = SubmittedFactory(submitter=submitter, hub=hub, status=Inquiry.Status.CLOSED,
                               outcome=Inquiry.Outcome.NOT_PROGRESSED, closed_at=WHEN, anonymised_at=WHEN)
    html = sign_in_staff(client, hub_member).get(case_url(hub, removed)).content.decode()
    assert "Personal data removed on 2 March 2026." in html
    assert "Closed 2 March 2026" in html
    assert "No legal hold." not in html  # nothing left to hold
