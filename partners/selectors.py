"""Reads on the directory. (Who the partner contact in this browser is: partners.permissions.)"""

from django.db.models import Q

from .models import Partner, PartnerContact


def contacts_for_email(email):
    """The active contacts with this address at active partners (a person may be one at several)."""
    if not email:
        return PartnerContact.objects.none()
    return PartnerContact.objects.filter(email__iexact=email, is_active=True, partner__is_active=True)


def partner_ids_for_email(email):
    return list(contacts_for_email(email).values_list("partner_id", flat=True))


def partner_choices_for_hub(hub):
    """(public_id, name) of every active partner that takes this hub's referrals, by name."""
    return list(
        Partner.objects.filter(Q(serves_all_hubs=True) | Q(hubs=hub), is_active=True)
        .distinct().order_by("name").values_list("public_id", "name")
    )


def active_contact(*, pk, partner_id):
    """The contact with this id if it is still active, at this (active) partner; else None."""
    return PartnerContact.objects.filter(pk=pk, partner_id=partner_id, is_active=True,
                                         partner__is_active=True).first()


def partner_contact_receives_digest(email):
    """Whether this address gets the weekly referral digest (through any of its contact records)."""
    return PartnerContact.objects.filter(email__iexact=email.strip(), is_active=True, receives_digest=True).exists()
