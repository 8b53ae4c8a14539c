"""Writes on cases in support. One function per state change: each checks Case.TRANSITIONS, writes with a
conditional UPDATE, puts a line on the inquiry's timeline (intake.services.inquiry_record_event) and
queues its emails and reminders, all in one transaction.

Who might race: two hub staff deciding a gate at once (the UPDATE names the case's version, so one
wins and the other gets CaseChanged); a sponsor recording actuals while staff enter them (the last
writer's values stand, each value once per line and follow-up); a submitter answering the survey in
two tabs (answered_at IS NULL in the UPDATE: once).
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hubportal.models import EmailLink, Hub
from hubportal.services import email_link_create
from intake.models import Inquiry, InquiryEvent
from intake.services import assessment_record, inquiry_close, inquiry_record_event

from . import emails, reminders
from .models import (
    AdoptionSettings,
    BenefitActual,
    BenefitFollowUp,
    BenefitLine,
    Case,
    GateDecision,
    Milestone,
    Stage,
    StageVisit,
    Survey,
    ValueReportNarrative,
)

# The stages a hub starts with (the hubs' three-stage framework); a hub lead may rename or add in admin.
DEFAULT_STAGES = (
    ("explore", "Explore", "Scope the problem and the innovation; agree a sponsor", False),
    ("test", "Test", "Pilot it and gather evidence", False),
    ("adopt", "Adopt and spread", "Make it business as usual and spread it; benefits are followed up", True),
)

# How long the sponsor's emailed link for recording actuals works.
BENEFIT_LINK_DAYS = 30


class CaseChanged(Exception):
    """Someone else decided on the case since the page was loaded; nothing was saved."""


class DecisionNotAllowed(Exception):
    def __init__(self, current, decision):
        super().__init__(f"A case that is {current} cannot be given the decision {decision}")
        self.current, self.decision = current, decision


class InvalidDecision(ValueError):
    """A decision missing what it needs (a review date for hold and park, an outcome for stop)."""


class SurveyAlreadyAnswered(Exception):
    pass


def _event(case, kind, description, *, by=None, visible=False):
    return inquiry_record_event(inquiry=case.inquiry, kind=kind, by=by, description=description[:300],
                                visible=visible)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has no such day (31 Jan + 1 = 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def adoption_settings_for(hub: Hub) -> AdoptionSettings:
    settings_row, _ = AdoptionSettings.objects.get_or_create(hub=hub)
    return settings_row


def hub_stages(hub: Hub) -> list[Stage]:
    """The hub's stages in order; a hub that has none gets the default three (idempotent, race-safe: the
    unique (hub, slug) constraint lets one creator through)."""
    stages = list(Stage.objects.filter(hub=hub).order_by("position"))
    if not stages:
        for position, (slug, name, description, follow_ups) in enumerate(DEFAULT_STAGES, start=1):
            Stage.objects.get_or_create(hub=hub, slug=slug, defaults={
                "position": position, "name": name, "description": description,
                "starts_benefit_follow_ups": follow_ups})
        stages = list(Stage.objects.filter(hub=hub).order_by("position"))
    return stages


@transaction.atomic
def adoption_settings_update(*, hub: Hub, by, follow_up_months: list[int], benefit_reminder_working_days: int,
                             survey_reminder_working_days: int, milestone_overdue_working_days: int,
                             partner_progress_interval_days: int, partner_progress_chase_working_days: int,
                             partner_progress_escalation_working_days: int) -> AdoptionSettings:
    """A hub lead sets the hub's intervals (the partner follow-through ones live on the hub itself)."""
    row = adoption_settings_for(hub)
    AdoptionSettings.objects.filter(pk=row.pk).update(
        benefit_follow_up_months=sorted(set(follow_up_months)),
        benefit_reminder_working_days=benefit_reminder_working_days,
        survey_reminder_working_days=survey_reminder_working_days,
        milestone_overdue_working_days=milestone_overdue_working_days)
    Hub.objects.filter(pk=hub.pk).update(
        partner_progress_interval_days=partner_progress_interval_days,
        partner_progress_chase_working_days=partner_progress_chase_working_days,
        partner_progress_escalation_working_days=partner_progress_escalation_working_days)
    hub.refresh_from_db()
    row.refresh_from_db()
    return row


# --- Starting and ending a case (intake's hooks) --------------------------------------------------

