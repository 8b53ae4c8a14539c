"""The hub's front door on a trust intranet: /embed/<hub>/ in an iframe, and the page where its leads
say which intranet sites may show it.

The widget is the one page of ours that another site may frame, and only the sites the hub lists (CSP
frame-ancestors); everything else keeps X-Frame-Options: DENY and frame-ancestors 'none'. It holds no
form that takes anything personal: one search box (GET, no session, no cookie) for the hub's resources
with instant signposting, and "Start an inquiry", which opens the journey in a new tab, outside the frame.
"""

from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_http_methods

from hubportal.forms import EmbedOriginsForm
from hubportal.models import Hub, HubMembership
from hubportal.permissions import staff_view
from hubportal.services import hub_set_embed_origins
from hubportal.taxonomy import KindOfHelp
from intake.models import Inquiry

from .matcher import inquiry_match
from .models import offered_resources

SEARCH_RESULTS = 8


def embed_frame_ancestors(hub):
    """The CSP for the widget: the site's own policy with frame-ancestors set to the hub's origins."""
    ancestors = " ".join(hub.embed_origin_list) or "'none'"
    directives = [d for d in settings.CONTENT_SECURITY_POLICY.split("; ") if not d.startswith("frame-ancestors")]
    # Links in the widget open the journey in a new tab; its forms are served only there.
    return "; ".join([*directives, f"frame-ancestors {ancestors}"])


def embed_resources(*, hub, query="", kind_of_help=""):
    """Resources offered to the hub's submitters: those the matcher ranks for a kind of help, or those
    whose title or summary has the words typed. Two queries at most."""
    if kind_of_help:
        # An unsaved inquiry is what the matcher reads: the hub and the kind of help, nothing personal.
        result = inquiry_match(inquiry=Inquiry(hub=hub, kind_of_help=kind_of_help), partners=False,
                               resource_limit=SEARCH_RESULTS)
        return [(r.title, r.url, r.kind_label, r.summary) for r in result.resources]
    if not query:
        return []
    words = query.split()[:6]
    matching = Q()
    for word in words:
        matching &= Q(title__icontains=word) | Q(summary__icontains=word)
    rows = (offered_resources().filter(Q(hub=hub) | Q(hub__isnull=True)).filter(matching)
            .order_by("hub_id", "title")[:SEARCH_RESULTS])
    return [(r.title, r.url, r.get_kind_display(), r.summary) for r in rows]


# Access: anyone (a public page about the hub, no personal data); may be framed only by the origins the
# hub lists.
@require_GET
@xframe_options_exempt
def embed(request, hub_slug):
    hub = get_object_or_404(Hub, slug=hub_slug, is_active=True)
    query = request.GET.get("q", "").strip()[:100]
    kind = request.GET.get("help", "")
    kind = kind if kind in KindOfHelp.values else ""
    response = render(request, "signposting/embed.html", {
        "hub": hub, "query": query, "kind": kind, "kinds": KindOfHelp.choices,
        "resources": embed_resources(hub=hub, query=query, kind_of_help=kind),
        "searched": bool(query or kind),
        "start_url": settings.SITE_URL + reverse("intake:start"),
    })
    response["Content-Security-Policy"] = embed_frame_ancestors(hub)
    return response


# Access: members of the hub see the snippet and the sites; its leads change the sites (others: 404).
@require_http_methods(["GET", "POST"])
@staff_view
def embed_settings(request, membership):
    hub = membership.hub
    is_lead = membership.role == HubMembership.Role.LEAD
    if request.method == "POST":
        if not is_lead:
            return render(request, "404.html", status=404)
        form = EmbedOriginsForm(request.POST)
        if form.is_valid():
            hub_set_embed_origins(hub=hub, origins=form.cleaned_data["origins"], by=request.user)
            messages.success(request, "The sites that may show the widget are saved")
            return redirect("signposting:embed_settings", hub_slug=hub.slug)
    else:
        form = EmbedOriginsForm(initial={"origins": hub.embed_origins})
    widget_url = settings.SITE_URL + reverse("signposting:embed", args=[hub.slug])
    return render(request, "signposting/embed_settings.html", {
        "hub": hub, "membership": membership, "form": form if is_lead else None, "is_lead": is_lead,
        "widget_url": widget_url, "origins": hub.embed_origin_list,
        "snippet": (f'<iframe src="{widget_url}" title="{hub.name}: innovation front door" '
                    'width="100%" height="640" loading="lazy"></iframe>'),
    })
