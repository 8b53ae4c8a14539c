"""Writes on the directory. (The partner contact's sign-in is hubportal.links' flow, in partners.views.)"""


from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from .models import DirectoryChange, Partner, PartnerContact, PartnerProposal, PartnerService


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


# --- The directory on staff pages (issue 10) ---------------------------------------------------------
# Who may edit: every member of a hub (leads and members alike: the issue gives the directory to "hub
# staff", and keeping it current is day-to-day work), for the partners listed for their hub. A partner
# shared by several hubs is one record: any of its hubs may edit it and every hub sees the change (the
# history says which hub's member made it). A national partner (serves every hub) is edited in admin
# only: no one hub speaks for it.

class PartnerNotEditable(Exception):
    """The hub may not edit this partner (not listed for it, national, or retired)."""


class ProposalDecided(Exception):
    """Someone decided the proposal first; nothing changed."""


def _text(value):
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def field_changes(instance, data):
    """{field: [before, after]} (as text) for the fields in `data` whose value differs on `instance`."""
    return {name: [_text(getattr(instance, name)), _text(value)] for name, value in data.items()
            if getattr(instance, name) != value}


def directory_change_record(*, hub, by, subject, label, action, changes=None, partner=None, note=""):
    """One line of a directory entry's history (see DirectoryChange). Callers are the directory's
    services, partners' and signposting's (resources, routing rules), in their own transaction."""
    return DirectoryChange.objects.create(hub=hub, partner=partner, subject=subject[:100], label=label[:300],
                                          action=action, by=by, changes=changes or {}, note=note)


def partner_editable(*, partner, hub) -> bool:
    return (partner.is_active and not partner.serves_all_hubs
            and Partner.hubs.through.objects.filter(partner_id=partner.pk, hub_id=hub.pk).exists())


def _check_editable(partner, hub):
    if not partner_editable(partner=partner, hub=hub):
        raise PartnerNotEditable()


@transaction.atomic
def partner_create(*, hub, by, data):
    """A new partner listed for `hub` (data: the staff form's fields), with its first history line."""
    partner = Partner.objects.create(**data)
    partner.hubs.add(hub)
    directory_change_record(hub=hub, by=by, partner=partner, subject=f"partner:{partner.public_id}",
                            label=partner.name, action="created",
                            changes={name: ["", _text(value)] for name, value in data.items() if value})
    return partner


@transaction.atomic
def partner_update(*, partner, hub, by, data, action="changed", note=""):
    """Change a partner's record; each changed field goes on its history with before and after.

    Rules: only a hub the partner is listed for, never a national or retired one (PartnerNotEditable).
    Two staff saving at once: the row is locked, so the second save's "before" is the first's "after".
    """
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    _check_editable(partner, hub)
    changes = field_changes(partner, data)
    if changes:
        for name, value in data.items():
            setattr(partner, name, value)
        partner.save()
        directory_change_record(hub=hub, by=by, partner=partner, subject=f"partner:{partner.public_id}",
                                label=partner.name, action=action, changes=changes, note=note)
    return partner


@transaction.atomic
def partner_service_save(*, partner, hub, by, data, service=None):
    """Add a service to a partner, or change one (`service`); tag_index follows the tags (TaggedMixin.save)."""
    _check_editable(partner, hub)
    if service is None:
        service = PartnerService.objects.create(partner=partner, **data)
        changes, action = {name: ["", _text(value)] for name, value in data.items() if value}, "created"
    else:
        service = PartnerService.objects.select_for_update().get(pk=service.pk, partner=partner)
        changes, action = field_changes(service, data), "changed"
        for name, value in data.items():
            setattr(service, name, value)
        service.save()
    if changes:
        directory_change_record(hub=hub, by=by, partner=partner, subject=f"service:{service.public_id}",
                                label=f"Service: {service.name}", action=action, changes=changes)
    return service


