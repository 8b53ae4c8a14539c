"""The "Arrived by email" queue and the hub's mailbox settings.

Access: members of the hub in the URL (`staff_view`); an email of another hub is a 404. Changing the
mailbox settings is for the hub's leads; members see them read-only, and a member's POST is a 404.
Email text is plain text, shown escaped: never rendered as HTML.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hubportal.models import HubMembership
from hubportal.permissions import staff_view

from . import mailbox
from .mailbox_forms import AttachForm, DismissForm, MailboxSettingsForm, RecordForm
from .models import HubMailbox, MailboxMessage

PAGE_SIZE = 25
DECIDED_MESSAGE = "Someone else has already dealt with this email"


def _message(membership, public_id):
    return get_object_or_404(MailboxMessage.objects.select_related("inquiry", "decided_by"),
                             hub=membership.hub, public_id=public_id)


def _message_url(hub, message):
    return reverse("intake:staff_mailbox_message", args=[hub.slug, message.public_id])


@staff_view
@require_GET
def queue(request, membership):
    hub = membership.hub
    page = Paginator(mailbox.mailbox_queue(hub=hub), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "intake/staff/mailbox/queue.html", {
        "hub": hub, "membership": membership, "page": page,
        "mailbox": HubMailbox.objects.filter(hub=hub).only("last_fetch_at", "last_error", "is_enabled").first(),
    })


def _detail(request, membership, message, status=200, **forms):
    hub = membership.hub
    context = {
        "hub": hub, "message": message, "attachments": list(message.attachments.all()),
        "attach_form": AttachForm(hub=hub), "dismiss_form": DismissForm(),
        "is_waiting": message.status == MailboxMessage.Status.WAITING,
    }
    context.update(forms)
    return render(request, "intake/staff/mailbox/message.html", context, status=status)


@staff_view
@require_GET
def message_detail(request, membership, public_id):
    return _detail(request, membership, _message(membership, public_id))


@staff_view
@require_http_methods(["GET", "POST"])
def message_record(request, membership, public_id):
    hub = membership.hub
    message = _message(membership, public_id)
    if message.status != MailboxMessage.Status.WAITING:
        messages.error(request, DECIDED_MESSAGE)
        return redirect(_message_url(hub, message))
    initial = {"email": message.sender_email, "contact_name": message.sender_name,
               "title": message.subject[:120], "problem": message.body_text[:2000]}
    form = RecordForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            inquiry = mailbox.mailbox_message_record(message=message, by=request.user,
                                                     email=form.cleaned_data["email"], answers=form.answers())
        except mailbox.MailboxMessageDecided:
            messages.error(request, DECIDED_MESSAGE)
            return redirect(_message_url(hub, message))
        messages.success(request, f"Inquiry {inquiry.reference} recorded. {form.cleaned_data['email']} has been "
                                  "sent the acknowledgement and a sign-in link")
        return redirect("intake:staff_inquiry", hub_slug=hub.slug, reference=inquiry.reference)
    return render(request, "intake/staff/mailbox/record.html", {"hub": hub, "message": message, "form": form},
                  status=400 if form.is_bound else 200)


@staff_view
@require_POST
def message_attach(request, membership, public_id):
    hub = membership.hub
    message = _message(membership, public_id)
    form = AttachForm(request.POST, hub=hub)
    if not form.is_valid():
        return _detail(request, membership, message, status=400, attach_form=form)
    try:
        mailbox.mailbox_message_attach(message=message, by=request.user, inquiry=form.inquiry)
    except mailbox.MailboxMessageDecided:
        messages.error(request, DECIDED_MESSAGE)
        return redirect(_message_url(hub, message))
    except mailbox.InquiryNotOpen:
        messages.error(request, "That inquiry is closed. Emails are attached to open inquiries only")
        return redirect(_message_url(hub, message))
    messages.success(request, f"Email attached to {form.inquiry.reference}")
    return redirect("intake:staff_mailbox", hub_slug=hub.slug)


@staff_view
@require_POST
def message_dismiss(request, membership, public_id):
    hub = membership.hub
    message = _message(membership, public_id)
    form = DismissForm(request.POST)
    if not form.is_valid():
        return _detail(request, membership, message, status=400, dismiss_form=form)
    try:
        mailbox.mailbox_message_dismiss(message=message, by=request.user, reason=form.cleaned_data["reason"])
    except mailbox.MailboxMessageDecided:
        messages.error(request, DECIDED_MESSAGE)
        return redirect(_message_url(hub, message))
    messages.success(request, "Email dismissed")
    return redirect("intake:staff_mailbox", hub_slug=hub.slug)


@staff_view
@require_http_methods(["GET", "POST"])
def mailbox_settings(request, membership):
    hub = membership.hub
    is_lead = membership.role == HubMembership.Role.LEAD
    current = HubMailbox.objects.filter(hub=hub).first()
    if request.method == "POST" and not is_lead:
        raise Http404("Only the hub's leads change its mailbox")
    initial = {}
    if current:
        initial = {name: getattr(current, name) for name in (
            "host", "port", "security", "username", "folder", "after_import", "move_to_folder", "is_enabled")}
    form = MailboxSettingsForm(request.POST if request.method == "POST" else None, initial=initial,
                               has_password=bool(current and current.password_encrypted))
    if request.method == "POST" and form.is_valid():
        mailbox.mailbox_save(hub=hub, by=request.user, **form.cleaned_data)
        messages.success(request, "Mailbox settings saved. New emails are fetched every 2 minutes")
        return redirect("intake:staff_mailbox_settings", hub_slug=hub.slug)
    return render(request, "intake/staff/mailbox/settings.html", {
        "hub": hub, "membership": membership, "form": form, "mailbox": current, "is_lead": is_lead,
    }, status=400 if form.is_bound else 200)
