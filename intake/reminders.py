"""What each of intake's reminders does when its time comes. Registered in IntakeConfig.ready()."""


from django.db import transaction
from django.utils import timezone

from hubportal import webhooks
from hubportal.models import HubMembership, Reminder
from hubportal.reminders import (
    at_working_day,
    register,
    reminder_cancel,
    reminder_enqueue,
    reminder_schedule,
)

from . import emails
from .models import InformationRequest, Inquiry
from .webhooks import inquiry_webhook_emit

TRIAGE = "inquiry.triage"
SUBMITTED = "inquiry.submitted"
INFO = "inquiry.info"
PARKED = "inquiry.parked"


def _subject(obj):
    return f"{obj._meta.label_lower}:{obj.pk}"


def _leads(hub):
    return [m.user for m in HubMembership.objects.select_related("user").filter(hub=hub, role=HubMembership.Role.LEAD)]


def _owners(inquiry):
    """The assignee, or the hub leads while nobody is assigned."""
    return [inquiry.assignee] if inquiry.assignee_id else _leads(inquiry.hub)


# --- Planning (called by the services) --------------------------------------------------------------


def plan_triage(inquiry):
    target = inquiry.hub.triage_target_working_days
    for stage, days in (("due", target), ("overdue", target + 1)):
        reminder_schedule(kind=TRIAGE, subject=_subject(inquiry), stage=stage, hub=inquiry.hub,
                          due_at=at_working_day(inquiry.submitted_at, days))


def plan_submitted_follow_up(inquiry):
    """The work of a submission that need not hold the submitter's request (handle_submitted), due now.

    Written in inquiry_submit's transaction, so it happens however the after-commit task fares: the
    task normally runs it within moments, else the sweep does. One row per inquiry (the stage is
    fixed), so a second submit could never plan it twice.
    """
    reminder = Reminder.objects.create(kind=SUBMITTED, subject=_subject(inquiry), stage="follow-up",
                                       hub_id=inquiry.hub_id, due_at=inquiry.submitted_at)
    transaction.on_commit(lambda: reminder_enqueue(reminder_id=reminder.pk))
    return reminder


def plan_information_request(request):
    hub = request.inquiry.hub
    remind = hub.info_reminder_working_days
    reminder_schedule(kind=INFO, subject=_subject(request), stage="remind", hub=hub,
                      due_at=at_working_day(request.requested_at, remind))
    reminder_schedule(kind=INFO, subject=_subject(request), stage="close_suggestion", hub=hub,
                      due_at=at_working_day(request.requested_at, remind + hub.info_close_suggestion_working_days))


def cancel_information_request(request):
    reminder_cancel(kind=INFO, subject=_subject(request))


def unpark_at(until):
    """When an inquiry parked until `until` comes back: 09:00 London that day, or on the next working day
    when `until` is a weekend day or a bank holiday (nobody is there to pick it up)."""
    return at_working_day(until, 0)


def plan_unpark(inquiry, until):
    reminder_schedule(kind=PARKED, subject=_subject(inquiry), stage=until.isoformat(), hub=inquiry.hub,
                      due_at=unpark_at(until))


# --- Handling (called by the sweep) -----------------------------------------------------------------


def _inquiry(reminder):
    pk = int(reminder.subject.rsplit(":", 1)[1])
    return Inquiry.objects.select_related("hub", "assignee", "submitter").filter(pk=pk).first()


def handle_submitted(reminder):
    """After a submission commits: plan the triage reminders, tell the hub's channels, and send the
    acknowledgement with the instant signposting (the matcher), each safe to run twice (the triage
    reminders and webhook deliveries are keyed, the acknowledgement claimed before it is sent)."""
    from signposting.selectors import instant_signposting_for_email  # signposting depends on intake

    inquiry = _inquiry(reminder)
    if inquiry is None or inquiry.submitted_at is None:
        return "no longer applies"
    plan_triage(inquiry)
    inquiry_webhook_emit(inquiry=inquiry, event=webhooks.INQUIRY_SUBMITTED)
    # Resources anyone may use (titles and links): listed as the inquiry was sent, whatever its status now.
    emails.acknowledgement_send(inquiry=inquiry, resources=instant_signposting_for_email(inquiry=inquiry))
    return "done"


def handle_triage(reminder):
    inquiry = _inquiry(reminder)
    if inquiry is None or inquiry.status != Inquiry.Status.SUBMITTED or inquiry.first_response_at:
        return "no longer applies"
    if inquiry.parked_until and inquiry.parked_until > timezone.localdate():
        return "parked"
    people = _owners(inquiry)
    for person in people:
        emails.reminder_triage(reminder=reminder, inquiry=inquiry, person=person,
                               overdue=reminder.stage == "overdue")
    if reminder.stage == "overdue":
        inquiry_webhook_emit(inquiry=inquiry, event=webhooks.TRIAGE_OVERDUE)
    return f"sent to {len(people)}"


def handle_information_request(reminder):
    pk = int(reminder.subject.rsplit(":", 1)[1])
    request = InformationRequest.objects.select_related("inquiry__hub", "inquiry__submitter").filter(pk=pk).first()
    if request is None or request.answered_at or request.inquiry.status != Inquiry.Status.AWAITING_INFO:
        return "no longer applies"
    inquiry = request.inquiry
    if reminder.stage == "remind":
        emails.reminder_information_request(reminder=reminder, inquiry=inquiry)
        return "sent to the submitter"
    leads = _leads(inquiry.hub)
    for person in leads:
        emails.reminder_information_close(reminder=reminder, inquiry=inquiry, person=person)
    return f"sent to {len(leads)}"


def handle_parked(reminder):
    from . import services

    inquiry = _inquiry(reminder)
    if inquiry is None or not inquiry.is_open or inquiry.parked_until is None \
            or inquiry.parked_until.isoformat() != reminder.stage:
        return "no longer applies"
    services.inquiry_unpark(inquiry=inquiry, by=None, version=None)
    leads = _leads(inquiry.hub)
    for person in leads:
        emails.reminder_unparked(reminder=reminder, inquiry=inquiry, person=person)
    return f"unparked; sent to {len(leads)}"


def register_handlers():
    register(SUBMITTED, handle_submitted)
    register(TRIAGE, handle_triage)
    register(INFO, handle_information_request)
    register(PARKED, handle_parked)