def _enter_stage(case: Case, stage: Stage, *, by, now) -> None:
    StageVisit.objects.filter(case=case, left_at__isnull=True).update(left_at=now)
    StageVisit.objects.create(case=case, stage=stage, entered_at=now)
    _event(case, InquiryEvent.Kind.STAGE_ENTERED, stage.name, by=by, visible=True)
    if stage.starts_benefit_follow_ups and case.follow_ups_started_at is None:
        Case.objects.filter(pk=case.pk).update(follow_ups_started_at=now)
        case.follow_ups_started_at = now
        benefit_follow_ups_plan(case=case)


def case_start_for_inquiry(*, inquiry: Inquiry, by) -> Case:
    """intake's support-started hook (registered in AdoptionConfig.ready): the inquiry enters its hub's
    first stage, in inquiry_start_support's transaction. The submitter is the sponsor until staff name
    another. Starting twice keeps the first case."""
    existing = Case.objects.filter(inquiry=inquiry).first()
    if existing is not None:
        return existing
    inquiry = Inquiry.objects.select_related("hub", "submitter").get(pk=inquiry.pk)
    assert inquiry.hub is not None, "an inquiry in support was sent to a hub"  # the table's CHECK says so
    first = hub_stages(inquiry.hub)[0]
    now = timezone.now()
    case = Case.objects.create(inquiry=inquiry, hub=inquiry.hub, stage=first, started_at=now,
                               stage_entered_at=now, sponsor_name=inquiry.contact_name or inquiry.submitter.full_name,
                               sponsor_email=inquiry.submitter.email)
    _enter_stage(case, first, by=by, now=now)
    return case


def case_end_for_inquiry(*, inquiry: Inquiry, event: str, by) -> Case | None:
    """intake's sharing-ended hook: a closed (or erased) inquiry ends its case in the same transaction. A
    closed one sends the submitter the end-of-support survey, once. Consent withdrawal changes nothing
    here: the hub may still support the case itself."""
    if event == "consent_withdrawn":
        return None
    case = Case.objects.select_for_update(of=("self",)).select_related("inquiry__submitter", "hub").filter(
        inquiry=inquiry).first()
    if case is None:
        return None
    now = timezone.now()
    fields: dict[str, Any] = {"ended_at": case.ended_at or now, "review_on": None}
    if case.is_open:
        fields["status"] = Case.Status.CLOSED
    Case.objects.filter(pk=case.pk).update(**fields)
    StageVisit.objects.filter(case=case, left_at__isnull=True).update(left_at=now)
    reminders.cancel_review(case)
    case.refresh_from_db()
    if event == "closed":
        survey_send(case=case)
    return case


# --- Gate decisions -------------------------------------------------------------------------------

def case_available_decisions(case: Case) -> list[str]:
    """The gate decisions the table allows now, for the page's buttons (templates never repeat it)."""
    return [str(d) for d in Case.TRANSITIONS[Case.Status(case.status)]]


def next_stage(case: Case) -> Stage | None:
    return Stage.objects.filter(hub_id=case.hub_id, position__gt=case.stage.position).order_by("position").first()


def gate_criteria(case: Case, decision: str) -> list:
    """The criteria a gate decision answers: the stage's exit checklist's and, when progressing, the next
    stage's entry checklist's (in that order)."""
    if decision != Case.Decision.PROGRESS:
        return []
    checklists = [case.stage.exit_checklist]
    following = next_stage(case)
    if following is not None:
        checklists.append(following.entry_checklist)
    return [criterion for checklist in checklists if checklist is not None
            for criterion in checklist.criteria.select_related("checklist")]


def _assess(case, by, checklist, answers, summary):
    if checklist is None or not answers:
        return None
    mine = {c: a for c, a in answers.items() if c.checklist_id == checklist.pk}
    if not mine:
        return None
    return assessment_record(inquiry=case.inquiry, by=by, checklist=checklist, answers=mine, summary=summary)


