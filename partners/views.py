"""Partner contacts' sign-in by emailed link, and the Open Referral UK JSON export of the directory.

The partner contact's referral pages are signposting's (they show referrals); they use
partners.permissions.partner_required, which relies on the session these views start.
"""

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hubportal import links
from hubportal.auth import auth_event
from hubportal.db_router import reads_from_replica
from hubportal.models import EmailLink
from hubportal.services import LinkRefused

from . import emails, oruk
from .forms import DigestChoiceForm, PartnerSignInForm
from .models import Partner, PartnerService
from .permissions import (
    partner_required,
    partner_session_email,
    partner_session_end,
    partner_session_start,
)
from .selectors import contacts_for_email
from .services import (
    PartnerNotEditable,
    active_contacts,
    partner_contact_set_digest,
    partner_proposal_create,
)
from .staff_forms import ProposalForm

# Where a partner contact lands after signing in (signposting's list of their referrals). A URL name,
# not an import: partners never imports signposting.
PARTNER_HOME = "signposting:partner_home"


def _posted(request):
    """The POST data, even when empty (an empty POST is still a submitted form), or None for a GET."""
    return request.POST if request.method == "POST" else None


def _partner_accept(link):
    """Whatever the link says, the address must still be an active contact of an active partner."""
    if not active_contacts(link.email).exists():
        raise LinkRefused("unknown")
    return link.email


def _partner_start(request, link, email):
    partner_session_start(request, email=email)
    auth_event("sign_in", actor="partner", outcome="success", request=request, email=email)
    return redirect(links.safe_next_path(request, link.next_path) or resolve_url(PARTNER_HOME))


PARTNER_FLOW = links.register(links.LinkFlow(
    purpose=EmailLink.Purpose.PARTNER_SIGN_IN, actor="partner", templates="partners/sign_in",
    form_class=PartnerSignInForm, request_url="partners:sign_in", sent_url="partners:sign_in_sent",
    # Only an active contact is emailed; a row is written for any address, so the limits count it too.
    may_email=lambda email: active_contacts(email).exists(),
    accept=_partner_accept, start=_partner_start, send=emails.partner_sign_in_link,
))

# Access: anyone. The answer is the same whether or not the address belongs to a partner contact.
sign_in = links.request_view(PARTNER_FLOW)
# Access: anyone. Shows only the address this browser typed.
sign_in_sent = links.sent_view(PARTNER_FLOW)
# Access: whoever holds the emailed link. GET shows a button; the POST uses the link.
sign_in_confirm = links.confirm_view(PARTNER_FLOW)


# Access: anyone (ends only this browser's partner session, and what other apps granted the partner).
@require_POST
def sign_out(request):
    email = partner_session_email(request)
    if email:
        auth_event("sign_out", actor="partner", outcome="success", request=request, email=email)
    partner_session_end(request)
    links.actor_sign_out(request, "partner")
    return render(request, "partners/signed_out.html")


# --- Open Referral UK export. Access: anyone (an open directory: no named people, no referrals). ----

def _json(data, status=200):
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _paged(request, queryset, to_json):
    try:
        page_number, per_page = oruk.read_paging(request.GET)
    except oruk.BadParameter as bad:
        return _json({"error": str(bad)}, status=400)
    return _json(oruk.page(queryset, page_number=page_number, per_page=per_page, to_json=to_json))


@require_GET
@reads_from_replica
def oruk_index(request):
    return _json(oruk.api_info())


@require_GET
@reads_from_replica
def oruk_organizations(request):
    return _paged(request, oruk.organizations_queryset(), oruk.organization_json)


@require_GET
@reads_from_replica
def oruk_organization(request, public_id):
    try:
        return _json(oruk.organization_detail(public_id))
    except Partner.DoesNotExist:
        return _json({"error": "No organization has this id"}, status=404)


@require_GET
@reads_from_replica
def oruk_services(request):
    try:
        services = oruk.services_queryset(request.GET)
    except oruk.BadParameter as bad:
        return _json({"error": str(bad)}, status=400)
    return _paged(request, services, oruk.service_json)


@require_GET
@reads_from_replica
def oruk_service(request, public_id):
    service = (PartnerService.objects.select_related("partner").prefetch_related("partner__hubs")
               .filter(public_id=public_id).first())
    if service is None:
        return _json({"error": "No service has this id"}, status=404)
    return _json(oruk.service_json(service))


@require_GET
@reads_from_replica
def oruk_taxonomies(request):
    return _paged(request, oruk.taxonomy_list(), lambda item: item)


@require_GET
@reads_from_replica
def oruk_taxonomy(request, taxonomy_id):
    taxonomy = oruk.taxonomy_detail(taxonomy_id)
    if taxonomy is None:
        return _json({"error": "No taxonomy has this id"}, status=404)
    return _json(taxonomy)


@require_GET
@reads_from_replica
def oruk_taxonomy_terms(request):
    terms = oruk.taxonomy_term_list(taxonomy_id=request.GET.get("taxonomy_id") or None)
    return _paged(request, terms, lambda item: item)


@require_GET
@reads_from_replica
def oruk_taxonomy_term(request, term_id):
    term = oruk.taxonomy_term_detail(term_id)
    if term is None:
        return _json({"error": "No taxonomy term has this id"}, status=404)
    return _json(term)


# Access: a signed-in partner contact, for their own address only.
@require_POST
@partner_required
def digest_choice(request):
    form = DigestChoiceForm(request.POST)
    if form.is_valid():
        receives = form.cleaned_data["receives_digest"] == "yes"
        partner_contact_set_digest(email=request.partner_email, receives=receives)
        messages.success(request, "We will send you the weekly email" if receives
                         else "We will not send you the weekly email")
    else:
        messages.error(request, "Select yes or no for the weekly email")
    return redirect(PARTNER_HOME)


# Access: a signed-in partner contact, for their own organisations only (another's is a 404). Nothing
# changes on the record until the hub approves (partners.services.partner_proposal_approve).
@partner_required
@require_http_methods(["GET", "POST"])
def proposal_new(request, public_id):
    partner = get_object_or_404(Partner, public_id=public_id, pk__in=request.partner_ids, is_active=True)
    # The form works on its own copy: a ModelForm writes the typed values onto its instance.
    form = ProposalForm(_posted(request), instance=Partner.objects.get(pk=partner.pk))
    if request.method == "POST" and form.is_valid():
        contact = contacts_for_email(request.partner_email).filter(partner=partner).first()
        try:
            partner_proposal_create(partner=partner, contact=contact, values=form.values(),
                                    note=form.cleaned_data["note"].strip())
        except PartnerNotEditable:
            raise Http404("Not an active contact of this partner") from None
        messages.success(request, f"Your changes to {partner.name}'s record have been sent to the hub. "
                                  "The record changes when the hub approves them")
        return redirect(PARTNER_HOME)
    return render(request, "partners/propose.html", {"partner": partner, "form": form},
                  status=400 if form.is_bound else 200)
