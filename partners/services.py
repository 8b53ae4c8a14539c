"""Writes on the directory and the partner contact's sign-in."""


from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from hubportal.models import EmailLink
from hubportal.services import email_link_check_rate, email_link_create, email_link_redeem

from . import emails
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


@transaction.atomic
def partner_sign_in_link_request(*, email, next_path="", ip=None):
    """Email a partner sign-in link to `email` if it belongs to an active contact of an active partner.

    Rules: the answer is the same whether or not the address is a contact (nothing is revealed);
    a link row is written either way, so the rate limit (the sign-in limits per address and per IP)
    counts unknown addresses too; only a known contact is emailed.
    """
    email = email.strip().lower()
    email_link_check_rate(purpose=EmailLink.Purpose.PARTNER_SIGN_IN, email=email, ip=ip)
    issued = email_link_create(purpose=EmailLink.Purpose.PARTNER_SIGN_IN, email=email,
                               next_path=next_path, ip=ip)
    if active_contacts(email).exists():
        emails.partner_sign_in_link(link=issued.link, raw_token=issued.raw_token)
    return issued.link


@transaction.atomic
def partner_sign_in_link_redeem(*, raw_token):
    """Use a partner sign-in link once; returns the link. Refused (unknown) if the address is no
    longer an active contact, whatever the link says."""
    from hubportal.services import LinkRefused

    link = email_link_redeem(raw_token=raw_token, purpose=EmailLink.Purpose.PARTNER_SIGN_IN)
    if not active_contacts(link.email).exists():
        raise LinkRefused("unknown")
    return link


def partner_retire(*, partner):
    """Make a partner inactive: never suggested or referred to again; its history stays."""
    Partner.objects.filter(pk=partner.pk).update(is_active=False, updated_at=timezone.now())
    partner.is_active = False
    return partner


def partner_contact_set_digest(*, email, receives):
    """Turn the weekly referral digest on or off for every active contact record with this address."""
    return PartnerContact.objects.filter(email__iexact=email.strip(), is_active=True).update(receives_digest=receives)
