"""A case in support: it enters the first stage, moves by gate decisions, and ends with the inquiry."""

import datetime as dt

import pytest
import time_machine

from adoption import services
from adoption.models import BenefitFollowUp, Case, GateDecision, Stage, StageVisit, Survey
from hubportal.models import OutboundEmail, Reminder
from intake import services as intake_services
from intake.models import Assessment, Inquiry, InquiryEvent
from intake.selectors import hub_checklists
from signposting import services as signposting_services
from signposting.models import Referral
from tests.adoption.conftest import MONDAY
from tests.factories import SubmittedFactory
from tests.partners.factories import PartnerContactFactory, PartnerFactory

LATER = MONDAY + dt.timedelta(days=20)


def decide(case, by, decision, **kwargs):
    case.refresh_from_db()
    kwargs.setdefault("rationale", f"Because: {decision}")
    return services.case_decide(case=case, by=by, decision=decision, version=case.version, **kwargs)


@pytest.mark.django_db
def test_it_enters_the_hubs_first_stage_when_the_inquiry_is_taken_into_support(supported, hub):
    case = Case.objects.get(inquiry=supported)
    assert [s.name for s in Stage.objects.filter(hub=hub)] == ["Explore", "Test", "Adopt and spread"]
    assert (case.stage.name, case.status, case.sponsor_name, case.sponsor_email) == (
        "Explore", "active", "Jo Bloggs", "jo.bloggs@nhs.net")
    assert list(StageVisit.objects.filter(case=case).values_list("stage__name", "left_at")) == [("Explore", None)]
    assert supported.events.filter(kind=InquiryEvent.Kind.STAGE_ENTERED, description="Explore",
                                   is_visible_to_submitter=True).count() == 1


@pytest.mark.django_db
def test_it_enters_the_first_stage_when_a_partner_accepts_a_routed_inquiry(submitter, hub, hub_lead):
    inquiry = SubmittedFactory(submitter=submitter, hub=hub, reference="DOR-2026-00011")
    partner = PartnerFactory(name="Health Innovation Wessex", hubs=[hub])
    contact = PartnerContactFactory(partner=partner, email="priya@wessex.example.org")
    referral = signposting_services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    signposting_services.referral_accept(referral=referral, contact=contact)
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.IN_SUPPORT
    assert Case.objects.get(inquiry=inquiry).stage.name == "Explore"


@pytest.mark.django_db
def test_a_failing_hook_leaves_the_inquiry_out_of_support(submitter, hub, hub_lead, monkeypatch):
    """The hook runs in inquiry_start_support's transaction: no case, no support."""
    inquiry = SubmittedFactory(submitter=submitter, hub=hub, reference="DOR-2026-00012", status="in_review")

    def broken(*args, **kwargs):
        raise RuntimeError("no stages")

    monkeypatch.setattr(services, "hub_stages", broken)
    with pytest.raises(RuntimeError):
        intake_services.inquiry_start_support(inquiry=inquiry, by=hub_lead, version=None)
    inquiry.refresh_from_db()
    assert inquiry.status == "in_review"
    assert not Case.objects.filter(inquiry=inquiry).exists()


@pytest.mark.django_db
def test_it_progresses_through_explore_test_and_adopt_and_plans_the_benefit_follow_ups(case, hub_lead):
    with time_machine.travel(LATER, tick=False):
        decide(case, hub_lead, "progress")
        decide(case, hub_lead, "progress")
    case.refresh_from_db()
    assert (case.stage.name, case.status, case.version) == ("Adopt and spread", "active", 2)
    assert list(StageVisit.objects.filter(case=case).values_list("stage__name", flat=True)) == [
        "Explore", "Test", "Adopt and spread"]
    assert StageVisit.objects.filter(case=case, left_at__isnull=True).count() == 1
    follow_ups = list(BenefitFollowUp.objects.filter(case=case).values_list("months", "due_on"))
    assert follow_ups == [(3, dt.date(2026, 6, 22)), (6, dt.date(2026, 9, 22)), (12, dt.date(2027, 3, 22))]
    assert Reminder.objects.filter(kind="adoption.follow_up").count() == 6  # a request and a reminder each
    assert list(GateDecision.objects.filter(case=case).values_list("from_stage__name", "to_stage__name")) == [
        ("Explore", "Test"), ("Test", "Adopt and spread")]


