"""Hub staff: the hub's read-only API tokens for its figures (intake/api.py).

Access: the list is for every member of the hub in the URL (`staff_view`), read-only for team
members; making and revoking tokens is for the hub's leads (`hub_lead_view`), others get 404. A token
of another hub is a 404, the same as one that does not exist.

The raw token is shown once, on the page that answers the form's POST, marked `Cache-Control:
no-store` so no browser or proxy keeps it; it is never put in the session, a message or a redirect.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .api_tokens import ApiTokenNotRevocable, api_token_create, api_token_revoke, hub_api_tokens
from .models import HubMembership
from .permissions import hub_lead_view, staff_view


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=100,
        help_text="Who or what uses it, so you can tell your tokens apart. For example, ICS Power BI.",
        error_messages={"required": "Enter a name for the token",
                        "max_length": "Name must be 100 characters or fewer"},
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-30", "spellcheck": "false"}))
    days = forms.IntegerField(
        label="Days until it expires", min_value=1,
        error_messages={"required": "Enter how many days the token lasts",
                        "invalid": "Days must be a whole number, like 90",
                        "min_value": "Days must be 1 or more"},
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-4", "inputmode": "numeric"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].initial = settings.API_TOKEN_DEFAULT_DAYS
        self.fields["days"].help_text = (f"From 1 to {settings.API_TOKEN_MAX_DAYS}. Make a new token "
                                         "before it expires.")

    def clean_days(self):
        days = self.cleaned_data["days"]
        if days > settings.API_TOKEN_MAX_DAYS:
            raise forms.ValidationError(f"Days must be {settings.API_TOKEN_MAX_DAYS} or fewer")
        return days


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


@staff_view
@require_GET
def api_tokens(request, membership):
    hub = membership.hub
    return render(request, "hubportal/api_tokens.html", {
        "hub": hub, "membership": membership, "tokens": hub_api_tokens(hub),
        "is_lead": membership.role == HubMembership.Role.LEAD,
        "api_url": reverse("intake:api_index"),
    })


@hub_lead_view
@require_http_methods(["GET", "POST"])
def api_token_new(request, membership):
    hub = membership.hub
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        issued = api_token_create(hub=hub, name=form.cleaned_data["name"], days=form.cleaned_data["days"],
                                  by=request.user, ip=request.META.get("REMOTE_ADDR"))
        return _no_store(render(request, "hubportal/api_token_created.html", {
            "hub": hub, "membership": membership, "token": issued.token, "raw_token": issued.raw_token,
            "metrics_url": settings.SITE_URL + reverse("intake:api_metrics", args=[hub.slug]),
        }))
    return _no_store(render(request, "hubportal/api_token_new.html", {
        "hub": hub, "membership": membership, "form": form}))


@hub_lead_view
@require_POST
def api_token_revoke_view(request, membership, public_id):
    hub = membership.hub
    try:
        token = api_token_revoke(hub=hub, public_id=public_id, by=request.user, ip=request.META.get("REMOTE_ADDR"))
    except ApiTokenNotRevocable:
        if not hub_api_tokens(hub).filter(public_id=public_id).exists():
            raise Http404("No such token") from None
        messages.error(request, "That token was already revoked")
    else:
        messages.success(request, f"“{token.name}” is revoked. Anything using it can no longer read the figures")
    return redirect("hubportal:staff_api_tokens", hub.slug)
