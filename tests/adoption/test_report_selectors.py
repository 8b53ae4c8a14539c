"""The value report's figures (part B builds on these): each is right on known data and one query."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from adoption import selectors, services
from adoption.models import BenefitFollowUp, Survey
from hubportal.workdays import LONDON
from signposting import selectors as signposting_selectors
from signposting import services as signposting_services
from tests.adoption.conftest import MONDAY
from tests.factories import SubmittedFactory
from tests.partners.factories import PartnerContactFactory, PartnerFactory

START = dt.datetime(2026, 1, 1, tzinfo=LONDON)
END = dt.datetime(2027, 1, 1, tzinfo=LONDON)


@pytest.fixture
def figures(case, hub, hub_lead, submitter, other_hub):
    """Two cases in Dorset: one adopted with benefits and a survey, one stopped for funding."""
    with time_machine.travel(MONDAY, tick=False):
        for _ in range(2):
            case.refresh_from_db()
            services.case_decide(case=case, by=hub_lead, decision="progress", rationale="ok", version=case.version)
        falls = services.benefit_line_add(case=case, by=hub_lead, measure="Falls", unit="per_1000_bed_days",
                                          baseline=Decimal("6"), target=Decimal("4"))
        cost = services.benefit_line_add(case=case, by=hub_lead, measure="Agency cost", unit="gbp",
                                         baseline=Decimal("10000"), target=Decimal("6000"))
        services.benefit_line_add(case=case, by=hub_lead, measure="Not yet measured", unit="gbp",
                                  baseline=Decimal("1"), target=None)
    three, six = BenefitFollowUp.objects.filter(case=case, months__in=[3, 6]).order_by("months")
    services.benefit_actuals_record(follow_up=three, values={falls: (Decimal("5"), ""), cost: (Decimal("9000"), "")},
                                    by=hub_lead)
    services.benefit_actuals_record(follow_up=six, values={falls: (Decimal("4.5"), ""), cost: (Decimal("7000"), "")},
                                    by=hub_lead)
    second = SubmittedFactory(submitter=submitter, hub=hub, reference="DOR-2026-00030", status="in_review")
    with time_machine.travel(MONDAY + dt.timedelta(days=7), tick=False):
        from intake.services import inquiry_start_support

        inquiry_start_support(inquiry=second, by=hub_lead, version=None)
        stopped = second.adoption_case
        services.case_decide(case=stopped, by=hub_lead, decision="stop", rationale="No money", version=0,
                             outcome="not_progressed", barrier="funding")
    Survey.objects.filter(case=stopped).update(answered_at=MONDAY, satisfaction=6, would_recommend=9)
    return {"hub_ids": [hub.pk]}


@pytest.mark.django_db
def test_stage_progression_time_in_stage_and_barriers(figures, hub, django_assert_num_queries):
    with django_assert_num_queries(1):
        progression = selectors.report_stage_progression(**figures, start=START, end=END)
    assert [(r["from_stage__name"], r["decision"], r["n"]) for r in progression] == [
        ("Explore", "progress", 1), ("Explore", "stop", 1), ("Test", "progress", 1)]
    with django_assert_num_queries(1):
        barriers = selectors.report_barriers(**figures, start=START, end=END)
    assert [(r["barrier"], r["decision"], r["n"]) for r in barriers] == [("funding", "stop", 1)]
    with django_assert_num_queries(1):
        times = selectors.report_time_in_stage(**figures, start=START, end=END)
    by_stage = {r["stage__name"]: r for r in times}
    assert by_stage["Explore"]["visits"] == 2 and by_stage["Explore"]["still_in"] == 0
    assert by_stage["Adopt and spread"]["still_in"] == 1
    with django_assert_num_queries(1):
        now = selectors.report_cases_by_stage(hub_ids=figures["hub_ids"])
    assert [(r["stage__name"], r["status"], r["n"]) for r in now] == [("Adopt and spread", "active", 1)]


@pytest.mark.django_db
def test_benefits_sum_baseline_latest_actual_and_target_where_units_agree(figures, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = selectors.report_benefits(**figures, start=dt.date(2026, 1, 1), end=dt.date(2027, 1, 1))
    assert [(r["measure"], r["unit"], r["baseline"], r["target"], r["actual"]) for r in rows] == [
        ("Agency cost", "gbp", Decimal("10000"), Decimal("6000"), Decimal("7000")),
        ("Falls", "per_1000_bed_days", Decimal("6"), Decimal("4"), Decimal("4.5"))]
    with django_assert_num_queries(1):
        units = selectors.report_benefit_units(**figures, start=dt.date(2026, 1, 1), end=dt.date(2026, 7, 1))
    # Only the 3-month follow-up (June) is in this period.
    assert [(r["unit"], r["actual"]) for r in units] == [("gbp", Decimal("9000")), ("per_1000_bed_days", Decimal("5"))]
    with django_assert_num_queries(1):
        follow_ups = selectors.report_follow_ups(**figures, start=dt.date(2026, 1, 1), end=dt.date(2027, 1, 1))
    assert [(r["due"], r["recorded"]) for r in follow_ups] == [(2, 2)]


@pytest.mark.django_db
def test_survey_results(figures, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = selectors.report_surveys(**figures, start=START, end=END)
    assert [(r["sent"], r["answered"], r["avg_satisfaction"], r["avg_would_recommend"], r["promoters"]) for r in rows] == [
        (1, 1, 6.0, 9.0, 1)]


@pytest.mark.django_db
def test_the_figures_take_the_same_queries_whatever_the_number_of_cases(figures, hub, hub_lead, submitter,
                                                                       django_assert_num_queries):
    from intake.services import inquiry_start_support

    for n in range(40, 60):
        inquiry = SubmittedFactory(submitter=submitter, hub=hub, reference=f"DOR-2026-{n:05d}", status="in_review")
        inquiry_start_support(inquiry=inquiry, by=hub_lead, version=None)
    with django_assert_num_queries(7):
        selectors.report_stage_progression(**figures, start=START, end=END)
        selectors.report_time_in_stage(**figures, start=START, end=END)
        selectors.report_barriers(**figures, start=START, end=END)
        selectors.report_benefits(**figures, start=START.date(), end=END.date())
        selectors.report_surveys(**figures, start=START, end=END)
        selectors.report_milestones(**figures, start=START.date(), end=END.date())
        selectors.report_cases_by_stage(hub_ids=figures["hub_ids"])


@pytest.mark.django_db
def test_declines_and_hand_backs_are_counted_by_coded_reason(hub, hub_lead, submitter, django_assert_num_queries):
    partner = PartnerFactory(name="Wessex", hubs=[hub])
    contact = PartnerContactFactory(partner=partner, email="priya@wessex.example.org")
    # Sent, declined and handed back inside the report's period, whatever date the suite runs on.
    with time_machine.travel(dt.datetime(2026, 6, 1, 10, tzinfo=LONDON), tick=False):
        for n, outcome in enumerate(["no_capacity", "no_capacity", "out_of_scope", "hand_back"]):
            inquiry = SubmittedFactory(submitter=submitter, hub=hub, reference=f"DOR-2026-{n + 100:05d}")
            referral = signposting_services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
            if outcome == "hand_back":
                signposting_services.referral_accept(referral=referral, contact=contact)
                signposting_services.referral_hand_back(referral=referral, contact=contact, reason="no_capacity",
                                                        details="Team moved")
            else:
                signposting_services.referral_decline(referral=referral, contact=contact, reason=outcome)
    with django_assert_num_queries(2):
        rows = signposting_selectors.report_decline_reasons(hub_ids=[hub.pk], start=START, end=END)
    assert [(r["kind"], r["reason"], r["n"]) for r in rows] == [
        ("declined", "no_capacity", 2), ("declined", "out_of_scope", 1), ("handed_back", "no_capacity", 1)]
    with django_assert_num_queries(1):
        partners = signposting_selectors.report_referrals_by_partner(hub_ids=[hub.pk], start=START, end=END)
    assert [(r["partner__name"], r["sent"], r["accepted"], r["declined"], r["handed_back"]) for r in partners] == [
        ("Wessex", 4, 1, 3, 1)]


@pytest.mark.django_db
def test_a_cases_visits_milestones_and_follow_ups_carry_its_hub(figures, hub, case, hub_lead):
    from django.db.models import F

    from adoption.models import Milestone, StageVisit

    case.refresh_from_db()
    services.milestone_add(case=case, by=hub_lead, title="Pilot on ward 3", owner_name="Sam", due_on=END.date())
    # Made by the services (and the seed, tests/devtools/test_seed_demo_bulk.py): the report reads them by hub.
    for model in (StageVisit, Milestone, BenefitFollowUp):
        assert set(model.objects.values_list("hub_id", flat=True)) == {hub.pk}, model
        assert not model.objects.exclude(hub_id=F("case__hub_id")).exists()