@transaction.atomic
def case_decide(*, case: Case, by, decision: str, rationale: str, version: int | None,
                review_on: dt.date | None = None, barrier: str = "", outcome: str = "",
                answers: dict | None = None, summary: str = "") -> GateDecision:
    """A gate decision on a case: progress, hold, park, stop or resume.

    Rules: the decision must be in Case.TRANSITIONS for the case's status now (DecisionNotAllowed), and
    made on the version the person saw (CaseChanged); hold and park need a review date in the future and
    plan a reminder for it (once per stage and date); stop needs an outcome and closes the inquiry with it
    (intake.services.inquiry_close, which closes referrals and, through the hook, sends the survey);
    progress moves to the next stage, or from the last stage completes the case and closes the inquiry as
    adopted. `answers` (criterion -> (answer, comment)) are the criteria answers of the decision: those of
    the stage's exit checklist, and of the next stage's entry checklist when progressing, each recorded as
    an assessment (intake.services.assessment_record). Every decision goes on the timeline.
    """
    decision = Case.Decision(decision)
    locked = Case.objects.select_related("stage", "inquiry", "hub").get(pk=case.pk)
    if version is not None and version != locked.version:
        raise CaseChanged()
    allowed = Case.TRANSITIONS[Case.Status(locked.status)]
    if decision not in allowed:
        raise DecisionNotAllowed(locked.status, decision)
    if decision in Case.NEEDS_REVIEW_DATE and (review_on is None or review_on <= timezone.localdate()):
        raise InvalidDecision("A review date in the future is needed to hold or park a case")
    if decision == Case.Decision.STOP:
        if not outcome or outcome == Inquiry.Outcome.DUPLICATE:
            raise InvalidDecision("Stopping a case needs its outcome")
        outcome = Inquiry.Outcome(outcome)
    if barrier:
        barrier = str(barrier)
    from_stage = locked.stage
    to_stage = next_stage(locked) if decision == Case.Decision.PROGRESS else None
    new_status = allowed[decision]
    if decision == Case.Decision.PROGRESS and to_stage is None:
        new_status = Case.Status.COMPLETED
    now = timezone.now()
    fields: dict[str, Any] = {"status": new_status,
                              "review_on": review_on if decision in Case.NEEDS_REVIEW_DATE else None}
    if to_stage is not None:
        fields.update(stage=to_stage, stage_entered_at=now)
    # The version and the status read above must still hold: of two people deciding, one gets the row.
    if not Case.objects.filter(pk=locked.pk, version=locked.version, status=locked.status).update(
            version=F("version") + 1, **fields):
        raise CaseChanged()
    locked.refresh_from_db()
    assessment = _assess(locked, by, from_stage.exit_checklist, answers, summary)
    entry_assessment = _assess(locked, by, to_stage.entry_checklist if to_stage else None, answers, summary)
    gate = GateDecision.objects.create(case=locked, decision=decision, from_stage=from_stage, to_stage=to_stage,
                                       decided_by=by, assessment=assessment, entry_assessment=entry_assessment,
                                       rationale=rationale,
                                       review_on=fields["review_on"], barrier=barrier,
                                       outcome=outcome if decision == Case.Decision.STOP else "", decided_at=now)
    description = f"{from_stage.name}: {decision.label}"
    if to_stage is not None:
        description = f"{from_stage.name} to {to_stage.name}"
    if review_on and decision in Case.NEEDS_REVIEW_DATE:
        description += f", review on {review_on:%-d %B %Y}"
    if barrier:
        description += f". Barrier: {gate.get_barrier_display()}"
    _event(locked, InquiryEvent.Kind.GATE_DECIDED, description, by=by)
    reminders.cancel_review(locked)
    if decision in Case.NEEDS_REVIEW_DATE:
        reminders.plan_review(locked, gate)
    if to_stage is not None:
        _enter_stage(locked, to_stage, by=by, now=now)
    elif decision == Case.Decision.STOP:
        inquiry_close(inquiry=locked.inquiry, by=by, outcome=outcome, reason=rationale, version=None)
    elif new_status == Case.Status.COMPLETED:
        inquiry_close(inquiry=locked.inquiry, by=by, outcome=Inquiry.Outcome.ADOPTED, reason=rationale,
                      version=None)
    return gate


@transaction.atomic
def case_set_sponsor(*, case: Case, by, name: str, email: str) -> Case:
    """Name the case's sponsor (often the submitter): the person asked for benefit actuals."""
    Case.objects.filter(pk=case.pk).update(sponsor_name=name, sponsor_email=email.strip().lower())
    case.refresh_from_db()
    _event(case, InquiryEvent.Kind.NOTE_ADDED, f"Sponsor: {name}", by=by)
    return case


