"""Referral reminders: the partner contacts at 3 working days, then the partner's leads and the hub
leads at 7, while the partner has neither accepted nor declined. Registered in SignpostingConfig.ready()."""

from hubportal.models import HubMembership
from hubportal.reminders import at_working_day, register, reminder_cancel, reminder_schedule
from partners.models import PartnerContact

from . import emails
from .models import Referral

KIND = "referral.response"
PROGRESS = "referral.progress"            # stage "request-<n>": ask for progress update n
PROGRESS_CHASE = "referral.progress_chase"  # stages "chase" and "escalate" of one request
WAITING = (Referral.Status.SENT, Referral.Status.VIEWED)


def _subject(referral):
    return f"signposting.referral:{referral.pk}"


def plan(referral):
    hub = referral.inquiry.hub
    reminder_schedule(kind=KIND, subject=_subject(referral), stage="remind", hub=hub,
                      due_at=at_working_day(referral.sent_at, hub.partner_reminder_working_days))
    reminder_schedule(kind=KIND, subject=_subject(referral), stage="escalate", hub=hub,
                      due_at=at_working_day(referral.sent_at, hub.partner_escalation_working_days))


def cancel(referral):
    reminder_cancel(kind=KIND, subject=_subject(referral))


def handle(reminder):
    pk = int(reminder.subject.rsplit(":", 1)[1])
    referral = Referral.objects.select_related("partner", "inquiry__hub").filter(pk=pk).first()
    if referral is None or referral.status not in WAITING:
        return "no longer applies"
    contacts = PartnerContact.objects.filter(partner=referral.partner, is_active=True)
    if reminder.stage == "remind":
        people = list(contacts.filter(receives_referrals=True))
        for contact in people:
            emails.referral_reminder(reminder=reminder, referral=referral, contact=contact)
        return f"sent to {len(people)}"
    partner_leads = list(contacts.filter(is_lead=True))
    hub_leads = [m.user for m in HubMembership.objects.select_related("user").filter(
        hub=referral.inquiry.hub, role=HubMembership.Role.LEAD)]
    for contact in partner_leads:
        emails.referral_escalation_to_partner(reminder=reminder, referral=referral, contact=contact)
    for lead in hub_leads:
        emails.referral_escalation_to_hub(reminder=reminder, referral=referral, lead=lead)
    return f"sent to {len(partner_leads) + len(hub_leads)}"


# --- Partner follow-through: progress updates on accepted referrals ----------------------------------

def plan_progress(referral, *, number, after=None):
    """Progress request `number`, the hub's interval (calendar days) after `after` (the acceptance or the
    previous request), at 9am on a working day."""
    import datetime as dt

    hub = referral.inquiry.hub
    start = after or referral.accepted_at
    reminder_schedule(kind=PROGRESS, subject=_subject(referral), stage=f"request-{number}", hub=hub,
                      due_at=at_working_day(start + dt.timedelta(days=hub.partner_progress_interval_days), 0))


def cancel_progress(referral):
    from .models import ReferralProgress

    reminder_cancel(kind=PROGRESS, subject=_subject(referral))
    for progress in ReferralProgress.objects.filter(referral=referral, answered_at__isnull=True):
        cancel_progress_chase(progress)


def _progress_subject(progress):
    return f"signposting.referralprogress:{progress.pk}"


def plan_progress_chase(progress):
    hub = progress.referral.inquiry.hub
    chase = hub.partner_progress_chase_working_days
    reminder_schedule(kind=PROGRESS_CHASE, subject=_progress_subject(progress), stage="chase", hub=hub,
                      due_at=at_working_day(progress.requested_at, chase))
    reminder_schedule(kind=PROGRESS_CHASE, subject=_progress_subject(progress), stage="escalate", hub=hub,
                      due_at=at_working_day(progress.requested_at, chase + hub.partner_progress_escalation_working_days))


def cancel_progress_chase(progress):
    reminder_cancel(kind=PROGRESS_CHASE, subject=_progress_subject(progress))


def handle_progress(reminder):
    from .services import referral_progress_request

    referral = Referral.objects.filter(pk=int(reminder.subject.rsplit(":", 1)[1])).first()
    if referral is None:
        return "no longer applies"
    number = int(reminder.stage.rsplit("-", 1)[1])
    progress = referral_progress_request(referral=referral, number=number)
    return "no longer applies" if progress is None else f"asked for update {number}"


def handle_progress_chase(reminder):
    from .models import ReferralProgress

    progress = (ReferralProgress.objects.select_related("referral__partner", "referral__inquiry__hub")
                .filter(pk=int(reminder.subject.rsplit(":", 1)[1])).first())
    if progress is None or progress.answered_at or progress.referral.status != Referral.Status.ACCEPTED:
        return "no longer applies"
    referral = progress.referral
    if reminder.stage == "chase":
        from .services import _issue_link, _outcome_link_days, progress_path

        people = list(PartnerContact.objects.filter(partner=referral.partner, is_active=True, receives_referrals=True))
        for contact in people:
            issued = _issue_link(referral, contact, days=_outcome_link_days(), next_path=progress_path(referral))
            emails.referral_progress_request(referral=referral, progress=progress, contact=contact,
                                             raw_token=issued.raw_token, chase=True)
        return f"sent to {len(people)}"
    hub_leads = [m.user for m in HubMembership.objects.select_related("user").filter(
        hub=referral.inquiry.hub, role=HubMembership.Role.LEAD)]
    for lead in hub_leads:
        emails.referral_progress_silent(reminder=reminder, referral=referral, lead=lead)
    return f"sent to {len(hub_leads)}"


def register_handlers():
    register(KIND, handle)
    register(PROGRESS, handle_progress)
    register(PROGRESS_CHASE, handle_progress_chase)
