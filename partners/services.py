"""Writes on the directory. (The partner contact's sign-in is hubportal.links' flow, in partners.views.)"""


from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from .models import Partner, PartnerContact


class PartnerInUse(Exception):
    """The partner has referrals; it is made inactive instead of deleted."""

    def __init__(self, partner, referrals):
        super().__init__(f"{partner} has referrals and cannot be deleted")
        self.partner, self.referrals = partner, referrals


@transaction.atomic
def partner_delete(*, partner):
    """Delete a partner with its services and contacts.

    Rules: a partner with referrals is never deleted (open ones are being worked on; past ones are
    the history of inquiries and of the hub's metrics). The database refuses it (PROTECT), and this
    raises PartnerInUse so callers can say so; retire such a partner by making it inactive.
    """
    try:
        partner.delete()
    except ProtectedError as refused:
        raise PartnerInUse(partner, list(refused.protected_objects)) from None


def active_contacts(email):
    return PartnerContact.objects.filter(email__iexact=email.strip(), is_active=True, partner__is_active=True)


def partner_retire(*, partner):
    """Make a partner inactive: never suggested or referred to again; its history stays."""
    Partner.objects.filter(pk=partner.pk).update(is_active=False, updated_at=timezone.now())
    partner.is_active = False
    return partner


def partner_contact_set_digest(*, email, receives):
    """Turn the weekly referral digest on or off for every active contact record with this address."""
    return PartnerContact.objects.filter(email__iexact=email.strip(), is_active=True).update(receives_digest=receives)