# --- Milestones -----------------------------------------------------------------------------------

@transaction.atomic
def milestone_add(*, case: Case, by, title: str, owner_name: str, due_on: dt.date, owner_user=None) -> Milestone:
    """A milestone in the case's current stage; its owner is reminded on the due date and once when it
    is overdue (working days, reminders.plan_milestone)."""
    if not case.is_open:
        raise DecisionNotAllowed(case.status, "milestone")
    milestone = Milestone.objects.create(case=case, stage_id=case.stage_id, title=title, owner_name=owner_name,
                                         owner_user=owner_user, due_on=due_on)
    reminders.plan_milestone(milestone)
    _event(case, InquiryEvent.Kind.MILESTONE_ADDED, f"{title} (due {due_on:%-d %B %Y}, {owner_name})", by=by)
    return milestone


@transaction.atomic
def milestone_complete(*, milestone: Milestone, by) -> Milestone:
    """Mark a milestone reached (once: a second click changes nothing) and drop its reminders."""
    now = timezone.now()
    if Milestone.objects.filter(pk=milestone.pk, done_at__isnull=True).update(done_at=now):
        reminders.cancel_milestone(milestone)
        _event(milestone.case, InquiryEvent.Kind.MILESTONE_DONE, milestone.title, by=by)
    milestone.refresh_from_db()
    return milestone


# --- Benefits -------------------------------------------------------------------------------------

@transaction.atomic
def benefit_line_add(*, case: Case, by, measure: str, unit: str, baseline: Decimal | None,
                     target: Decimal | None) -> BenefitLine:
    """A benefit line: a measure with a coded unit; a target only with a baseline (ValueError)."""
    if target is not None and baseline is None:
        raise ValueError("Enter a baseline before a target")
    line = BenefitLine.objects.create(case=case, measure=measure, unit=BenefitLine.Unit(unit), baseline=baseline,
                                      target=target)
    _event(case, InquiryEvent.Kind.NOTE_ADDED, f"Benefit line: {measure}", by=by)
    return line


def benefit_follow_ups_plan(*, case: Case) -> list[BenefitFollowUp]:
    """The follow-ups at the hub's months after the case entered the benefits stage, each with a request
    to the sponsor on its due date and one reminder (hubportal.reminders: once per stage)."""
    start = timezone.localtime(case.follow_ups_started_at).date()
    planned = []
    for months in adoption_settings_for(case.hub).follow_up_months:
        follow_up, _ = BenefitFollowUp.objects.get_or_create(case=case, months=months,
                                                             defaults={"due_on": add_months(start, months)})
        reminders.plan_follow_up(follow_up)
        planned.append(follow_up)
    return planned


def benefit_link_issue(*, follow_up: BenefitFollowUp):
    """A fresh single-use link for the sponsor to record this follow-up's actuals."""
    return email_link_create(purpose=EmailLink.Purpose.BENEFIT_ACTUALS, email=follow_up.case.sponsor_email,
                             subject_ref=str(follow_up.public_id), minutes=BENEFIT_LINK_DAYS * 24 * 60)


@transaction.atomic
def benefit_follow_up_request(*, follow_up: BenefitFollowUp, reminder: bool = False) -> str:
    """Email the sponsor a link to record the follow-up's actuals (the request, or its one reminder).
    Nothing when the actuals are in, or there is no sponsor address."""
    follow_up = BenefitFollowUp.objects.select_related("case__inquiry", "case__hub").get(pk=follow_up.pk)
    if follow_up.recorded_at is not None:
        return "no longer applies"
    if not follow_up.case.sponsor_email:
        return "no sponsor"
    issued = benefit_link_issue(follow_up=follow_up)
    emails.benefit_actuals_request(follow_up=follow_up, raw_token=issued.raw_token, reminder=reminder)
    if not reminder:
        BenefitFollowUp.objects.filter(pk=follow_up.pk, requested_at__isnull=True).update(requested_at=timezone.now())
    return "sent to the sponsor"


