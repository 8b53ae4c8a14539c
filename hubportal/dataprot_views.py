"""Data protection pages (issue 12): the privacy page's schedule, a person's data download and erasure
request, and the hub's retention settings and erasure requests for its staff."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import emails, links
from .auth import auth_event, client_ip
from .models import EmailLink, ErasureRequest, Hub, HubMembership
from .permissions import staff_view
from .personal_data import (
    ErasureAlreadyDone,
    NotTheHubLead,
    data_export_for_link,
    data_export_request,
    erasure_hubs,
    erasure_plan,
    erasure_request_approve,
    erasure_request_create,
)
from .retention import RULES, retention_periods


def _schedule(hub):
    periods = retention_periods(hub)
    return [(rule.name, rule.describe(periods)) for rule in RULES]


# Access: anyone. The schedule as each hub has set it.
@require_GET
def privacy(request):
    hubs = [(hub, _schedule(hub)) for hub in Hub.objects.filter(is_active=True).order_by("name")]
    return render(request, "hubportal/privacy.html", {
        "hubs": hubs, "no_hub": _schedule(None), "link_hours": settings.DATA_EXPORT_LINK_HOURS})


# --- A person's own data ---------------------------------------------------------------------------

# Access: a signed-in person, for their own data only.
@login_required
@require_POST
def data_export(request):
    data_export_request(user=request.user, ip=client_ip(request))
    messages.success(request, f"We are preparing your data. We will email {request.user.email} a link to "
                              f"download it; the link works once, for {settings.DATA_EXPORT_LINK_HOURS} hours")
    return redirect("hubportal:account")


def _download_start(request, link, export):
    auth_event("data_export_downloaded", actor="person", outcome="success", request=request, email=link.email,
               export=str(export.public_id))
    return FileResponse(export.file.open("rb"), as_attachment=True, filename="your-data.zip",
                        content_type="application/zip")


DATA_EXPORT_FLOW = links.register(links.LinkFlow(
    purpose=EmailLink.Purpose.DATA_EXPORT, actor="data_export", templates="hubportal/data_export",
    accept=data_export_for_link, start=_download_start,
    send=lambda link, raw_token: emails.data_export_ready(link=link, raw_token=raw_token,
                                                          hours=settings.DATA_EXPORT_LINK_HOURS),
    minutes=lambda: settings.DATA_EXPORT_LINK_HOURS * 60,
))

# Access: whoever holds the emailed download link (one person's archive, single use). GET shows a
# button (mail scanners follow links); POST uses the link and downloads.
data_export_link = links.confirm_view(DATA_EXPORT_FLOW)


# Access: a signed-in person, for their own data only. GET says what erasure would do; POST asks.
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def erasure_request(request):
    user = request.user
    if request.method == "POST":
        created = erasure_request_create(user=user)
        if created and created[0].hub is None:
            from django.contrib.auth import logout

            logout(request)
            return render(request, "hubportal/erasure_done.html")
        messages.success(request, "Your request has been sent to the hub. The hub lead will review it and "
                                  "we will erase your data within one month")
        return redirect("hubportal:account")
    hubs = Hub.objects.filter(pk__in=erasure_hubs(user)).order_by("name")
    plans = [(hub, erasure_plan(user=user, hub=hub)) for hub in hubs] or [(None, erasure_plan(user=user, hub=None))]
    pending = ErasureRequest.objects.filter(user=user, status=ErasureRequest.Status.PENDING).select_related("hub")
    return render(request, "hubportal/erasure_request.html", {"plans": plans, "pending": pending})


# --- Hub staff: the retention schedule and erasure requests ----------------------------------------

class RetentionForm(forms.ModelForm):
    class Meta:
        model = Hub
        fields = ["retain_closed_months", "retain_drafts_days", "retain_email_days"]
        labels = {"retain_closed_months": "Closed inquiries: months before anonymising",
                  "retain_drafts_days": "Unfinished drafts: days without a change before deleting",
                  "retain_email_days": "Email content: days before removing"}


# Access: members of the hub see the schedule; only its lead changes it (a member's POST: 404).
@staff_view
@require_http_methods(["GET", "POST"])
def staff_retention(request, membership):
    hub = membership.hub
    is_lead = membership.role == HubMembership.Role.LEAD
    form = RetentionForm(request.POST or None, instance=hub) if is_lead else None
    if request.method == "POST":
        if not is_lead:
            raise Http404("Only the hub lead changes the schedule")
        if form.is_valid():
            from .services import hub_set_retention

            hub_set_retention(hub=hub, by=request.user, **form.cleaned_data)
            messages.success(request, "Retention schedule saved")
            return redirect("hubportal:staff_retention", hub.slug)
    return render(request, "hubportal/staff_retention.html", {
        "hub": hub, "membership": membership, "form": form, "schedule": _schedule(hub),
    }, status=400 if form is not None and form.errors else 200)


def _lead_only(membership):
    if membership.role != HubMembership.Role.LEAD:
        raise Http404("Only the hub lead sees erasure requests")


# Access: the lead of the hub in the URL.
@staff_view
@require_GET
def staff_erasure_requests(request, membership):
    _lead_only(membership)
    requests = ErasureRequest.objects.filter(hub=membership.hub).order_by("status", "-requested_at")[:200]
    return render(request, "hubportal/staff_erasure_requests.html", {"hub": membership.hub, "requests": requests})


# Access: the lead of the hub in the URL, for its own requests. GET shows the plan; POST approves.
@staff_view
@require_http_methods(["GET", "POST"])
def staff_erasure_request(request, membership, public_id):
    _lead_only(membership)
    erasure = get_object_or_404(ErasureRequest.objects.select_related("user", "hub"), hub=membership.hub,
                                public_id=public_id)
    if request.method == "POST":
        try:
            erasure_request_approve(request=erasure, by=request.user)
        except ErasureAlreadyDone:
            messages.error(request, "This request has already been dealt with")
        except NotTheHubLead:
            raise Http404("Not the hub lead") from None
        else:
            messages.success(request, "The personal data has been erased")
        return redirect("hubportal:staff_erasure_request", membership.hub.slug, erasure.public_id)
    if erasure.status == ErasureRequest.Status.PENDING:
        plan = erasure_plan(user=erasure.user, hub=erasure.hub)
    else:
        plan = erasure.outcome
    return render(request, "hubportal/staff_erasure_request.html", {
        "hub": membership.hub, "erasure": erasure, "plan": plan})

