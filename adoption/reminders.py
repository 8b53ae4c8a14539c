"""What each of adoption's reminders does when its time comes. Registered in AdoptionConfig.ready().

All of them are hubportal.reminders rows: due at 09:00 London on a working day, once per stage.
"""

from hubportal.models import HubMembership
from hubportal.reminders import at_working_day, register, reminder_cancel, reminder_schedule

from . import emails

REVIEW = "adoption.review"            # a held or parked case's review date
MILESTONE = "adoption.milestone"      # stages "due" and "overdue"
FOLLOW_UP = "adoption.follow_up"      # stages "request" and "remind"
SURVEY = "adoption.survey"            # stage "remind"


def _subject(obj):
    return f"{obj._meta.label_lower}:{obj.pk}"


def _pk(reminder):
    return int(reminder.subject.rsplit(":", 1)[1])


def _leads(hub_id):
    return [m.user for m in HubMembership.objects.select_related("user").filter(
        hub_id=hub_id, role=HubMembership.Role.LEAD)]


def case_owners(case):
    """Who looks after a case: the inquiry's assignee, or the hub leads while nobody is assigned."""
    inquiry = case.inquiry
    return [inquiry.assignee] if inquiry.assignee_id else _leads(case.hub_id)


# --- Planning (called by the services) --------------------------------------------------------------

def plan_review(case, gate):
    # One reminder per decision: the stage names the decision, so a second hold plans its own date.
    reminder_schedule(kind=REVIEW, subject=_subject(case), stage=f"{gate.decision}:{gate.pk}", hub=case.hub,
                      due_at=at_working_day(gate.review_on, 0))


def cancel_review(case):
    reminder_cancel(kind=REVIEW, subject=_subject(case))


def plan_milestone(milestone):
    hub = milestone.case.hub
    overdue_days = getattr(getattr(hub, "adoption_settings", None), "milestone_overdue_working_days", 1)
    reminder_schedule(kind=MILESTONE, subject=_subject(milestone), stage="due", hub=hub,
                      due_at=at_working_day(milestone.due_on, 0))
    reminder_schedule(kind=MILESTONE, subject=_subject(milestone), stage="overdue", hub=hub,
                      due_at=at_working_day(milestone.due_on, overdue_days))


def cancel_milestone(milestone):
    reminder_cancel(kind=MILESTONE, subject=_subject(milestone))


def plan_follow_up(follow_up):
    from .services import adoption_settings_for

    hub = follow_up.case.hub
    remind = adoption_settings_for(hub).benefit_reminder_working_days
    reminder_schedule(kind=FOLLOW_UP, subject=_subject(follow_up), stage="request", hub=hub,
                      due_at=at_working_day(follow_up.due_on, 0))
    reminder_schedule(kind=FOLLOW_UP, subject=_subject(follow_up), stage="remind", hub=hub,
                      due_at=at_working_day(follow_up.due_on, remind))


def cancel_follow_up(follow_up):
    reminder_cancel(kind=FOLLOW_UP, subject=_subject(follow_up))


def plan_survey(survey):
    from .services import adoption_settings_for

    days = adoption_settings_for(survey.hub).survey_reminder_working_days
    reminder_schedule(kind=SURVEY, subject=_subject(survey), stage="remind", hub=survey.hub,
                      due_at=at_working_day(survey.sent_at, days))


def cancel_survey(survey):
    reminder_cancel(kind=SURVEY, subject=_subject(survey))


# --- Handling (called by the sweep) -----------------------------------------------------------------

def handle_review(reminder):
    from .models import Case

    case = Case.objects.select_related("inquiry__assignee", "hub", "stage").filter(pk=_pk(reminder)).first()
    if case is None or case.status not in (Case.Status.ON_HOLD, Case.Status.PARKED) or case.review_on is None:
        return "no longer applies"
    people = case_owners(case)
    for person in people:
        emails.reminder_case_review(reminder=reminder, case=case, person=person)
    return f"sent to {len(people)}"


def handle_milestone(reminder):
    from .models import Milestone

    milestone = (Milestone.objects.select_related("case__inquiry__assignee", "case__hub", "owner_user")
                 .filter(pk=_pk(reminder)).first())
    if milestone is None or milestone.done_at is not None or not milestone.case.is_open:
        return "no longer applies"
    people = [milestone.owner_user] if milestone.owner_user_id else case_owners(milestone.case)
    for person in people:
        emails.reminder_milestone(reminder=reminder, milestone=milestone, person=person,
                                  overdue=reminder.stage == "overdue")
    return f"sent to {len(people)}"


def handle_follow_up(reminder):
    from .models import BenefitFollowUp
    from .services import benefit_follow_up_request

    follow_up = BenefitFollowUp.objects.filter(pk=_pk(reminder)).first()
    if follow_up is None:
        return "no longer applies"
    return benefit_follow_up_request(follow_up=follow_up, reminder=reminder.stage == "remind")


def handle_survey(reminder):
    from .models import Survey

    survey = Survey.objects.select_related("case__inquiry__submitter", "hub").filter(pk=_pk(reminder)).first()
    if survey is None or survey.answered_at is not None:
        return "no longer applies"
    emails.survey_request(survey=survey, reminder=True)
    return "sent to the submitter"


def register_handlers():
    register(REVIEW, handle_review)
    register(MILESTONE, handle_milestone)
    register(FOLLOW_UP, handle_follow_up)
    register(SURVEY, handle_survey)
