"""The metrics page a hub shows its board: exact figures on a small fixed data set, charts readable
without JavaScript, the CSV, bounded queries, and who may see it."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from hubportal.workdays import LONDON, add_working_days
from intake.metrics import hub_metrics, hub_metrics_rows
from intake.models import Inquiry
from intake.rollups import rollups_available
from tests.conftest import sign_in_staff
from tests.factories import DraftFactory, SubmittedFactory, UserFactory

TODAY = dt.date(2025, 6, 30)  # a Monday
# Spring bank holiday: Monday 26 May 2025, after the weekend of 24-25 May.
PERIOD = {"from": "2025-05-01", "to": "2025-06-30"}


def at(day, hour=10, minute=0):
    return dt.datetime(2025, *day, hour, minute, tzinfo=LONDON)


def sent(hub, when, **fields):
    fields.setdefault("status", Inquiry.Status.SUBMITTED)
    return SubmittedFactory(hub=hub, submitted_at=when,
                            triage_due_on=add_working_days(when, hub.triage_target_working_days), **fields)


@pytest.fixture
def board_data(hub, other_hub):
    """Six sent inquiries to the Dorset hub (target 5 working days), a draft and another hub's inquiry.

    Working days to first response: A 0, B 2, C 1 (Friday to Tuesday over the weekend and the bank
    holiday), D 7 (sent on a Saturday, answered after its due date). Median 1.5.
    Working days to decision: A 2, B 6, D 7. Median 6.
    """
    closed = Inquiry.Status.CLOSED
    data = {
        "A": sent(hub, at((5, 21)), kind_of_help="new_idea", stage="idea",
                  themes=["health_inequalities", "digital_inclusion"], support_needed=["evaluation", "funding"],
                  organisation="Dorset County Hospital NHS Foundation Trust",
                  first_response_at=at((5, 21), 15), decided_at=at((5, 23)), closed_at=at((5, 30)),
                  status=closed, outcome="adopted"),
        "B": sent(hub, at((5, 22), 11), kind_of_help="problem", stage="piloted", themes=["digital_inclusion"],
                  support_needed=["funding"], organisation="NHS Dorset",
                  first_response_at=at((5, 27)), decided_at=at((6, 2)), status=Inquiry.Status.ROUTED),
        "C": sent(hub, at((5, 23), 16), kind_of_help="new_idea", stage="idea", themes=[],
                  support_needed=["evaluation"], organisation="Dorset County Hospital NHS Foundation Trust",
                  first_response_at=at((5, 27), 9), status=Inquiry.Status.IN_REVIEW),
        "D": sent(hub, at((5, 24)), kind_of_help="funding", stage="developing", themes=["maternity"],
                  support_needed=["digital"], organisation="=HYPERLINK(\"http://evil.example\")",
                  first_response_at=at((6, 4)), decided_at=at((6, 4)), closed_at=at((6, 4)),
                  status=closed, outcome="signposted_only"),
        "E": sent(hub, at((6, 2), 9), kind_of_help="evaluation", stage="in_use_here",
                  themes=["digital_inclusion", "core20"], support_needed=["funding"], organisation="NHS Dorset"),
        "F": sent(hub, at((6, 30), 9), kind_of_help="adopt_proven", stage="", themes=[], support_needed=[],
                  organisation=""),
    }
    DraftFactory(hub=hub, title="Not sent yet")
    sent(other_hub, at((5, 21)), first_response_at=at((5, 21)), status=Inquiry.Status.IN_REVIEW)
    return data


def figures(breakdown):
    return [(f.label, f.value) for f in breakdown.figures]


def nonzero(breakdown):
    return [(f.label, f.value) for f in breakdown.figures if f.value]


@pytest.mark.django_db
def test_it_counts_only_the_hubs_sent_inquiries_and_follows_them_through_the_funnel(hub, board_data):
    metrics = hub_metrics(hub=hub, today=TODAY)

    assert metrics.total == 6
    assert figures(metrics.funnel) == [("Sent to the hub", 6), ("Had a first response", 4),
                                       ("Decided (routed, in support or closed)", 3), ("Closed", 2)]
    assert figures(metrics.statuses) == [("Submitted", 2), ("In review", 1), ("Awaiting information", 0),
                                         ("Routed to partners", 1), ("In support", 0), ("Closed", 2)]
    assert nonzero(metrics.outcomes) == [("Adopted or implemented", 1), ("Signposted only", 1)]
    assert sum(f.value for f in metrics.outcomes.figures) == 2


@pytest.mark.django_db
def test_it_measures_medians_in_working_days_across_a_weekend_and_a_bank_holiday(hub, board_data):
    metrics = hub_metrics(hub=hub, today=TODAY)

    assert (metrics.first_response.median, metrics.first_response.count) == (1.5, 4)
    assert (metrics.decision.median, metrics.decision.count) == (6, 3)


@pytest.mark.django_db
def test_the_share_within_target_counts_late_answers_and_unanswered_inquiries_past_their_due_date(
        hub, board_data):
    target = hub_metrics(hub=hub, today=TODAY).target

    # A, B and C answered in time; D answered the day after it was due; E is past due with no
    # answer; F was sent today and is not due yet, so it is not judged.
    assert (target.within, target.late, target.missed, target.judged) == (3, 1, 1, 5)
    assert target.share == 60.0
    assert target.working_days == 5


@pytest.mark.django_db
def test_it_breaks_inquiries_down_by_kind_of_help_theme_support_need_stage_and_organisation(hub, board_data):
    kind, themes, support, stage, _sector, organisation = hub_metrics(hub=hub, today=TODAY).breakdowns

    assert nonzero(kind) == [("I have a new idea", 2), ("I want to adopt an innovation that has worked elsewhere", 1),
                             ("I have a problem and I am looking for a solution", 1),
                             ("I need help with evaluation", 1), ("I need help with funding or a bid", 1)]
    assert nonzero(themes) == [("Digital inclusion", 3), ("Reducing health inequalities", 1),
                               ("Core20: the most deprived 20% of the population", 1), ("Maternity care", 1)]
    assert len(themes.figures) == 13  # every theme, with its zero, so a board sees the gaps
    assert nonzero(support) == [("Funding and bid writing", 3), ("Evaluation and evidence", 2),
                                ("Digital and interoperability", 1)]
    # Stages keep their order (idea to proven), and an unanswered stage is shown as such.
    assert figures(stage) == [("An idea: not yet developed or tested", 2), ("Being developed or prototyped", 1),
                              ("Piloted or tested on a small scale", 1), ("In use in my organisation", 1),
                              ("Proven and in use elsewhere", 0), ("Not given", 1)]
    assert figures(organisation) == [("Dorset County Hospital NHS Foundation Trust", 2), ("NHS Dorset", 2),
                                     ("Not given", 1), ('=HYPERLINK("http://evil.example")', 1)]


@pytest.mark.django_db
def test_it_counts_inquiries_per_week_over_the_last_26_weeks_with_empty_weeks_shown(hub, board_data):
    per_week = hub_metrics(hub=hub, today=TODAY).per_week

    assert len(per_week.figures) == 26
    assert per_week.figures[0].code == "2025-01-06"
    assert [(f.code, f.value) for f in per_week.figures[-7:]] == [
        ("2025-05-19", 4), ("2025-05-26", 0), ("2025-06-02", 1), ("2025-06-09", 0), ("2025-06-16", 0),
        ("2025-06-23", 0), ("2025-06-30", 1)]
    assert per_week.figures[-7].label == "19 May 2025"


@pytest.mark.django_db
def test_a_period_narrows_every_figure_to_inquiries_sent_in_it(hub, board_data):
    metrics = hub_metrics(hub=hub, date_from=dt.date(2025, 5, 22), date_to=dt.date(2025, 5, 24), today=TODAY)

    assert metrics.total == 3  # B, C and D
    assert (metrics.first_response.median, metrics.decision.median) == (2, 6.5)
    assert [(f.code, f.value) for f in metrics.per_week.figures] == [("2025-05-19", 3)]


@pytest.mark.django_db
def test_organisations_beyond_the_ten_commonest_are_counted_as_other(hub):
    for i in range(12):
        for _ in range(12 - i):
            sent(hub, at((5, 21)), organisation=f"Organisation {i:02d}")

    organisation = hub_metrics(hub=hub, today=TODAY).breakdowns[-1]

    assert [f.label for f in organisation.figures][:2] == ["Organisation 00", "Organisation 01"]
    assert len(organisation.figures) == 11
    assert (organisation.figures[-1].label, organisation.figures[-1].value) == ("Other", 2 + 1)


@pytest.mark.django_db
def test_a_hub_with_no_inquiries_gets_zeros_and_no_medians(hub):
    metrics = hub_metrics(hub=hub, today=TODAY)

    assert metrics.total == 0
    assert metrics.first_response.median is None and metrics.decision.median is None
    assert metrics.target.share is None
    assert ("Summary", "Median working days to first response", "") in hub_metrics_rows(metrics)


# --- The page and the CSV -----------------------------------------------------------------------------


def metrics_url(hub):
    return reverse("intake:staff_metrics", args=[hub.slug])


def csv_url(hub):
    return reverse("intake:staff_metrics_csv", args=[hub.slug])


@pytest.mark.django_db
def test_the_page_draws_each_chart_as_svg_with_a_title_and_the_same_figures_in_a_table(
        lead_client, hub, board_data):
    response = lead_client.get(metrics_url(hub), PERIOD)

    assert response.status_code == 200
    page = response.content.decode()
    # Nine charts, and "How it arrived" (issue 10).
    # Nine charts, "How it arrived" and the submitter's sector (issue 10).
    assert page.count("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"app-bar-chart\"") == 11
    assert 'role="img" aria-labelledby="chart-kind_of_help-title chart-kind_of_help-desc"' in page
    assert '<title id="chart-kind_of_help-title">Kind of help</title>' in page
    assert "Highest: I have a new idea, 2." in page
    assert page.count('class="nhsuk-table"') == 11
    # The same figure in the chart and in its table.
    assert '<rect x="0" y="24" width="396.0" height="20" fill="#005eb8"><title>I have a new idea: 2</title>' in page
    assert ('<td class="nhsuk-table__cell">I have a new idea</td>'
            '<td class="nhsuk-table__cell nhsuk-table__cell--numeric">2</td>') in page
    assert "<td class=\"nhsuk-table__cell\">19 May 2025</td>" in page
    assert "1.5 working days" in page and "(over 4 inquiries)" in page
    # Seen today, F (sent on 30 June 2025) is long past due too: 3 of 6 answered within target.
    assert "50% <span" in page and "(3 of 6: 1 answered late, 2 past target" in page
    assert "<script" not in page.split('id="maincontent"')[1].split("</main>")[0]


@pytest.mark.django_db
def test_the_csv_holds_every_figure_as_section_label_value_with_formulas_neutralised(
        lead_client, hub, board_data):
    response = lead_client.get(csv_url(hub), PERIOD)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="DOR-metrics-2025-05-01-to-2025-06-30.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "label", "value"]
    assert rows[1:11] == [
        ["Summary", "Inquiries sent", "6"],
        ["Summary", "Median working days to first response", "1.5"],
        ["Summary", "Inquiries with a first response", "4"],
        ["Summary", "Median working days to decision", "6"],
        ["Summary", "Inquiries decided", "3"],
        ["Summary", "Triage target (working days)", "5"],
        ["Summary", "First response within target", "3"],
        ["Summary", "First response after target", "1"],
        ["Summary", "No response yet and past target", "2"],  # E and, seen today, F
        ["Summary", "Share within target (%)", "50"],
    ]
    assert ["Inquiries per week", "2025-05-19", "4"] in rows
    assert ["Theme", "Digital inclusion", "3"] in rows
    assert ["Support needed", "Funding and bid writing", "3"] in rows
    assert ["Stage", "Not given", "1"] in rows
    assert ["Organisation", "'=HYPERLINK(\"http://evil.example\")", "1"] in rows
    assert ["Outcome", "Adopted or implemented", "1"] in rows
    assert ["Where inquiries are now", "Submitted", "2"] in rows
    assert ["Funnel", "Closed", "2"] in rows
    # One row per figure on the page: ten summary figures and every bar of every chart.
    weeks = 10  # the weeks beginning 28 April to 30 June 2025
    sources = 4  # web, email, phone, meeting (issue 10)
    sectors = 7 + 1  # the seven sectors and "Not given" (issue 10)
    assert len(rows) == 1 + 10 + weeks + 10 + 13 + 10 + 6 + 4 + 6 + 6 + 4 + sources + sectors


@pytest.mark.django_db
@pytest.mark.parametrize(("period", "message"), [
    ({"from": "2025-06-30", "to": "2025-05-01"}, "“To” must be the same as or after “From”"),
    ({"from_day": "31", "from_month": "2", "from_year": "2025"}, "“From” must be a real date"),
    ({"from_day": "1", "from_month": "", "from_year": ""}, "“From” must include a month and year"),
    ({"to": "2999-01-01"}, "“To” must be today or in the past"),
])
def test_a_wrong_period_is_explained_and_every_inquiry_is_shown_meanwhile(
        lead_client, hub, board_data, period, message):
    response = lead_client.get(metrics_url(hub), period)

    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert page.count(message) == 2  # in the error summary and beside the field
    assert "Every inquiry sent to the hub." in page
    assert response.context["metrics"].total == 6
    download = lead_client.get(csv_url(hub), period)
    assert download.status_code == 400
    assert download.content.decode() == f"{message}\n"


def make_inquiries(hub, count, start):
    for i in range(count):
        when = at((5, 1)) + dt.timedelta(days=i % 40, hours=i % 7)
        sent(hub, when, organisation=f"Trust {i % 13}", themes=["digital_inclusion", "net_zero"][: i % 3],
             support_needed=["funding"], first_response_at=when + dt.timedelta(days=1 + i % 5),
             decided_at=when + dt.timedelta(days=9) if i % 2 else None,
             status=Inquiry.Status.ROUTED if i % 2 else Inquiry.Status.IN_REVIEW)


# The figures' own queries: three from the rollups on PostgreSQL (issue 13), five counted live elsewhere.
FIGURE_QUERIES = 3 if rollups_available() else 5


@pytest.mark.django_db
def test_the_figures_take_a_fixed_number_of_queries_however_many_inquiries_there_are(
        hub, django_assert_num_queries):
    # The figures, and one for the hub's own priority themes (issue 10).
    make_inquiries(hub, 3, 0)
    with django_assert_num_queries(FIGURE_QUERIES + 1):
        assert hub_metrics(hub=hub, today=TODAY).total == 3
    make_inquiries(hub, 60, 3)
    with django_assert_num_queries(FIGURE_QUERIES + 1):
        assert hub_metrics(hub=hub, today=TODAY).total == 63


@pytest.mark.django_db
def test_the_page_and_the_csv_keep_a_fixed_query_count_as_the_hub_grows(
        lead_client, hub, django_assert_num_queries):
    make_inquiries(hub, 3, 0)
    lead_client.get(metrics_url(hub))  # the session and its device are loaded once warmed up
    counts = {}
    # Five for the session, the membership and the hub, and one for the hub's themes.
    csv_queries = FIGURE_QUERIES + 5
    for size in ("small", "large"):
        if size == "large":
            make_inquiries(hub, 60, 3)
        for url in (metrics_url(hub), csv_url(hub)):
            expected = counts.get(url, csv_queries + 1 if url == metrics_url(hub) else csv_queries)
            with django_assert_num_queries(expected) as captured:
                assert lead_client.get(url, PERIOD).status_code == 200
            counts[url] = len(captured)
    # The page has one more than the CSV: the lay review panel's figures (review.selectors).
    assert counts == {metrics_url(hub): csv_queries + 1, csv_url(hub): csv_queries}


# --- Who may see it ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_the_staff_sign_in(client, hub, board_data):
    for url in (metrics_url(hub), csv_url(hub)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/sign-in/?next=")


@pytest.mark.django_db
def test_a_submitter_without_the_second_factor_is_sent_to_the_staff_sign_in(submitter_client, hub, board_data):
    for url in (metrics_url(hub), csv_url(hub)):
        response = submitter_client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/sign-in/?next=")


@pytest.mark.django_db
def test_a_lead_of_another_hub_gets_404_and_sees_no_figures(other_lead_client, hub, board_data):
    for url in (metrics_url(hub), csv_url(hub)):
        response = other_lead_client.get(url)
        assert response.status_code == 404
        assert b"Dorset County Hospital" not in response.content


@pytest.mark.django_db
def test_a_hub_member_with_a_password_but_no_second_factor_is_sent_to_sign_in(client, hub, board_data):
    from hubportal.models import HubMembership

    member = UserFactory(email="password.only@example.nhs.uk")
    HubMembership.objects.create(hub=hub, user=member)
    client.force_login(member)
    assert client.get(metrics_url(hub)).status_code == 302
    sign_in_staff(client, member)
    assert client.get(metrics_url(hub)).status_code == 200