@pytest.mark.django_db
def test_progress_from_the_last_stage_completes_the_case_closes_the_inquiry_as_adopted_and_sends_the_survey_once(
        case, hub_lead, django_capture_on_commit_callbacks, outbox):
    decide(case, hub_lead, "progress")
    decide(case, hub_lead, "progress")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        decide(case, hub_lead, "progress", rationale="Business as usual on three wards")
    case.refresh_from_db()
    inquiry = case.inquiry
    assert case.status == Case.Status.COMPLETED and case.ended_at is not None
    assert (inquiry.status, inquiry.outcome) == ("closed", "adopted")
    survey = Survey.objects.get(case=case)
    assert OutboundEmail.objects.filter(key=f"survey:{survey.pk}:request").count() == 1
    assert len(callbacks) >= 1
    survey_mail = [m for m in outbox if "How did" in m.subject]
    assert len(survey_mail) == 1 and survey_mail[0].to == ["jo.bloggs@nhs.net"]
    assert f"/inquiries/{inquiry.public_id}/survey/" in survey_mail[0].body
    assert f"/inquiries/{inquiry.public_id}/survey/" in survey_mail[0].alternatives[0][0]
    # Ending again (the hook runs on any later close too) sends nothing more.
    services.case_end_for_inquiry(inquiry=inquiry, event="closed", by=None)
    assert OutboundEmail.objects.filter(template="survey_request").count() == 1


@pytest.mark.django_db
def test_no_email_is_queued_when_the_decision_rolls_back(case, hub_lead):
    decide(case, hub_lead, "progress")
    decide(case, hub_lead, "progress")
    with pytest.raises(RuntimeError):
        from django.db import transaction

        with transaction.atomic():
            decide(case, hub_lead, "progress")
            raise RuntimeError("something after the decision failed")
    assert not OutboundEmail.objects.filter(template="survey_request").exists()
    assert Case.objects.get(pk=case.pk).status == "active"


@pytest.mark.django_db
@pytest.mark.parametrize("decision", ["hold", "park"])
def test_hold_and_park_need_a_future_review_date_and_plan_a_reminder_for_it(case, hub_lead, decision):
    with time_machine.travel(MONDAY, tick=False):
        with pytest.raises(services.InvalidDecision):
            decide(case, hub_lead, decision)
        with pytest.raises(services.InvalidDecision):
            decide(case, hub_lead, decision, review_on=dt.date(2026, 3, 2))
        decide(case, hub_lead, decision, review_on=dt.date(2026, 4, 3), barrier="funding")
    case.refresh_from_db()
    assert case.status == {"hold": "on_hold", "park": "parked"}[decision]
    assert case.review_on == dt.date(2026, 4, 3)
    gate = GateDecision.objects.get(case=case)
    assert (gate.barrier, gate.review_on, gate.decided_by) == ("funding", dt.date(2026, 4, 3), hub_lead)
    # 3 April 2026 is Good Friday and 6 April Easter Monday: the reminder waits for Tuesday 7 April.
    reminder = Reminder.objects.get(kind="adoption.review")
    assert reminder.due_at.date() == dt.date(2026, 4, 7)
    assert case.inquiry.events.filter(kind=InquiryEvent.Kind.GATE_DECIDED, is_visible_to_submitter=False).count() == 1