@transaction.atomic
def partner_contact_save(*, partner, hub, by, data, contact=None):
    """Add a contact to a partner, or change one (who gets referrals and the digest, active or not)."""
    _check_editable(partner, hub)
    data = {**data, "email": data["email"].strip().lower()} if "email" in data else data
    if contact is None:
        contact = PartnerContact.objects.create(partner=partner, **data)
        changes, action = {name: ["", _text(value)] for name, value in data.items() if value}, "created"
    else:
        contact = PartnerContact.objects.select_for_update().get(pk=contact.pk, partner=partner)
        changes, action = field_changes(contact, data), "changed"
        for name, value in data.items():
            setattr(contact, name, value)
        contact.save()
    if changes:
        directory_change_record(hub=hub, by=by, partner=partner, subject=f"contact:{contact.public_id}",
                                label=f"Contact: {contact.name}", action=action, changes=changes)
    return contact


@transaction.atomic
def partner_proposal_create(*, partner, contact, values, note=""):
    """A partner contact proposes changes to their own organisation's record. Only the fields that
    differ from the record are kept; the record itself is unchanged until a hub approves."""
    if contact.partner_id != partner.pk or not contact.is_active or not partner.is_active:
        raise PartnerNotEditable()
    values = {name: value for name, value in values.items()
              if name in PartnerProposal.FIELDS and getattr(partner, name) != value}
    return PartnerProposal.objects.create(partner=partner, proposed_by=contact, proposed_by_email=contact.email,
                                          values=values, note=note)


def _decide(proposal, *, to, by, reason=""):
    # Two hubs sharing the partner (or two staff) deciding at once: the conditional UPDATE lets one win.
    decided = PartnerProposal.objects.filter(pk=proposal.pk, status=PartnerProposal.Status.PENDING).update(
        status=to, decided_at=timezone.now(), decided_by=by, decision_reason=reason)
    if not decided:
        raise ProposalDecided()
    proposal.refresh_from_db()
    return proposal


@transaction.atomic
def partner_proposal_approve(*, proposal, hub, by):
    """Apply a pending proposal to the partner's record; the history line names the contact who proposed."""
    _check_editable(proposal.partner, hub)
    _decide(proposal, to=PartnerProposal.Status.APPROVED, by=by)
    partner_update(partner=proposal.partner, hub=hub, by=by, data=proposal.values, action="proposal_approved",
                   note=f"Proposed by {proposal.proposed_by_email}")
    return proposal


@transaction.atomic
def partner_proposal_reject(*, proposal, hub, by, reason):
    """Reject a pending proposal with a reason; the partner's record is unchanged, the history says so."""
    _check_editable(proposal.partner, hub)
    _decide(proposal, to=PartnerProposal.Status.REJECTED, by=by, reason=reason)
    directory_change_record(hub=hub, by=by, partner=proposal.partner,
                            subject=f"partner:{proposal.partner.public_id}", label=proposal.partner.name,
                            action="proposal_rejected", note=f"Proposed by {proposal.proposed_by_email}: {reason}",
                            changes={name: [_text(getattr(proposal.partner, name)), _text(value)]
                                     for name, value in proposal.values.items()})
    return proposal


@transaction.atomic
def partner_unlist_for_hub(*, partner, hub, by, note=""):
    """The hub stops working with the partner: it is no longer listed for the hub, the hub's routing
    rules naming it stop (signposting does that, before calling this), and when no hub lists it any
    more it becomes inactive (never suggested or referred to; its history stays). Open referrals are
    the caller's to settle first (signposting.directory.partner_retire_for_hub)."""
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    _check_editable(partner, hub)
    partner.hubs.remove(hub)
    still_listed = partner.hubs.exists()
    if not still_listed:
        partner_retire(partner=partner)
    directory_change_record(hub=hub, by=by, partner=partner, subject=f"partner:{partner.public_id}",
                            label=partner.name, action="retired", note=note,
                            changes={"hubs": [hub.name, ""]} | ({} if still_listed else {"is_active": ["True", "False"]}))
    return partner
