"""The hub settings pages (issue 10): overview, service levels, team and the audit log.

Members of the hub see the settings read-only; its leads change them (a member's POST is a 404). The
checklist pages are intake's (intake/checklist_views.py), under the same /staff/<hub>/settings/."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import hub_settings
from .hub_settings_forms import (
    AcceptAddressForm,
    DomainsForm,
    InviteForm,
    RemoveForm,
    RoleForm,
    ServiceLevelsForm,
    ThemeForm,
)
from .models import HubAcceptedAddress, HubAuditEntry, HubMembership, HubTheme
from .permissions import hub_lead_view, staff_view


def _is_lead(membership):
    return membership.role == HubMembership.Role.LEAD


def _refused(form, error):
    form.add_error(error.field if error.field in form.fields else None, str(error))


def _service_levels(hub):
    return [(label, getattr(hub, name)) for name, label in hub_settings.SERVICE_LEVEL_FIELDS.items()]


# Access: members of the hub.
@staff_view
@require_GET
def settings_home(request, membership):
    hub = membership.hub
    return render(request, "hubportal/settings/home.html", {
        "hub": hub, "membership": membership, "current": "overview", "service_levels": _service_levels(hub),
        "team_size": HubMembership.objects.filter(hub=hub).count(),
    })


# Access: members of the hub see the service levels; its leads change them.
@staff_view
@require_http_methods(["GET", "POST"])
def service_levels(request, membership):
    hub = membership.hub
    form = ServiceLevelsForm.for_hub(hub, request.POST or None) if _is_lead(membership) else None
    if request.method == "POST":
        if form is None:
            raise Http404("Only the hub's leads change service levels")
        if form.is_valid():
            try:
                hub_settings.hub_set_service_levels(hub=hub, by=request.user, **form.cleaned_data)
            except hub_settings.SettingsRefused as error:
                _refused(form, error)
            else:
                messages.success(request, "Service levels saved. New deadlines use them; deadlines already "
                                          "set stay as they were")
                return redirect("hubportal:settings_service_levels", hub.slug)
    return render(request, "hubportal/settings/service_levels.html", {
        "hub": hub, "membership": membership, "current": "service_levels", "form": form,
        "service_levels": _service_levels(hub),
    }, status=400 if form is not None and form.errors else 200)


# Access: members of the hub see the team; its leads invite people.
@staff_view
@require_http_methods(["GET", "POST"])
def team(request, membership):
    hub = membership.hub
    form = InviteForm(request.POST or None) if _is_lead(membership) else None
    if request.method == "POST":
        if form is None:
            raise Http404("Only the hub's leads invite people")
        if form.is_valid():
            try:
                invited = hub_settings.team_invite(hub=hub, by=request.user, **form.cleaned_data)
            except hub_settings.SettingsRefused as error:
                _refused(form, error)
            else:
                messages.success(request, f"Invitation sent to {invited.user.email}. The link lets them set a "
                                          f"password and an authenticator app")
                return redirect("hubportal:settings_team", hub.slug)
    members = HubMembership.objects.filter(hub=hub).select_related("user").order_by("role", "user__full_name",
                                                                                   "user__email")
    return render(request, "hubportal/settings/team.html", {
        "hub": hub, "membership": membership, "current": "team", "form": form, "members": members,
    }, status=400 if form is not None and form.errors else 200)


# Access: the hub's leads: one person's role, or taking them off the team (handing over their work).
@hub_lead_view
@require_http_methods(["GET", "POST"])
def team_member(request, membership, user_id):
    hub = membership.hub
    member = get_object_or_404(HubMembership.objects.select_related("user"), hub=hub, user_id=user_id)
    others = list(HubMembership.objects.filter(hub=hub, user__is_active=True).exclude(pk=member.pk)
                  .select_related("user").order_by("user__full_name", "user__email"))
    action = request.POST.get("action")
    role_form = RoleForm(request.POST if action == "role" else None, initial={"role": member.role})
    remove_form = RemoveForm(request.POST if action == "remove" else None, others=others)
    if request.method == "POST":
        try:
            if action == "role" and role_form.is_valid():
                hub_settings.team_set_role(membership=member, by=request.user, role=role_form.cleaned_data["role"])
                messages.success(request, f"Role saved for {member.user.email}")
                return redirect("hubportal:settings_team", hub.slug)
            if action == "remove" and remove_form.is_valid():
                to = remove_form.hand_to_user()
                hub_settings.team_remove(membership=member, by=request.user, hand_to=to)
                messages.success(request, f"{member.user.email} is no longer in the team. Their open work went "
                                          f"to {to.get_full_name() if to else 'nobody'}")
                if member.user_id == request.user.pk:
                    return redirect("intake:staff_home")
                return redirect("hubportal:settings_team", hub.slug)
        except hub_settings.SettingsRefused as error:
            _refused(role_form if action == "role" else remove_form, error)
        if action not in ("role", "remove"):
            raise Http404("No such action")
    bound = role_form if role_form.is_bound else remove_form
    return render(request, "hubportal/settings/team_member.html", {
        "hub": hub, "membership": membership, "current": "team", "member": member, "role_form": role_form,
        "remove_form": remove_form, "form": bound,
        "holdings": hub_settings.team_member_holdings(hub=hub, user=member.user),
    }, status=400 if bound.errors else 200)


# Access: the hub's leads.
@hub_lead_view
@require_GET
def audit_log(request, membership):
    hub = membership.hub
    page = Paginator(HubAuditEntry.objects.filter(hub=hub).order_by("-at", "-pk"), 50).get_page(
        request.GET.get("page"))
    return render(request, "hubportal/settings/audit.html", {
        "hub": hub, "membership": membership, "current": "audit", "page": page,
    })


# Access: members of the hub see its priorities; its leads add them.
@staff_view
@require_http_methods(["GET", "POST"])
def priorities(request, membership):
    from .taxonomy import Theme

    hub = membership.hub
    form = ThemeForm(request.POST or None) if _is_lead(membership) else None
    if request.method == "POST":
        if form is None:
            raise Http404("Only the hub's leads add priorities")
        if form.is_valid():
            try:
                theme = hub_settings.hub_theme_add(hub=hub, by=request.user, label=form.cleaned_data["label"])
            except hub_settings.SettingsRefused as error:
                _refused(form, error)
            else:
                messages.success(request, f"Priority added: {theme.label}. Submitters to this hub can choose it")
                return redirect("hubportal:settings_priorities", hub.slug)
    return render(request, "hubportal/settings/priorities.html", {
        "hub": hub, "membership": membership, "current": "priorities", "form": form,
        "national": Theme.choices, "local": HubTheme.objects.filter(hub=hub).order_by("-is_active", "label"),
    }, status=400 if form is not None and form.errors else 200)


# Access: the hub's leads.
@hub_lead_view
@require_POST
def priority_active(request, membership, code):
    theme = get_object_or_404(HubTheme, hub=membership.hub, code=code)
    is_active = request.POST.get("active") == "yes"
    hub_settings.hub_theme_set_active(theme=theme, by=request.user, is_active=is_active)
    messages.success(request, f"Priority {'brought back' if is_active else 'retired'}: {theme.label}")
    return redirect("hubportal:settings_priorities", membership.hub.slug)


# Access: members of the hub see who may submit and accept a person they checked; its leads set the
# domains (a member's POST of the domains: 404).
@staff_view
@require_http_methods(["GET", "POST"])
def who_may_submit(request, membership):
    from .submitters import hub_domains

    hub = membership.hub
    action = request.POST.get("action")
    lead = _is_lead(membership)
    domains_form = None
    if lead:
        domains_form = DomainsForm(request.POST if action == "domains" else None,
                                   initial={"domains": hub.accepted_email_domains})
    accept_form = AcceptAddressForm(request.POST if action == "accept" else None)
    if request.method == "POST":
        try:
            if action == "domains":
                if domains_form is None:
                    raise Http404("Only the hub's leads set the domains")
                if domains_form.is_valid():
                    hub_settings.hub_set_accepted_domains(hub=hub, by=request.user,
                                                          text=domains_form.cleaned_data["domains"])
                    messages.success(request, "Accepted email domains saved")
                    return redirect("hubportal:settings_who_may_submit", hub.slug)
            elif action == "accept":
                if accept_form.is_valid():
                    accepted = hub_settings.hub_accept_address(hub=hub, by=request.user, **accept_form.cleaned_data)
                    messages.success(request, f"{accepted.email} can now sign in and send inquiries to this hub")
                    return redirect("hubportal:settings_who_may_submit", hub.slug)
            else:
                raise Http404("No such action")
        except hub_settings.SettingsRefused as error:
            _refused(domains_form if action == "domains" else accept_form, error)
    bound = domains_form if domains_form is not None and domains_form.is_bound else accept_form
    return render(request, "hubportal/settings/who_may_submit.html", {
        "hub": hub, "membership": membership, "current": "who_may_submit", "domains_form": domains_form,
        "accept_form": accept_form, "form": bound, "domains": hub_domains(hub),
        "is_default": not hub.accepted_email_domains.strip(),
        "accepted": HubAcceptedAddress.objects.filter(hub=hub).select_related("accepted_by"),
    }, status=400 if bound.errors else 200)


# Access: the hub's leads.
@hub_lead_view
@require_POST
def accepted_address_remove(request, membership, pk):
    accepted = get_object_or_404(HubAcceptedAddress, hub=membership.hub, pk=pk)
    hub_settings.hub_accepted_address_remove(accepted=accepted, by=request.user)
    messages.success(request, f"{accepted.email} is no longer accepted")
    return redirect("hubportal:settings_who_may_submit", membership.hub.slug)
