"""The kernel's emails: one small function per email, each queuing an outbox row."""

from django.conf import settings
from django.urls import reverse

from .outbox import outbound_email_queue


def sign_in_link(*, link, raw_token):
    url = settings.SITE_URL + reverse("hubportal:sign_in_confirm", args=[raw_token])
    return outbound_email_queue(
        key=f"email-link:{link.pk}:sign-in",
        to=link.email,
        template="sign_in_link",
        context={"link_url": url, "minutes": settings.SIGN_IN_LINK_MINUTES},
        has_secret=True,
    )


def staff_invitation(*, link, raw_token):
    url = settings.SITE_URL + reverse("hubportal:staff_invitation", args=[raw_token])
    return outbound_email_queue(
        key=f"email-link:{link.pk}:staff-invitation",
        to=link.email,
        template="staff_invitation",
        context={"link_url": url, "hours": settings.STAFF_INVITATION_HOURS},
        has_secret=True,
    )


def data_export_ready(*, link, raw_token, hours):
    """The single-use link to a person's subject access archive (a secret: wiped once sent)."""
    url = settings.SITE_URL + reverse("hubportal:data_export_link", args=[raw_token])
    return outbound_email_queue(
        key=f"email-link:{link.pk}:data-export",
        to=link.email,
        template="data_export_ready",
        context={"link_url": url, "hours": hours},
        has_secret=True,
    )


def erasure_requested(*, request):
    """Each lead of the hub: someone asked for erasure. A link to the request; never who asked."""
    from .models import HubMembership

    url = settings.SITE_URL + reverse("hubportal:staff_erasure_request", args=[request.hub.slug, request.public_id])
    leads = HubMembership.objects.filter(hub=request.hub, role=HubMembership.Role.LEAD,
                                         user__is_active=True).select_related("user")
    return [outbound_email_queue(key=f"erasure:{request.pk}:requested:{lead.user_id}", to=lead.user.email,
                                 template="erasure_requested", hub=request.hub, context={"request_url": url})
            for lead in leads]
