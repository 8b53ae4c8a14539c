"""The directory on hub staff pages (issue 10): partners, their services and contacts, and partners'
proposed changes. Every member of the hub may use them (partners.services says why); retiring a partner
is signposting's page (it settles referrals) and is for the hub's leads.

Access: members of the hub in the URL (staff_view). A partner not listed for the hub is a 404, as on
another hub's page; a national partner is shown read-only (edited in admin).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from hubportal.permissions import staff_view

from . import services
from .models import DirectoryChange, Partner, PartnerContact, PartnerProposal, PartnerService
from .staff_forms import (
    ContactForm,
    DirectorySearchForm,
    PartnerForm,
    ProposalDecisionForm,
    ServiceForm,
)

PAGE_SIZE = 25


def _posted(request):
    """The POST data, even when empty (an empty POST is still a submitted form), or None for a GET."""
    return request.POST if request.method == "POST" else None


def hub_partners(hub):
    """Partners the hub sees in its directory: listed for it, or national."""
    return Partner.objects.filter(Q(hubs=hub) | Q(serves_all_hubs=True)).distinct()


def _partner(hub, public_id, *, editable=False):
    partner = get_object_or_404(hub_partners(hub), public_id=public_id)
    if editable and not services.partner_editable(partner=partner, hub=hub):
        raise Http404("This hub cannot edit this partner")
    return partner


def _partner_url(hub, partner):
    return reverse("partners:staff_partner", args=[hub.slug, partner.public_id])


def _form_page(request, membership, form, *, title, submit, back, caption="", intro=""):
    return render(request, "partners/staff/form.html", {
        "hub": membership.hub, "membership": membership, "form": form, "title": title, "submit": submit,
        "back": back, "caption": caption, "intro": intro}, status=400 if form.is_bound else 200)


@staff_view
def directory(request, membership):
    hub = membership.hub
    form = DirectorySearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    partners = hub_partners(hub).filter(is_active=True)
    if query:
        partners = partners.filter(Q(name__icontains=query) | Q(alternate_name__icontains=query)
                                   | Q(services__name__icontains=query))
    partners = partners.annotate(
        service_count=Count("services", distinct=True),
        pending=Count("proposals", filter=Q(proposals__status=PartnerProposal.Status.PENDING), distinct=True),
    ).order_by("name")
    page = Paginator(partners, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "partners/staff/directory.html", {
        "hub": hub, "membership": membership, "form": form, "page": page, "query": query,
        "query_string": f"q={query}&" if query else ""})


@staff_view
@require_http_methods(["GET", "POST"])
def partner_new(request, membership):
    form = PartnerForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        partner = services.partner_create(hub=membership.hub, by=request.user, data=form.cleaned_data)
        messages.success(request, f"{partner.name} added to the directory. Now add the services it offers")
        return redirect(_partner_url(membership.hub, partner))
    return _form_page(request, membership, form, title="Add a partner", submit="Add the partner",
                      back=reverse("partners:staff_directory", args=[membership.hub.slug]))


@staff_view
def partner_detail(request, membership, public_id):
    hub = membership.hub
    partner = _partner(hub, public_id)
    return render(request, "partners/staff/partner.html", {
        "hub": hub, "membership": membership, "partner": partner,
        "editable": services.partner_editable(partner=partner, hub=hub),
        "services": partner.services.all(), "contacts": partner.contacts.all(),
        "other_hubs": partner.hubs.exclude(pk=hub.pk).order_by("name"),
        "proposals": partner.proposals.filter(status=PartnerProposal.Status.PENDING),
        "history": DirectoryChange.objects.filter(partner=partner).select_related("by", "hub")[:50],
    })


@staff_view
@require_http_methods(["GET", "POST"])
def partner_edit(request, membership, public_id):
    hub = membership.hub
    partner = _partner(hub, public_id, editable=True)
    form = PartnerForm(_posted(request), instance=Partner.objects.get(pk=partner.pk))
    if request.method == "POST" and form.is_valid():
        services.partner_update(partner=partner, hub=hub, by=request.user, data=form.cleaned_data)
        messages.success(request, f"{form.cleaned_data['name']} saved")
        return redirect(_partner_url(hub, partner))
    return _form_page(request, membership, form, title=f"Change {partner.name}", submit="Save",
                      back=_partner_url(hub, partner), intro=_shared_note(partner, hub))


def _shared_note(partner, hub):
    others = list(partner.hubs.exclude(pk=hub.pk).values_list("name", flat=True))
    if not others:
        return ""
    return f"{partner.name} also works with {', '.join(others)}. A change here is seen by every hub it works with."


@staff_view
@require_http_methods(["GET", "POST"])
def service_edit(request, membership, public_id, service_id=None):
    hub = membership.hub
    partner = _partner(hub, public_id, editable=True)
    service = get_object_or_404(PartnerService, partner=partner, public_id=service_id) if service_id else None
    form = ServiceForm(_posted(request), partner=partner, instance=service)
    if request.method == "POST" and form.is_valid():
        saved = services.partner_service_save(partner=partner, hub=hub, by=request.user, data=form.cleaned_data,
                                              service=service)
        messages.success(request, f"{saved.name} saved. The matcher suggests it from now on" if saved.status == "active"
                         else f"{saved.name} saved")
        return redirect(_partner_url(hub, partner))
    return _form_page(request, membership, form, caption=partner.name,
                      title=f"Change {service.name}" if service else "Add a service",
                      submit="Save the service", back=_partner_url(hub, partner), intro=_shared_note(partner, hub))


@staff_view
@require_http_methods(["GET", "POST"])
def contact_edit(request, membership, public_id, contact_id=None):
    hub = membership.hub
    partner = _partner(hub, public_id, editable=True)
    contact = get_object_or_404(PartnerContact, partner=partner, public_id=contact_id) if contact_id else None
    form = ContactForm(_posted(request), partner=partner, instance=contact)
    if request.method == "POST" and form.is_valid():
        saved = services.partner_contact_save(partner=partner, hub=hub, by=request.user, data=form.cleaned_data,
                                              contact=contact)
        messages.success(request, f"{saved.name} saved")
        return redirect(_partner_url(hub, partner))
    return _form_page(request, membership, form, caption=partner.name,
                      title=f"Change {contact.name}" if contact else "Add a contact",
                      submit="Save the contact", back=_partner_url(hub, partner))


@staff_view
@require_http_methods(["GET", "POST"])
def proposal_decide(request, membership, public_id, proposal_id):
    hub = membership.hub
    partner = _partner(hub, public_id, editable=True)
    proposal = get_object_or_404(PartnerProposal, partner=partner, public_id=proposal_id)
    form = ProposalDecisionForm(_posted(request))
    if request.method == "POST" and proposal.status == PartnerProposal.Status.PENDING and form.is_valid():
        try:
            if form.cleaned_data["decision"] == "approve":
                services.partner_proposal_approve(proposal=proposal, hub=hub, by=request.user)
                messages.success(request, f"Proposal approved: {partner.name}'s record is changed")
            else:
                services.partner_proposal_reject(proposal=proposal, hub=hub, by=request.user,
                                                 reason=form.cleaned_data["reason"].strip())
                messages.success(request, "Proposal rejected: the record is unchanged")
        except services.ProposalDecided:
            messages.error(request, "Someone decided this proposal first")
        return redirect(_partner_url(hub, partner))
    rows = [(Partner._meta.get_field(name).verbose_name.capitalize(), getattr(partner, name), value)
            for name, value in proposal.values.items()]
    return render(request, "partners/staff/proposal.html", {
        "hub": hub, "membership": membership, "partner": partner, "proposal": proposal, "rows": rows,
        "form": form}, status=400 if form.is_bound else 200)