@pytest.mark.django_db
def test_resuming_a_held_case_cancels_its_review_reminder(case, hub_lead):
    decide(case, hub_lead, "hold", review_on=dt.date(2099, 1, 5))
    decide(case, hub_lead, "resume")
    case.refresh_from_db()
    assert (case.status, case.review_on) == ("active", None)
    assert Reminder.objects.get(kind="adoption.review").outcome == "cancelled"


@pytest.mark.django_db
def test_stop_closes_the_inquiry_with_its_outcome_and_barrier_and_closes_open_referrals(case, hub, hub_lead, outbox,
                                                                                        django_capture_on_commit_callbacks):
    partner = PartnerFactory(name="Bournemouth University", hubs=[hub])
    PartnerContactFactory(partner=partner, email="emma@bournemouth.example.ac.uk")
    referral = signposting_services.referral_send(inquiry=case.inquiry, partner=partner, by=hub_lead)
    with pytest.raises(services.InvalidDecision):
        decide(case, hub_lead, "stop")
    with django_capture_on_commit_callbacks(execute=True):
        decide(case, hub_lead, "stop", outcome="not_progressed", barrier="procurement", rationale="No framework")
    case.refresh_from_db()
    referral.refresh_from_db()
    assert case.status == Case.Status.STOPPED
    assert (case.inquiry.status, case.inquiry.outcome, case.inquiry.outcome_reason) == (
        "closed", "not_progressed", "No framework")
    assert GateDecision.objects.get(case=case).barrier == "procurement"
    assert referral.status == Referral.Status.CLOSED
    assert Survey.objects.filter(case=case).count() == 1
    assert sorted(m.to[0] for m in outbox) == ["emma@bournemouth.example.ac.uk", "jo.bloggs@nhs.net",
                                               "jo.bloggs@nhs.net"]  # partner told; closed + survey


@pytest.mark.django_db
def test_a_decision_on_a_page_that_is_out_of_date_is_refused_and_changes_nothing(case, hub_lead):
    stale = case.version
    decide(case, hub_lead, "progress")
    with pytest.raises(services.CaseChanged):
        services.case_decide(case=case, by=hub_lead, decision="hold", rationale="x", version=stale,
                             review_on=dt.date(2099, 1, 1))
    case.refresh_from_db()
    assert (case.stage.name, case.status) == ("Test", "active")
    assert GateDecision.objects.filter(case=case).count() == 1


@pytest.mark.django_db
def test_the_guarded_update_refuses_a_decision_when_another_lands_between_the_check_and_the_write(
        case, hub_lead, monkeypatch):
    """Another person's decision commits after this one passed the Python checks: the UPDATE's WHERE
    version=... AND status=... finds no row, and nothing of this decision is written."""
    real_next_stage = services.next_stage

    def someone_else_decides_meanwhile(locked):
        Case.objects.filter(pk=locked.pk).update(version=locked.version + 1, status="on_hold")
        return real_next_stage(locked)

    monkeypatch.setattr(services, "next_stage", someone_else_decides_meanwhile)
    with pytest.raises(services.CaseChanged):
        services.case_decide(case=case, by=hub_lead, decision="progress", rationale="x", version=case.version)
    case.refresh_from_db()
    # (The simulated writer ran in this test's transaction, so the rollback undid it too.)
    assert case.stage.name == "Explore"
    assert not GateDecision.objects.filter(case=case).exists()
    assert not StageVisit.objects.filter(case=case, stage__name="Test").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("status", [s for s, _ in Case.Status.choices])
