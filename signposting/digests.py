"""The partner contacts' weekly digest: referrals waiting on them, and the overdue ones."""

from collections import defaultdict

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from hubportal.digests import register
from hubportal.workdays import working_days_between
from partners.models import PartnerContact

from .models import Referral
from .reminders import WAITING


def partner_digests(period):
    if period.frequency != "weekly":
        return {}
    waiting = list(Referral.objects.filter(status__in=WAITING, partner__is_active=True)
                   .select_related("inquiry__hub", "partner").order_by("sent_at"))
    if not waiting:
        return {}
    by_partner = defaultdict(list)
    now = timezone.now()
    for referral in waiting:
        days = working_days_between(referral.sent_at, now)
        by_partner[referral.partner_id].append({
            "reference": referral.inquiry.reference, "hub_name": referral.inquiry.hub.name,
            "waiting_days": days, "is_overdue": days > referral.inquiry.hub.partner_target_working_days,
            "url": settings.SITE_URL + reverse("partners:sign_in") + "?next="
                   + reverse("signposting:partner_referral", args=[referral.public_id]),
        })
    contacts = PartnerContact.objects.filter(partner_id__in=list(by_partner), is_active=True,
                                             receives_referrals=True, receives_digest=True).select_related("partner")
    return {
        contact: {"partner_name": contact.partner.name, "referrals": by_partner[contact.partner_id],
                  "overdue": sum(r["is_overdue"] for r in by_partner[contact.partner_id])}
        for contact in contacts
    }


def _unsubscribe_contact(pk):
    contact = PartnerContact.objects.filter(pk=pk).first()
    if contact is None:
        return None
    PartnerContact.objects.filter(pk=pk).update(receives_digest=False)
    return contact.email


def register_digests():
    register("partner", "digest_partner", partner_digests, unsubscribe=_unsubscribe_contact)
