"""Hub channels: a hub's leads manage its webhook endpoints; its staff see deliveries that did not go.

Access: the endpoint pages need a lead of the hub in the URL (`hub_lead_view`: a team member gets
404, like a stranger), because they show the signing secrets and decide where the hub's events go.
The failed-deliveries page and "send again" are for every member (`staff_view`), like the
failed-email page. Objects are found by their public id, scoped to the hub in the URL, so another
hub's endpoint or delivery is a 404 like one that does not exist.
"""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .models import WebhookDelivery, WebhookEndpoint
from .permissions import hub_lead_view, staff_view
from .webhooks import (
    EVENTS,
    HEADLINES,
    STUCK_AFTER,
    EndpointInactive,
    WebhookNotResendable,
    webhook_deliveries_needing_attention,
    webhook_delivery_resend,
    webhook_endpoint_create,
    webhook_endpoint_deactivate,
    webhook_endpoint_test,
    webhook_url_problem,
)

PAGE_SIZE = 25


class WebhookEndpointForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100,
                           help_text="So you can tell your endpoints apart, for example 'Triage team channel'",
                           error_messages={"required": "Enter a name for the endpoint"})
    kind = forms.ChoiceField(label="Where it goes", widget=forms.RadioSelect,
                             choices=WebhookEndpoint.Kind.choices,
                             error_messages={"required": "Select where the events go"})
    url = forms.CharField(label="Web address", max_length=1000,
                          help_text="For Teams, the address of the channel's incoming webhook (or workflow). "
                                    "It must start with https://",
                          error_messages={"required": "Enter the web address events are sent to"})
    events = forms.MultipleChoiceField(label="Events to send", widget=forms.CheckboxSelectMultiple,
                                       choices=list(EVENTS.items()),
                                       error_messages={"required": "Select at least one event"})

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        problem = webhook_url_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url


def _endpoints_url(hub):
    return reverse("hubportal:staff_webhooks", args=[hub.slug])


@hub_lead_view
@require_http_methods(["GET", "POST"])
def webhooks(request, membership):
    hub = membership.hub
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        endpoint = webhook_endpoint_create(hub=hub, by=request.user, **form.cleaned_data)
        messages.success(request, f"Endpoint '{endpoint.name}' added. Send it a test event to check it works")
        return redirect(_endpoints_url(hub))
    endpoints = list(WebhookEndpoint.objects.filter(hub=hub))
    for endpoint in endpoints:
        endpoint.event_labels = [EVENTS[e] for e in endpoint.events if e in EVENTS]
    return render(request, "hubportal/webhooks.html", {
        "hub": hub, "membership": membership, "form": form, "endpoints": endpoints,
    }, status=400 if form.errors else 200)


def _endpoint(membership, endpoint_id):
    return get_object_or_404(WebhookEndpoint, public_id=endpoint_id, hub=membership.hub)


@hub_lead_view
@require_POST
def webhook_test(request, membership, endpoint_id):
    endpoint = _endpoint(membership, endpoint_id)
    try:
        webhook_endpoint_test(endpoint=endpoint, by=request.user)
    except EndpointInactive:
        messages.error(request, f"'{endpoint.name}' is switched off, so it was not sent a test event")
    else:
        messages.success(request, f"Test event on its way to '{endpoint.name}'. If it does not arrive, "
                                  "it will be listed under Failed deliveries")
    return redirect(_endpoints_url(membership.hub))


@hub_lead_view
@require_POST
def webhook_deactivate(request, membership, endpoint_id):
    endpoint = _endpoint(membership, endpoint_id)
    try:
        webhook_endpoint_deactivate(endpoint=endpoint, by=request.user)
    except EndpointInactive:
        messages.error(request, f"'{endpoint.name}' was already switched off")
    else:
        messages.success(request, f"'{endpoint.name}' is switched off. It will not be sent any more events")
    return redirect(_endpoints_url(membership.hub))


@staff_view
@require_GET
def webhook_failures(request, membership):
    hub = membership.hub
    page = Paginator(webhook_deliveries_needing_attention(hub=hub), PAGE_SIZE).get_page(request.GET.get("page"))
    for delivery in page.object_list:
        delivery.label = HEADLINES.get(delivery.event, delivery.event)
    return render(request, "hubportal/webhook_failures.html", {
        "hub": hub, "membership": membership, "page": page,
        "stuck_minutes": int(STUCK_AFTER.total_seconds() // 60),
    })


@staff_view
@require_POST
def webhook_resend(request, membership, delivery_id):
    hub = membership.hub
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("endpoint"), public_id=delivery_id, hub=hub)
    try:
        webhook_delivery_resend(hub=hub, delivery_id=delivery.pk, by=request.user)
    except WebhookNotResendable:
        messages.error(request, f"That delivery to '{delivery.endpoint.name}' cannot be sent again: it went "
                                "meanwhile, someone else sent it again, or its endpoint is switched off")
    else:
        messages.success(request, f"Sending it to '{delivery.endpoint.name}' again")
    url = reverse("hubportal:staff_webhook_failures", args=[hub.slug])
    page = request.POST.get("page", "")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)
