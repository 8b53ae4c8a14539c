"""The hub's checklists on its settings pages (issue 10). Members of the hub see them and the preview;
its leads change them (a member's POST is a 404, as on every lead-only page)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hubportal.models import HubMembership
from hubportal.permissions import hub_lead_view, staff_view

from . import checklists as service
from .checklist_forms import ChecklistForm, ChecklistNewForm, CriterionForm
from .models import Checklist, Criterion
from .triage_forms import checklist_form_class


def _is_lead(membership):
    return membership.role == HubMembership.Role.LEAD


def _refused(form, error):
    form.add_error(error.field if error.field in form.fields else None, str(error))


def _current(hub, slug):
    checklist = service.checklist_current(hub=hub, slug=slug)
    if checklist is None:
        raise Http404("No such checklist")
    return checklist


def _criterion(checklist, key):
    return get_object_or_404(Criterion, checklist=checklist, key=key)


# Access: members of the hub see the list; its leads create checklists here.
@staff_view
@require_http_methods(["GET", "POST"])
def checklists(request, membership):
    hub = membership.hub
    form = ChecklistNewForm(request.POST or None) if _is_lead(membership) else None
    if request.method == "POST":
        if form is None:
            raise Http404("Only the hub's leads create checklists")
        if form.is_valid():
            try:
                checklist = service.checklist_create(hub=hub, by=request.user, **form.cleaned_data)
            except service.ChecklistRefused as error:
                _refused(form, error)
            else:
                messages.success(request, f"Checklist created: {checklist.name}. Now add its questions")
                return redirect("intake:settings_checklist", hub.slug, checklist.slug)
    current = (Checklist.objects.filter(hub=hub, replaced_by__isnull=True).order_by("-is_active", "kind", "name")
               .prefetch_related("criteria"))
    return render(request, "intake/settings/checklists.html", {
        "hub": hub, "membership": membership, "checklists": current, "form": form, "current": "checklists",
    }, status=400 if form is not None and form.errors else 200)


# Access: members of the hub see a checklist; its leads rename it, retire it and add questions.
@staff_view
@require_http_methods(["GET", "POST"])
def checklist_detail(request, membership, slug):
    hub = membership.hub
    checklist = _current(hub, slug)
    lead = _is_lead(membership)
    form = None
    if lead:
        form = ChecklistForm(request.POST or None, initial={"name": checklist.name,
                                                            "description": checklist.description})
    if request.method == "POST":
        if not lead:
            raise Http404("Only the hub's leads change checklists")
        if form.is_valid():
            try:
                service.checklist_update(checklist=checklist, by=request.user, **form.cleaned_data)
            except service.ChecklistRefused as error:
                _refused(form, error)
            else:
                messages.success(request, "Checklist saved")
                return redirect("intake:settings_checklist", hub.slug, slug)
    versions = list(Checklist.objects.filter(hub=hub, slug=slug).order_by("-version"))
    return render(request, "intake/settings/checklist.html", {
        "hub": hub, "membership": membership, "checklist": checklist, "form": form, "current": "checklists",
        "criteria": list(checklist.criteria.all()), "versions": versions,
        "in_use": service.checklist_is_in_use(checklist),
    }, status=400 if form is not None and form.errors else 200)


# Access: members of the hub: the questions as an assessor sees them, answering nothing.
@staff_view
@require_GET
def checklist_preview(request, membership, slug):
    hub = membership.hub
    checklist = _current(hub, slug)
    criteria = list(checklist.criteria.all())
    form = checklist_form_class(checklist, criteria)()
    return render(request, "intake/settings/checklist_preview.html", {
        "hub": hub, "membership": membership, "checklist": checklist, "form": form, "current": "checklists",
        "criteria_fields": [(c, form[f"answer_{c.pk}"], form[f"comment_{c.pk}"]) for c in criteria],
    })


# Access: the hub's leads.
@hub_lead_view
@require_POST
def checklist_set_active(request, membership, slug):
    checklist = _current(membership.hub, slug)
    is_active = request.POST.get("active") == "yes"
    try:
        service.checklist_set_active(checklist=checklist, by=request.user, is_active=is_active)
    except service.ChecklistRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Checklist brought back" if is_active else
                         "Checklist retired. Assessors no longer see it; earlier assessments keep it")
    return redirect("intake:settings_checklist", membership.hub.slug, slug)


def _criterion_page(request, membership, checklist, form, criterion=None):
    return render(request, "intake/settings/criterion.html", {
        "hub": membership.hub, "membership": membership, "checklist": checklist, "form": form,
        "criterion": criterion, "current": "checklists", "in_use": service.checklist_is_in_use(checklist),
    }, status=400 if form.errors else 200)


# Access: the hub's leads.
@hub_lead_view
@require_http_methods(["GET", "POST"])
def criterion_new(request, membership, slug):
    hub = membership.hub
    checklist = _current(hub, slug)
    form = CriterionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            criterion = service.criterion_add(checklist=checklist, by=request.user, fields=form.fields_value())
        except service.ChecklistRefused as error:
            _refused(form, error)
        else:
            messages.success(request, _saved("Question added", checklist, criterion.checklist))
            return redirect("intake:settings_checklist", hub.slug, slug)
    return _criterion_page(request, membership, checklist, form)


def _saved(what, before, after):
    if after.version != before.version:
        return (f"{what}. This made version {after.version} of the checklist; assessments made with "
                f"version {before.version} keep its questions and scores")
    return what


# Access: the hub's leads.
@hub_lead_view
@require_http_methods(["GET", "POST"])
def criterion_edit(request, membership, slug, key):
    hub = membership.hub
    checklist = _current(hub, slug)
    criterion = _criterion(checklist, key)
    form = CriterionForm(request.POST or None, initial=CriterionForm.initial_from(criterion))
    if request.method == "POST" and form.is_valid():
        try:
            changed = service.criterion_update(criterion=criterion, by=request.user, fields=form.fields_value())
        except service.ChecklistRefused as error:
            _refused(form, error)
        else:
            messages.success(request, _saved("Question saved", checklist, changed.checklist))
            return redirect("intake:settings_checklist", hub.slug, slug)
    return _criterion_page(request, membership, checklist, form, criterion)


# Access: the hub's leads.
@hub_lead_view
@require_POST
def criterion_retire(request, membership, slug, key):
    checklist = _current(membership.hub, slug)
    criterion = _criterion(checklist, key)
    try:
        after = service.criterion_retire(criterion=criterion, by=request.user)
    except service.ChecklistRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _saved(f"Question retired: {criterion.question}", checklist, after))
    return redirect("intake:settings_checklist", membership.hub.slug, slug)


# Access: the hub's leads.
@hub_lead_view
@require_POST
def criterion_move(request, membership, slug, key):
    checklist = _current(membership.hub, slug)
    criterion = _criterion(checklist, key)
    try:
        after = service.criterion_move(criterion=criterion, by=request.user,
                                       direction=request.POST.get("direction", ""))
    except service.ChecklistRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _saved("Order saved", checklist, after))
    return redirect("intake:settings_checklist", membership.hub.slug, slug)
