"""Partner contacts' sign-in by emailed link, and the Open Referral UK JSON export of the directory.

The partner contact's referral pages are signposting's (they show referrals); they use
partners.permissions.partner_required, which relies on the session these views start.
"""

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hubportal.models import EmailLink
from hubportal.services import LinkRefused, RateLimited, email_link_inspect
from hubportal.views import client_ip, safe_next_path

from . import oruk
from .forms import DigestChoiceForm, PartnerSignInForm
from .models import Partner, PartnerService
from .permissions import partner_required
from .selectors import partner_session_end, partner_session_start
from .services import (
    partner_contact_set_digest,
    partner_sign_in_link_redeem,
    partner_sign_in_link_request,
)

# Where a partner contact lands after signing in (signposting's list of their referrals). A URL name,
# not an import: partners never imports signposting.
PARTNER_HOME = "signposting:partner_home"


# Access: anyone. The answer is the same whether or not the address belongs to a partner contact.
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request):
    next_path = safe_next_path(request, request.POST.get("next") or request.GET.get("next"))
    form = PartnerSignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partner_sign_in_link_request(email=form.cleaned_data["email"], next_path=next_path,
                                         ip=client_ip(request))
        except RateLimited:
            return render(request, "partners/sign_in_rate_limited.html", status=429)
        request.session["partner_sign_in_email"] = form.cleaned_data["email"]
        return redirect("partners:sign_in_sent")
    return render(request, "partners/sign_in.html", {"form": form, "next": next_path},
                  status=400 if form.errors else 200)


# Access: anyone. Shows only the address this browser typed.
@never_cache
@require_GET
def sign_in_sent(request):
    email = request.session.get("partner_sign_in_email")
    if not email:
        return redirect("partners:sign_in")
    return render(request, "partners/sign_in_sent.html",
                  {"email": email, "minutes": settings.SIGN_IN_LINK_MINUTES})


# Access: whoever holds the emailed link. GET only shows a button (mail scanners follow links);
# the POST uses the link and starts the partner session.
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_confirm(request, token):
    try:
        if request.method == "POST":
            link = partner_sign_in_link_redeem(raw_token=token)
        else:
            link = email_link_inspect(raw_token=token, purpose=EmailLink.Purpose.PARTNER_SIGN_IN)
    except LinkRefused as refused:
        return render(request, "partners/sign_in_link_refused.html",
                      {"reason": refused.reason, "form": PartnerSignInForm()},
                      status=404 if refused.reason == "unknown" else 410)
    if request.method == "GET":
        return render(request, "partners/sign_in_confirm.html", {"email": link.email})
    partner_session_start(request, email=link.email)
    request.session.pop("partner_sign_in_email", None)
    return redirect(safe_next_path(request, link.next_path) or resolve_url(PARTNER_HOME))


# Access: anyone (ends only this browser's partner session).
@require_POST
def sign_out(request):
    partner_session_end(request)
    request.session.pop("referral_grants", None)
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
def oruk_index(request):
    return _json(oruk.api_info())


@require_GET
def oruk_organizations(request):
    return _paged(request, oruk.organizations_queryset(), oruk.organization_json)


@require_GET
def oruk_organization(request, public_id):
    try:
        return _json(oruk.organization_detail(public_id))
    except Partner.DoesNotExist:
        return _json({"error": "No organization has this id"}, status=404)


@require_GET
def oruk_services(request):
    try:
        services = oruk.services_queryset(request.GET)
    except oruk.BadParameter as bad:
        return _json({"error": str(bad)}, status=400)
    return _paged(request, services, oruk.service_json)


@require_GET
def oruk_service(request, public_id):
    service = (PartnerService.objects.select_related("partner").prefetch_related("partner__hubs")
               .filter(public_id=public_id).first())
    if service is None:
        return _json({"error": "No service has this id"}, status=404)
    return _json(oruk.service_json(service))


@require_GET
def oruk_taxonomies(request):
    return _paged(request, oruk.taxonomy_list(), lambda item: item)


@require_GET
def oruk_taxonomy(request, taxonomy_id):
    taxonomy = oruk.taxonomy_detail(taxonomy_id)
    if taxonomy is None:
        return _json({"error": "No taxonomy has this id"}, status=404)
    return _json(taxonomy)


@require_GET
def oruk_taxonomy_terms(request):
    terms = oruk.taxonomy_term_list(taxonomy_id=request.GET.get("taxonomy_id") or None)
    return _paged(request, terms, lambda item: item)


@require_GET
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
