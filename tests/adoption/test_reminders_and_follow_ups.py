"""Milestones, reviews, benefit follow-ups and the survey are reminded through hubportal.reminders:
09:00 London on a working day, once per stage, whatever the sweep does."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from adoption import services
from adoption.models import BenefitActual, BenefitFollowUp, Stage, Survey
from hubportal.models import EmailLink, OutboundEmail, Reminder
from hubportal.reminders import reminders_send
from tests.adoption.conftest import MONDAY, at


@pytest.mark.django_db
def test_a_milestone_due_on_christmas_day_is_reminded_after_the_bank_holidays_once_each_stage(
        case, hub_lead, hub_member, outbox, django_capture_on_commit_callbacks):
    with time_machine.travel(MONDAY, tick=False):
        milestone = services.milestone_add(case=case, by=hub_lead, title="Business case signed off",
                                           owner_name="Finance", owner_user=hub_member,
                                           due_on=dt.date(2026, 12, 25))
    planned = {r.stage: r.due_at for r in Reminder.objects.filter(kind="adoption.milestone")}
    # Friday 25 December and Monday 28 December (Boxing Day's substitute) are bank holidays.
    assert planned == {"due": at(dt.date(2026, 12, 29)), "overdue": at(dt.date(2026, 12, 30))}
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(now=at(dt.date(2026, 12, 28), 12)) == []
        first = reminders_send(now=at(dt.date(2026, 12, 29), 10))
        again = reminders_send(now=at(dt.date(2026, 12, 29), 11))
        overdue = reminders_send(now=at(dt.date(2026, 12, 30), 10))
    assert [(r.stage, o) for r, o in first] == [("due", "sent to 1")]
    assert again == []
    assert [(r.stage, o) for r, o in overdue] == [("overdue", "sent to 1")]
    assert [m.to for m in outbox] == [[hub_member.email], [hub_member.email]]
    assert outbox[0].subject == "Milestone on DOR-2026-00007 is due today"
    assert outbox[1].subject == "Milestone on DOR-2026-00007 is overdue"
    assert "/staff/dorset/cases/DOR-2026-00007/" in outbox[0].body
    assert "/staff/dorset/cases/DOR-2026-00007/" in outbox[0].alternatives[0][0]
    assert milestone.title in outbox[0].body


@pytest.mark.django_db
def test_a_reached_milestone_is_not_reminded(case, hub_lead, outbox, django_capture_on_commit_callbacks):
    milestone = services.milestone_add(case=case, by=hub_lead, title="Ward chosen", owner_name="Matron",
                                       due_on=dt.date(2099, 1, 5))
    services.milestone_complete(milestone=milestone, by=hub_lead)
    services.milestone_complete(milestone=milestone, by=hub_lead)  # a second click changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(now=at(dt.date(2099, 2, 1))) == []
    assert outbox == []
    assert case.inquiry.events.filter(kind="milestone_done").count() == 1


@pytest.mark.django_db
def test_a_held_case_reminds_its_owners_on_the_review_date(case, hub_lead, outbox, django_capture_on_commit_callbacks):
    with time_machine.travel(MONDAY, tick=False):
        services.case_decide(case=case, by=hub_lead, decision="hold", rationale="Waiting for funding",
                             version=case.version, review_on=dt.date(2026, 3, 16))
    with django_capture_on_commit_callbacks(execute=True):
        results = reminders_send(now=at(dt.date(2026, 3, 16), 10))
        reminders_send(now=at(dt.date(2026, 3, 17), 10))
    assert [o for _, o in results] == ["sent to 1"]
    assert [m.to for m in outbox] == [[hub_lead.email]]
    assert outbox[0].subject == "Review DOR-2026-00007: on hold until today"


def _to_adopt(case, hub_lead):
    with time_machine.travel(MONDAY, tick=False):
        for _ in range(2):
            case.refresh_from_db()
            services.case_decide(case=case, by=hub_lead, decision="progress", rationale="Ready",
                                 version=case.version)
    case.refresh_from_db()
    return case


def _link_token(body):
    return re.search(r"/benefits/link/([^/\s]+)/", body).group(1)


@pytest.mark.django_db
def test_the_sponsor_is_emailed_a_link_at_each_follow_up_once_and_reminded_once(
        case, hub_lead, outbox, django_capture_on_commit_callbacks):
    case = _to_adopt(case, hub_lead)
    three = BenefitFollowUp.objects.get(case=case, months=3)
    assert three.due_on == dt.date(2026, 6, 2)
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(now=at(dt.date(2026, 6, 1), 12))  # not yet
        request = reminders_send(now=at(dt.date(2026, 6, 2), 10))
        reminders_send(now=at(dt.date(2026, 6, 2), 11))
        remind = reminders_send(now=at(dt.date(2026, 6, 16), 10))  # 10 working days later
        reminders_send(now=at(dt.date(2026, 6, 30), 10))
    assert [o for _, o in request] == ["sent to the sponsor"]
    assert [o for _, o in remind] == ["sent to the sponsor"]
    assert [m.to for m in outbox] == [["jo.bloggs@nhs.net"], ["jo.bloggs@nhs.net"]]
    assert outbox[0].subject == "3-month benefits of DOR-2026-00007: please record the actuals"
    assert outbox[1].subject.startswith("Reminder: 3-month benefits")
    assert _link_token(outbox[0].body) == _link_token(outbox[0].alternatives[0][0])
    assert EmailLink.objects.filter(purpose="benefit_actuals", subject_ref=str(three.public_id)).count() == 2
    # The link is a secret: once sent, the outbox row no longer holds it.
    assert all("link_url" not in row.context for row in OutboundEmail.objects.filter(
        template="benefit_actuals_request"))


@pytest.mark.django_db
def test_the_sponsor_records_actuals_through_the_link_once_and_is_not_reminded_after(
        case, hub_lead, client, outbox, django_capture_on_commit_callbacks):
    case = _to_adopt(case, hub_lead)
    falls = services.benefit_line_add(case=case, by=hub_lead, measure="Falls per 1,000 bed days",
                                      unit="per_1000_bed_days", baseline=6, target=4)
    hours = services.benefit_line_add(case=case, by=hub_lead, measure="Nurse hours saved a week",
                                      unit="hours", baseline=0, target=20)
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(now=at(dt.date(2026, 6, 2), 10))
    token = _link_token(outbox[0].body)
    confirm = reverse("adoption:benefit_link", args=[token])
    assert client.get(confirm).status_code == 200  # a mail scanner's GET uses nothing
    response = client.post(confirm)
    three = BenefitFollowUp.objects.get(case=case, months=3)
    assert response.status_code == 302 and response["Location"] == reverse("adoption:benefit_actuals",
                                                                           args=[three.public_id])
    page = reverse("adoption:benefit_actuals", args=[three.public_id])
    bad = client.post(page, {f"value_{falls.pk}": "about four", f"value_{hours.pk}": ""})
    assert bad.status_code == 400
    assert "Enter falls per 1,000 bed days (per 1,000 bed days) as a number" in bad.content.decode()
    assert not BenefitActual.objects.exists()
    done = client.post(page, {f"value_{falls.pk}": "4.5", f"value_{hours.pk}": "1,250",
                              f"note_{hours.pk}": "Across three wards"})
    assert done.status_code == 200
    assert sorted((a.line.measure, str(a.value), a.recorded_by_email) for a in BenefitActual.objects.all()) == [
        ("Falls per 1,000 bed days", "4.50", "jo.bloggs@nhs.net"),
        ("Nurse hours saved a week", "1250.00", "jo.bloggs@nhs.net")]
    three.refresh_from_db()
    assert three.recorded_at is not None
    assert client.post(confirm).status_code == 410  # used
    with django_capture_on_commit_callbacks(execute=True):
        assert [o for _, o in reminders_send(now=at(dt.date(2026, 6, 30), 10))] == []
    assert len(outbox) == 1


@pytest.mark.django_db
def test_another_browser_cannot_open_the_actuals_page_without_the_link(case, hub_lead, client):
    case = _to_adopt(case, hub_lead)
    three = BenefitFollowUp.objects.get(case=case, months=3)
    assert client.get(reverse("adoption:benefit_actuals", args=[three.public_id])).status_code == 404


@pytest.mark.django_db
def test_the_hub_sets_its_own_follow_up_months(case, hub, hub_lead):
    services.adoption_settings_update(hub=hub, by=hub_lead, follow_up_months=[1, 24],
                                      benefit_reminder_working_days=5, survey_reminder_working_days=5,
                                      milestone_overdue_working_days=2, partner_progress_interval_days=14,
                                      partner_progress_chase_working_days=3,
                                      partner_progress_escalation_working_days=4)
    case = _to_adopt(case, hub_lead)
    assert list(BenefitFollowUp.objects.filter(case=case).values_list("months", "due_on")) == [
        (1, dt.date(2026, 4, 2)), (24, dt.date(2028, 3, 2))]
    hub.refresh_from_db()
    assert (hub.partner_progress_interval_days, hub.partner_progress_chase_working_days) == (14, 3)


@pytest.mark.django_db
def test_follow_ups_start_only_at_the_stage_that_starts_them(case, hub_lead):
    Stage.objects.filter(hub=case.hub, slug="adopt").update(starts_benefit_follow_ups=False)
    _to_adopt(case, hub_lead)
    assert not BenefitFollowUp.objects.exists()


@pytest.mark.django_db
def test_the_survey_is_reminded_once_and_not_after_it_is_answered(case, hub_lead, submitter, outbox,
                                                                  django_capture_on_commit_callbacks):
    with time_machine.travel(MONDAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.case_decide(case=case, by=hub_lead, decision="stop", rationale="No budget", version=case.version,
                             outcome="not_progressed", barrier="funding")
    survey = Survey.objects.get(case=case)
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(now=at(dt.date(2026, 3, 16), 10))
        reminders_send(now=at(dt.date(2026, 3, 17), 10))
    survey_mail = [m for m in outbox if "How did" in m.subject]
    assert [m.subject for m in survey_mail] == [
        "How did Dorset Innovation Hub do? Two questions about DOR-2026-00007",
        "Reminder: How did Dorset Innovation Hub do? Two questions about DOR-2026-00007"]
    services.survey_answer(survey=survey, by=submitter, satisfaction=9, would_recommend=10, comment="Great")
    with pytest.raises(services.SurveyAlreadyAnswered):
        services.survey_answer(survey=survey, by=submitter, satisfaction=1, would_recommend=1)
    survey.refresh_from_db()
    assert (survey.satisfaction, survey.would_recommend, survey.comment) == (9, 10, "Great")


@pytest.mark.django_db
def test_an_answered_survey_is_not_reminded(case, hub_lead, submitter, outbox, django_capture_on_commit_callbacks):
    with time_machine.travel(MONDAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.case_decide(case=case, by=hub_lead, decision="stop", rationale="x", version=case.version,
                             outcome="withdrawn")
        services.survey_answer(survey=Survey.objects.get(case=case), by=submitter, satisfaction=7,
                               would_recommend=6)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(now=at(dt.date(2026, 4, 30), 10)) == []
    assert len([m for m in outbox if "How did" in m.subject]) == 1