@transaction.atomic
def benefit_actuals_record(*, follow_up: BenefitFollowUp, values: dict, by=None, by_email: str = "") -> BenefitFollowUp:
    """Record actuals for a follow-up: `values` maps each benefit line of the case to (value, note).
    The sponsor (by their link: by_email) or hub staff (by). A value given again replaces the earlier one;
    the follow-up counts as recorded from the first time, and its reminder is dropped."""
    follow_up = BenefitFollowUp.objects.select_for_update(of=("self",)).select_related("case__inquiry").get(
        pk=follow_up.pk)
    lines = {line.pk: line for line in follow_up.case.benefit_lines.all()}
    now = timezone.now()
    for line, (value, note) in values.items():
        if line.pk not in lines:
            raise ValueError("A benefit line of another case")
        BenefitActual.objects.update_or_create(follow_up=follow_up, line=line, defaults={
            "value": value, "note": note, "recorded_by": by, "recorded_by_email": by_email, "recorded_at": now})
    if follow_up.recorded_at is None:
        BenefitFollowUp.objects.filter(pk=follow_up.pk).update(recorded_at=now)
        reminders.cancel_follow_up(follow_up)
    follow_up.refresh_from_db()
    who = by.get_full_name() if by else (by_email or "the sponsor")
    _event(follow_up.case, InquiryEvent.Kind.BENEFIT_RECORDED, f"{follow_up.months}-month actuals by {who}", by=by)
    return follow_up


# --- End-of-support survey ------------------------------------------------------------------------

def survey_send(*, case: Case) -> Survey:
    """Send the submitter the survey once per case (get_or_create on the case), with one reminder."""
    survey, created = Survey.objects.get_or_create(case=case, defaults={"hub": case.hub})
    if created:
        emails.survey_request(survey=survey, reminder=False)
        reminders.plan_survey(survey)
    return survey


@transaction.atomic
def survey_answer(*, survey: Survey, by, satisfaction: int, would_recommend: int, comment: str = "") -> Survey:
    """The submitter answers (once: a second answer, from another tab, is SurveyAlreadyAnswered)."""
    if by.pk != survey.case.inquiry.submitter_id:
        raise SurveyAlreadyAnswered()
    for score in (satisfaction, would_recommend):
        if not 1 <= int(score) <= 10:
            raise ValueError("Scores are from 1 to 10")
    if not Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
            answered_at=timezone.now(), satisfaction=satisfaction, would_recommend=would_recommend, comment=comment):
        raise SurveyAlreadyAnswered()
    reminders.cancel_survey(survey)
    survey.refresh_from_db()
    return survey


# --- The value report's narrative (issue 11, part B) -------------------------------------------------

@transaction.atomic
def value_report_narrative_save(*, hub: Hub, date_from: dt.date, date_to: dt.date, text: str, by,
                                publish: bool = False) -> ValueReportNarrative:
    """Save what the hub lead wrote for the period's value report; with `publish`, publish it too.

    Rules: one narrative per hub and period (the unique row; two leads saving at once both write it, the
    last text stands); publishing happens once: the conditional UPDATE on published_at IS NULL lets one
    of two leads pressing "publish" at once win, and only the winner raises value_report.published on
    the hub's channels (queued in this transaction, sent after commit). Editing a published narrative
    keeps it published and raises nothing again.
    """
    from django.conf import settings
    from django.urls import reverse

    from hubportal.webhooks import VALUE_REPORT_PUBLISHED, webhook_event_emit

    if date_to < date_from:
        raise ValueError("The period ends before it starts")
    now = timezone.now()
    narrative, _ = ValueReportNarrative.objects.get_or_create(hub=hub, date_from=date_from, date_to=date_to)
    ValueReportNarrative.objects.filter(pk=narrative.pk).update(text=text, updated_at=now, updated_by=by)
    if publish:
        won = ValueReportNarrative.objects.filter(pk=narrative.pk, published_at__isnull=True).update(
            published_at=now, published_by=by)
        if won:
            period = f"{date_from:%-d %B %Y} to {date_to:%-d %B %Y}"
            link = settings.SITE_URL + reverse("adoption:value_report", args=[hub.slug]) + (
                f"?from={date_from.isoformat()}&to={date_to.isoformat()}")
            # No figures and no names in the payload: a channel is read by more people than the report.
            webhook_event_emit(hub=hub, event=VALUE_REPORT_PUBLISHED,
                               subject=f"adoption.valuereportnarrative:{narrative.pk}", reference=period,
                               kind_of_help="", link=link)
    narrative.refresh_from_db()
    return narrative
