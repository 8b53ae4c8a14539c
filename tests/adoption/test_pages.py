"""The staff pages of cases (board, case, gate, milestones, benefits, settings) and the survey page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from adoption import services
from adoption.models import (
    BenefitActual,
    BenefitFollowUp,
    BenefitLine,
    Case,
    GateDecision,
    Milestone,
    Survey,
)
from hubportal.testing import sign_in_staff
from intake import services as intake_services
from tests.factories import SubmittedFactory


def _case_in_support(hub, hub_lead, submitter, n, title="Case"):
    inquiry = SubmittedFactory(submitter=submitter, hub=hub, reference=f"DOR-2026-{n:05d}", title=f"{title} {n}")
    intake_services.inquiry_start_review(inquiry=inquiry, by=hub_lead, version=inquiry.version)
    intake_services.inquiry_start_support(inquiry=inquiry, by=hub_lead, version=None)
    return Case.objects.get(inquiry=inquiry)


@pytest.mark.django_db
def test_the_board_shows_each_stage_with_counts_time_in_stage_and_overdue_milestones(
        lead_client, case, hub, hub_lead, submitter):
    other = _case_in_support(hub, hub_lead, submitter, 20, title="Digital physio")
    services.case_decide(case=other, by=hub_lead, decision="progress", rationale="ok", version=other.version)
    Milestone.objects.create(case=case, stage=case.stage, title="Kick-off", owner_name="Jo",
                             due_on=dt.date(2020, 1, 1))
    response = lead_client.get(reverse("adoption:board", args=["dorset"]))
    body = response.content.decode()
    assert response.status_code == 200
    columns = [(c.stage.name, c.count, [x.inquiry.reference for x in c.cases]) for c in response.context["columns"]]
    assert columns == [("Explore", 1, ["DOR-2026-00007"]), ("Test", 1, ["DOR-2026-00020"]),
                       ("Adopt and spread", 0, [])]
    assert "1 overdue milestone" in body and "day" in body and "in stage" in body
    assert 'style="' not in body and "<script>" not in body.split("</header>")[-1]


@pytest.mark.django_db
def test_the_board_filters_like_the_inquiry_list(lead_client, case, hub, hub_lead, hub_member, submitter):
    other = _case_in_support(hub, hub_lead, submitter, 21, title="Digital physio")
    intake_services.inquiry_assign(inquiry=other.inquiry, by=hub_lead, assignee=hub_member,
                                   version=other.inquiry.version)
    url = reverse("adoption:board", args=["dorset"])
    by_assignee = lead_client.get(url, {"assignee": hub_member.pk}).context["columns"]
    assert [x.inquiry.reference for c in by_assignee for x in c.cases] == ["DOR-2026-00021"]
    by_text = lead_client.get(url, {"q": "physio"}).context["columns"]
    assert [x.inquiry.reference for c in by_text for x in c.cases] == ["DOR-2026-00021"]
    overdue = lead_client.get(url, {"overdue": "on"}).context["columns"]
    assert sum(c.count for c in overdue) == 0


@pytest.mark.django_db
def test_the_board_keeps_a_fixed_number_of_queries_as_cases_grow(
        lead_client, hub, hub_lead, submitter, django_assert_max_num_queries):
    url = reverse("adoption:board", args=["dorset"])
    for n in range(30, 33):
        _case_in_support(hub, hub_lead, submitter, n)
    with django_assert_max_num_queries(20) as few:
        lead_client.get(url)
    for n in range(40, 70):
        case = _case_in_support(hub, hub_lead, submitter, n)
        Milestone.objects.create(case=case, stage=case.stage, title="Kick-off", owner_name="Jo",
                                 due_on=dt.date(2020, 1, 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = lead_client.get(url)
    explore = response.context["columns"][0]
    assert (explore.count, len(explore.cases), explore.more) == (33, 25, 8)
    rest = lead_client.get(url, {"stage": "explore", "page": "2"}).context["columns"][0]
    assert (rest.count, len(rest.cases), rest.more) == (33, 8, 0)
    assert {c.pk for c in rest.cases}.isdisjoint({c.pk for c in explore.cases})


@pytest.mark.django_db
def test_the_case_page_keeps_a_fixed_number_of_queries(lead_client, case, hub_lead, django_assert_max_num_queries):
    url = reverse("adoption:case", args=["dorset", "DOR-2026-00007"])
    with django_assert_max_num_queries(40) as few:
        lead_client.get(url)
    for n in range(8):
        services.milestone_add(case=case, by=hub_lead, title=f"Step {n}", owner_name="Jo", due_on=dt.date(2099, 1, n + 1))
        services.benefit_line_add(case=case, by=hub_lead, measure=f"Measure {n}", unit="hours", baseline=1, target=2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert lead_client.get(url).status_code == 200


@pytest.mark.django_db
def test_a_hub_member_records_a_gate_decision_on_its_page(client, case, hub_member):
    sign_in_staff(client, hub_member)
    url = reverse("adoption:case_decide", args=["dorset", "DOR-2026-00007", "park"])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"version": case.version, "rationale": "", "review_on": "2020-01-01"})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Enter the rationale for this decision" in body and "The review date must be in the future" in body
    review = timezone.localdate() + dt.timedelta(days=60)
    done = client.post(url, {"version": case.version, "rationale": "Waiting for the new financial year",
                             "review_on": review.isoformat(), "barrier": "funding"})
    assert done.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.review_on) == ("parked", review)
    assert GateDecision.objects.get(case=case).decided_by == hub_member


@pytest.mark.django_db
def test_a_decision_the_case_does_not_allow_is_refused_with_a_message(lead_client, case, hub_lead):
    Case.objects.filter(pk=case.pk).update(status="stopped")
    response = lead_client.get(reverse("adoption:case_decide", args=["dorset", "DOR-2026-00007", "progress"]),
                               follow=True)
    assert "This cannot be done now: the case is stopped" in response.content.decode()
    assert lead_client.get(reverse("adoption:case_decide", args=["dorset", "DOR-2026-00007", "dance"])).status_code == 404


@pytest.mark.django_db
def test_milestones_and_benefit_lines_are_validated_and_added(lead_client, case):
    base = ["dorset", "DOR-2026-00007"]
    bad = lead_client.post(reverse("adoption:milestone_add", args=base),
                           {"title": "", "owner_name": "Matron", "due_on": "2020-01-01"})
    assert bad.status_code == 400 and "Enter what the milestone is" in bad.content.decode()
    ok = lead_client.post(reverse("adoption:milestone_add", args=base),
                          {"title": "Ward chosen", "owner_name": "Matron", "due_on": "2099-01-05"})
    assert ok.status_code == 302
    assert list(Milestone.objects.values_list("title", "owner_name", "stage__name")) == [
        ("Ward chosen", "Matron", "Explore")]
    target_only = lead_client.post(reverse("adoption:benefit_add", args=base),
                                   {"measure": "Cost", "unit": "gbp", "baseline": "", "target": "5000"})
    assert target_only.status_code == 400 and "Enter a baseline before a target" in target_only.content.decode()
    words = lead_client.post(reverse("adoption:benefit_add", args=base),
                             {"measure": "Cost", "unit": "gbp", "baseline": "lots", "target": ""})
    assert "Enter baseline as a number" in words.content.decode()
    no_unit = lead_client.post(reverse("adoption:benefit_add", args=base),
                               {"measure": "Cost", "unit": "", "baseline": "1", "target": ""})
    assert "Choose the unit" in no_unit.content.decode()
    assert not BenefitLine.objects.exists()
    added = lead_client.post(reverse("adoption:benefit_add", args=base),
                             {"measure": "Cost of agency shifts", "unit": "gbp", "baseline": "£12,400.50",
                              "target": "8000"})
    assert added.status_code == 302
    line = BenefitLine.objects.get()
    assert (str(line.baseline), str(line.target), line.unit) == ("12400.50", "8000.00", "gbp")


@pytest.mark.django_db
def test_the_database_refuses_a_target_without_a_baseline(case):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        BenefitLine.objects.create(case=case, measure="Cost", unit="gbp", target=5)


@pytest.mark.django_db
def test_staff_enter_actuals_for_a_follow_up(lead_client, case, hub_lead):
    line = services.benefit_line_add(case=case, by=hub_lead, measure="Hours saved", unit="hours", baseline=0, target=10)
    follow_up = BenefitFollowUp.objects.create(case=case, months=3, due_on=dt.date(2026, 6, 1))
    url = reverse("adoption:follow_up_actuals", args=["dorset", "DOR-2026-00007", follow_up.public_id])
    assert lead_client.post(url, {f"value_{line.pk}": "7"}).status_code == 302
    actual = BenefitActual.objects.get()
    assert (str(actual.value), actual.recorded_by) == ("7.00", hub_lead)
    follow_up.refresh_from_db()
    assert follow_up.recorded_at is not None


@pytest.mark.django_db
def test_only_a_hub_lead_changes_the_adoption_settings(client, hub, hub_lead, hub_member):
    url = reverse("adoption:settings", args=["dorset"])
    sign_in_staff(client, hub_member)
    assert client.get(url).status_code == 404
    sign_in_staff(client, hub_lead)
    bad = client.post(url, {"follow_up_months": "3, six", "benefit_reminder_working_days": "0"})
    assert bad.status_code == 400
    assert "Enter whole months separated by commas" in bad.content.decode()
    ok = client.post(url, {"follow_up_months": "12, 3", "benefit_reminder_working_days": "5",
                           "survey_reminder_working_days": "5", "milestone_overdue_working_days": "1",
                           "partner_progress_interval_days": "45", "partner_progress_chase_working_days": "5",
                           "partner_progress_escalation_working_days": "5"})
    assert ok.status_code == 302
    hub.refresh_from_db()
    assert hub.adoption_settings.benefit_follow_up_months == [3, 12]
    assert hub.partner_progress_interval_days == 45


@pytest.mark.django_db
def test_the_submitter_answers_the_survey_once_and_nobody_else_may(client, case, hub_lead, submitter, other_submitter):
    services.case_decide(case=case, by=hub_lead, decision="stop", rationale="x", version=case.version,
                         outcome="withdrawn")
    url = reverse("adoption:survey", args=[case.inquiry.public_id])
    client.force_login(other_submitter)
    assert client.get(url).status_code == 404
    client.force_login(submitter)
    bad = client.post(url, {"satisfaction": "11", "would_recommend": ""})
    assert bad.status_code == 400
    assert "Select a score from 1 to 10 for recommending the hub" in bad.content.decode()
    assert client.post(url, {"satisfaction": "8", "would_recommend": "9", "comment": "Helpful"}).status_code == 200
    survey = Survey.objects.get()
    assert (survey.satisfaction, survey.would_recommend, survey.comment) == (8, 9, "Helpful")
    again = client.post(url, {"satisfaction": "1", "would_recommend": "1"})
    assert "Thank you for your answers" in again.content.decode()
    survey.refresh_from_db()
    assert survey.satisfaction == 8
