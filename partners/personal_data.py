"""What the partner directory holds about a person (a partner contact), for subject access.

Partner contacts are kept by the hub's directory for as long as they are the partner's contact;
a contact who leaves is made inactive by the hub, and erasure of a contact's details is done by
the hub lead in the directory (not through the submitter's erasure request)."""

from hubportal.personal_data import register_exporter

from .models import PartnerContact


def export(*, email, user):
    return [{"partner": c.partner.name, "name": c.name, "job_title": c.title, "email": c.email, "phone": c.phone,
             "receives_referrals": c.receives_referrals, "leads_the_partnership": c.is_lead,
             "receives_digest": c.receives_digest, "active": c.is_active, "added_at": c.created_at}
            for c in PartnerContact.objects.filter(email__iexact=email).select_related("partner")], []


def register():
    register_exporter("partner_contact", export)
