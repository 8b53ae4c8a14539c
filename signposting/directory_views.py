"""The hub's resources and routing rules on staff pages, and retiring a partner (issue 10).

Access: resources and routing rules, every member of the hub in the URL (staff_view), for the hub's
own; national resources are listed read-only (kept in admin). Retiring a partner: the hub's leads only
(hub_lead_view): it closes or moves referrals and tells the people who asked.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from hubportal.permissions import hub_lead_view, staff_view
from partners.models import DirectoryChange, Partner
from partners.services import partner_editable

from . import directory
from .directory_forms import ResourceForm, RetireForm, RoutingRuleForm, SearchForm
from .models import Resource, RoutingRule
from .selectors import referrals_to_partner_for_hub

PAGE_SIZE = 25


def _posted(request):
    """The POST data, even when empty (an empty POST is still a submitted form), or None for a GET."""
    return request.POST if request.method == "POST" else None


def _form_page(request, membership, form, *, title, submit, back, intro="", history=None):
    return render(request, "partners/staff/form.html", {
        "hub": membership.hub, "membership": membership, "form": form, "title": title, "submit": submit,
        "back": back, "intro": intro, "history": history}, status=400 if form.is_bound else 200)


def _search(request):
    form = SearchForm(request.GET or None)
    return form, (form.cleaned_data["q"].strip() if form.is_valid() else "")


# --- Retiring a partner ------------------------------------------------------------------------------

@hub_lead_view
@require_http_methods(["GET", "POST"])
def partner_retire(request, membership, public_id):
    hub = membership.hub
    partner = get_object_or_404(Partner.objects.filter(hubs=hub), public_id=public_id)
    if not partner_editable(partner=partner, hub=hub):
        raise Http404("This hub cannot retire this partner")
    referrals = list(referrals_to_partner_for_hub(partner=partner, hub=hub))
    form = RetireForm(_posted(request), hub=hub, partner=partner, has_referrals=bool(referrals))
    back = reverse("partners:staff_partner", args=[hub.slug, partner.public_id])
    if request.method == "POST" and form.is_valid():
        try:
            directory.partner_retire_for_hub(partner=partner, hub=hub, by=request.user,
                                             action=form.cleaned_data.get("action", ""),
                                             reason=form.cleaned_data.get("reason", ""),
                                             move_to=form.cleaned_data.get("move_to"))
        except directory.RetireRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, f"{partner.name} retired from {hub.name}'s directory")
            return redirect("partners:staff_directory", hub_slug=hub.slug)
    return render(request, "signposting/staff/partner_retire.html", {
        "hub": hub, "membership": membership, "partner": partner, "referrals": referrals, "form": form,
        "back": back}, status=400 if form.is_bound else 200)


# --- Resources -----------------------------------------------------------------------------------------

@staff_view
def resources(request, membership):
    hub = membership.hub
    form, query = _search(request)
    rows = Resource.objects.filter(Q(hub=hub) | Q(hub__isnull=True)).select_related("owner")
    if query:
        rows = rows.filter(Q(title__icontains=query) | Q(provider__icontains=query))
    page = Paginator(rows.order_by("review_due_on", "title"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "signposting/staff/resources.html", {
        "hub": hub, "membership": membership, "form": form, "page": page, "query": query,
        "query_string": f"q={query}&" if query else ""})


@staff_view
@require_http_methods(["GET", "POST"])
def resource_edit(request, membership, public_id=None):
    hub = membership.hub
    resource = get_object_or_404(Resource, hub=hub, public_id=public_id) if public_id else None
    form = ResourceForm(_posted(request), hub=hub,
                        instance=Resource.objects.get(pk=resource.pk) if resource else None,
                        initial=None if resource else {"owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        saved = directory.resource_save(hub=hub, by=request.user, data=form.cleaned_data, resource=resource)
        messages.success(request, f"\u2018{saved.title}\u2019 saved")
        return redirect("signposting:staff_resources", hub_slug=hub.slug)
    history = (DirectoryChange.objects.filter(subject=f"resource:{resource.public_id}").select_related("by", "hub")
               [:50] if resource else None)
    return _form_page(request, membership, form, title=f"Change \u2018{resource.title}\u2019" if resource
                      else "Add a resource", submit="Save the resource", history=history,
                      back=reverse("signposting:staff_resources", args=[hub.slug]))


# --- Routing rules -------------------------------------------------------------------------------------

@staff_view
def routing_rules(request, membership):
    hub = membership.hub
    form, query = _search(request)
    rows = RoutingRule.objects.filter(hub=hub).select_related("partner", "resource")
    if query:
        rows = rows.filter(Q(name__icontains=query) | Q(partner__name__icontains=query)
                           | Q(resource__title__icontains=query))
    page = Paginator(rows.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "signposting/staff/routing_rules.html", {
        "hub": hub, "membership": membership, "form": form, "page": page, "query": query,
        "query_string": f"q={query}&" if query else ""})


@staff_view
@require_http_methods(["GET", "POST"])
def routing_rule_edit(request, membership, pk=None):
    hub = membership.hub
    rule = get_object_or_404(RoutingRule, hub=hub, pk=pk) if pk else None
    form = RoutingRuleForm(_posted(request), hub=hub, initial=RoutingRuleForm.initial_for(rule) if rule else None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = directory.routing_rule_save(hub=hub, by=request.user, data=form.cleaned_data, rule=rule)
        except directory.RuleRefused as refused:
            form.add_error(refused.field, refused.message)
        else:
            messages.success(request, f"Routing rule \u2018{saved.name}\u2019 saved")
            return redirect("signposting:staff_routing_rules", hub_slug=hub.slug)
    history = DirectoryChange.objects.filter(subject=f"rule:{rule.pk}").select_related("by", "hub")[:50] if rule else None
    return _form_page(request, membership, form, title=f"Change \u2018{rule.name}\u2019" if rule
                      else "Add a routing rule", submit="Save the rule", history=history,
                      back=reverse("signposting:staff_routing_rules", args=[hub.slug]))
