"""Referral reminders: the partner contacts at 3 working days, then the partner's leads and the hub
leads at 7, while the partner has neither accepted nor declined. Registered in SignpostingConfig.ready()."""

from hubportal.models import HubMembership
from hubportal.reminders import at_working_day, register, reminder_cancel, reminder_schedule
from partners.models import PartnerContact

from . import emails
from .models import Referral

KIND = "referral.response"
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


def register_handlers():
    register(KIND, handle)