@pytest.mark.parametrize("decision", [d for d, _ in Case.Decision.choices])
def test_every_decision_is_allowed_exactly_where_the_transitions_table_says(case, hub_lead, status, decision):
    Case.objects.filter(pk=case.pk).update(status=status)
    case.refresh_from_db()
    allowed = decision in Case.TRANSITIONS[Case.Status(status)]
    assert (decision in services.case_available_decisions(case)) is allowed
    kwargs = {"review_on": dt.date(2099, 1, 1)} if decision in ("hold", "park") else {}
    if decision == "stop":
        kwargs["outcome"] = "not_progressed"
    if allowed:
        decide(case, hub_lead, decision, **kwargs)
        assert GateDecision.objects.filter(case=case, decision=decision).count() == 1
    else:
        with pytest.raises(services.DecisionNotAllowed):
            decide(case, hub_lead, decision, **kwargs)
        assert not GateDecision.objects.filter(case=case).exists()


@pytest.mark.django_db
def test_gate_criteria_answers_are_an_assessment_against_the_stages_exit_checklist(case, hub_lead, exit_checklist):
    Stage.objects.filter(pk=case.stage_id).update(exit_checklist=exit_checklist)
    case.refresh_from_db()
    lead_q, dpia_q = exit_checklist.criteria.all()
    decide(case, hub_lead, "progress", answers={lead_q: ("yes", ""), dpia_q: ("no", "Booked for May")})
    gate = GateDecision.objects.get(case=case)
    assert gate.assessment == Assessment.objects.get(inquiry=case.inquiry, checklist=exit_checklist)
    assert str(gate.assessment.score) == "33.3"
    # A gate checklist is not offered at triage.
    assert exit_checklist not in hub_checklists(hub=case.hub, inquiry=case.inquiry)


@pytest.mark.django_db
def test_closing_an_inquiry_in_support_from_its_page_ends_the_case_and_sends_the_survey(case, hub_lead):
    intake_services.inquiry_close(inquiry=case.inquiry, by=hub_lead, outcome="progressing_elsewhere",
                                  reason="Taken on by the ICB", version=None)
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and case.ended_at is not None
    assert not StageVisit.objects.filter(case=case, left_at__isnull=True).exists()
    assert Survey.objects.filter(case=case).count() == 1


@pytest.mark.django_db
def test_withdrawing_consent_leaves_the_case_in_support(case, submitter):
    intake_services.inquiry_withdraw_consent(inquiry=case.inquiry, by=submitter)
    case.refresh_from_db()
    assert case.status == "active" and not Survey.objects.exists()


@pytest.mark.django_db
def test_progressing_answers_the_next_stages_entry_criteria_too(case, hub, hub_lead, exit_checklist, lead_client):
    from intake.models import Checklist, Criterion

    entry = Checklist.objects.create(hub=hub, name="Ready to start testing?", slug="entry-test",
                                     kind=Checklist.Kind.GATE)
    site = Criterion.objects.create(checklist=entry, question="Is a pilot site agreed?", position=1)
    Stage.objects.filter(pk=case.stage_id).update(exit_checklist=exit_checklist)
    Stage.objects.filter(hub=hub, slug="test").update(entry_checklist=entry)
    url = f"/staff/dorset/cases/{case.inquiry.reference}/decide/progress/"
    page = lead_client.get(url).content.decode()
    assert "Ready to test?" in page and "Ready to start testing?" in page and "Is a pilot site agreed?" in page
    lead_q, dpia_q = exit_checklist.criteria.all()
    missing = lead_client.post(url, {"version": 0, "rationale": "ok", f"answer_{lead_q.pk}": "yes",
                                     f"answer_{dpia_q.pk}": "yes"})
    assert missing.status_code == 400 and "Answer “Is a pilot site agreed?”" in missing.content.decode()
    done = lead_client.post(url, {"version": 0, "rationale": "ok", f"answer_{lead_q.pk}": "yes",
                                  f"answer_{dpia_q.pk}": "yes", f"answer_{site.pk}": "no"})
    assert done.status_code == 302
    gate = GateDecision.objects.get(case=case)
    assert (gate.assessment.checklist, str(gate.assessment.score)) == (exit_checklist, "100.0")
    assert (gate.entry_assessment.checklist, str(gate.entry_assessment.score)) == (entry, "0.0")
