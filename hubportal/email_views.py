"""Hub staff: the emails that did not go, and sending one again.

Access for every view here: `staff_view` (password and TOTP, a member of the hub in the URL); an
email of another hub is a 404, the same as one that does not exist.

The page lists this hub's emails that failed (the mail server refused them for good, or kept
refusing until EMAIL_SEND_MAX_RETRIES) and those stuck in `sending` for more than STUCK_AFTER: a
worker claimed them and never said how it ended (it was killed, or the server's answer was lost).
A stuck email may well have been delivered, so it is never sent again from here directly: a person
checks (asks the recipient, reads the mail server's log), marks it "not delivered", which makes it
failed, and may then send it again.

URLs carry the row's primary key, against the house habit of opaque references: OutboundEmail has
no public id (adding one needs a migration), these are POST targets on a staff-only page, and every
lookup is scoped to the hub in the URL, so another hub's id is a 404 like an id that does not
exist. All a pk tells is roughly how many emails the service has queued.
"""

import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from .models import OutboundEmail
from .outbox import (
    STUCK_AFTER,
    EmailLinkErased,
    EmailNotResendable,
    EmailNotStuck,
    outbound_email_mark_delivered,
    outbound_email_mark_not_delivered,
    outbound_email_needing_attention,
    outbound_email_resend,
)
from .permissions import staff_view

log = logging.getLogger(__name__)

PAGE_SIZE = 25


# --- Views ---------------------------------------------------------------------------------------

def _back(hub, request):
    page = request.POST.get("page", "")
    url = reverse("hubportal:staff_failed_emails", args=[hub.slug])
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@staff_view
@require_GET
def failed_emails(request, membership):
    hub = membership.hub
    page = Paginator(outbound_email_needing_attention(hub=hub), PAGE_SIZE).get_page(request.GET.get("page"))
    for email in page.object_list:
        email.label = email.template.replace("_", " ").capitalize()  # "Inquiry acknowledgement"
    return render(request, "hubportal/failed_emails.html", {
        "hub": hub, "membership": membership, "page": page,
        "stuck_minutes": int(STUCK_AFTER.total_seconds() // 60),
    })


@staff_view
@require_POST
def email_resend(request, membership, email_id):
    hub = membership.hub
    email = get_object_or_404(OutboundEmail.objects.only("pk", "to"), pk=email_id, hub=hub)
    try:
        outbound_email_resend(hub=hub, email_id=email.pk, by=request.user)
    except EmailLinkErased:
        messages.error(request, f"The email to {email.to} carried a secure link, which was erased when it "
                                "failed: send a new link instead")
    except EmailNotResendable:
        messages.error(request, f"The email to {email.to} is no longer failed: someone sent it again, "
                                "or it is being sent")
    else:
        messages.success(request, f"Sending the email to {email.to} again")
    return _back(hub, request)


def _resolve_stuck(request, membership, email_id, *, service, done):
    """A person's finding on a stuck email, through `service`; `done` says what it now is."""
    hub = membership.hub
    email = get_object_or_404(OutboundEmail.objects.only("pk", "to"), pk=email_id, hub=hub)
    try:
        service(hub=hub, email_id=email.pk, by=request.user)
    except EmailNotStuck:
        messages.error(request, f"The email to {email.to} is no longer stuck: it was sent, or someone "
                                "else marked it")
    else:
        messages.success(request, f"The email to {email.to} is marked {done}")
    return _back(hub, request)


@staff_view
@require_POST
def email_mark_not_delivered(request, membership, email_id):
    return _resolve_stuck(request, membership, email_id, service=outbound_email_mark_not_delivered,
                          done="not delivered. You can send it again")


@staff_view
@require_POST
def email_mark_delivered(request, membership, email_id):
    return _resolve_stuck(request, membership, email_id, service=outbound_email_mark_delivered, done="delivered")
