"""Referral pages: hub staff send and re-route referrals; partner contacts open, answer and report them.

Every view states who may use it. Hub staff reach only their hub's inquiries (staff_view, then a
lookup by hub and reference); a partner contact reaches only referrals to their own organisation,
through the emailed link for that referral or by signing in: anything else is a 404.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hubportal.auth import auth_event
from hubportal.permissions import staff_view
from hubportal.services import LinkRefused
from intake.access_log import inquiry_access_record
from partners.models import Partner
from partners.permissions import partner_required
from partners.selectors import partner_choices_for_hub, partner_contact_receives_digest

from . import lifecycle, selectors, services
from .forms import (
    HubReferralFilterForm,
    ReferralDeclineForm,
    ReferralHandBackForm,
    ReferralOutcomeForm,
    ReferralProgressForm,
    ReferralQuestionForm,
    ReferralRerouteForm,
    ReferralSendForm,
)
from .models import Referral
from .permissions import partner_referral_view, referral_grant

PAGE_SIZE = 20


# --- Hub staff -------------------------------------------------------------------------------------

def _inquiry_url(inquiry):
    try:
        return reverse("intake:staff_inquiry", args=[inquiry.hub.slug, inquiry.reference])
    except NoReverseMatch:  # intake's page is not there yet: come back to ours
        return reverse("signposting:referral_send", args=[inquiry.hub.slug, inquiry.reference])


def _names(partners):
    names = [p.name for p in partners]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# Access: staff of the inquiry's hub (signed in with the second factor). Another hub's inquiry, or a
# draft, is a 404. GET shows the triage panel on its own page; POST sends the chosen referrals.
@staff_view
@require_http_methods(["GET", "POST"])
def referral_send(request, membership, reference):
    inquiry = selectors.staff_inquiry_get(membership=membership, reference=reference)
    panel = selectors.triage_panel(inquiry=inquiry, membership=membership)
    status = 200
    if request.method == "POST":
        if not panel.can_refer:
            messages.error(request, panel.refusal)
            return redirect(_inquiry_url(inquiry))
        form = ReferralSendForm(request.POST, prefix=selectors.SEND_FORM_PREFIX, suggestions=panel.suggestions,
                                other_partners=partner_choices_for_hub(inquiry.hub))
        if form.is_valid():
            chosen = form.cleaned_data["chosen"]
            partners = sorted(Partner.objects.filter(public_id__in=chosen), key=lambda p: chosen.index(str(p.public_id)))
            reasons = {s.match.partner_id: s.match.reasons for s in panel.suggestions}
            try:
                services.referral_send_many(inquiry=inquiry, partners=partners, by=request.user,
                                            message=form.cleaned_data["message"], reasons=reasons)
            except services.ReferralRefused as refused:
                form.add_error(None, f"Nothing was sent. {refused.message}")
            else:
                messages.success(request, f"Referral sent to {_names(partners)}")
                return redirect(_inquiry_url(inquiry))
        panel.form = form
        status = 400
    return render(request, "signposting/staff_referrals.html",
                  {"inquiry": inquiry, "membership": membership, "panel": panel, "form": panel.form,
                   "inquiry_url": _inquiry_url(inquiry)}, status=status)


# Access: staff of the inquiry's hub; the referral must be of that inquiry (else 404).
@staff_view
@require_http_methods(["GET", "POST"])
def referral_reroute(request, membership, reference, public_id):
    inquiry = selectors.staff_inquiry_get(membership=membership, reference=reference)
    referral = selectors.staff_referral_get(inquiry=inquiry, public_id=public_id)
    back = _inquiry_url(inquiry)
    if referral.status not in Referral.REROUTABLE_STATUSES or hasattr(referral, "rerouted_to"):
        messages.error(request, "Only a declined or handed-back referral that has not been re-routed can be "
                                "re-routed")
        return redirect(back)
    suggested, others = selectors.reroute_choices(referral=referral)
    form = ReferralRerouteForm(request.POST or None, suggestions=suggested, other_partners=others)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            partner = Partner.objects.get(public_id=form.cleaned_data["chosen"])
            try:
                services.referral_reroute(referral=referral, partner=partner, by=request.user,
                                          message=form.cleaned_data["message"])
            except services.ReferralRefused as refused:
                form.add_error(None, f"Nothing was sent. {refused.message}")
            else:
                messages.success(request, f"Referral sent to {partner.name} instead of {referral.partner.name}")
                return redirect(back)
    return render(request, "signposting/staff_reroute.html",
                  {"inquiry": inquiry, "referral": referral, "form": form, "suggested": suggested,
                   "inquiry_url": back}, status=status)


# Access: staff of the inquiry's hub; closes an open referral of that inquiry (else 404).
@staff_view
@require_POST
def referral_close(request, membership, reference, public_id):
    inquiry = selectors.staff_inquiry_get(membership=membership, reference=reference)
    referral = selectors.staff_referral_get(inquiry=inquiry, public_id=public_id)
    try:
        services.referral_close_by_hub(referral=referral, by=request.user)
    except (services.ReferralTransitionNotAllowed, services.ReferralChanged):
        messages.error(request, f"The referral to {referral.partner.name} is no longer open")
    else:
        messages.success(request, f"Referral to {referral.partner.name} closed")
    return redirect(_inquiry_url(inquiry))


# Access: staff of the hub in the URL; lists only that hub's referrals.
@staff_view
@require_GET
def hub_referrals(request, membership):
    form = HubReferralFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = Paginator(selectors.hub_referrals(hub=membership.hub, status=status), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "signposting/hub_referrals.html",
                  {"membership": membership, "page": page, "filter_form": form, "status": status})


# --- Partner contacts ------------------------------------------------------------------------------

def _refused(request, referral_public_id, token, reason):
    auth_event("link_refused", actor="referral_link", outcome=reason, request=request)
    return render(request, "signposting/partner/referral_link_refused.html",
                  {"reason": reason, "renew_url": reverse("signposting:referral_link_renew",
                                                          args=[referral_public_id, token])
                   if reason in ("expired", "used") else ""},
                  status=404 if reason == "unknown" else 410)


# Access: whoever holds the emailed link for this referral and contact. GET shows a button only (mail
# scanners follow links); the POST uses the link once and lets this browser see the referral.
@never_cache
@require_http_methods(["GET", "POST"])
def referral_link(request, public_id, token):
    try:
        if request.method == "POST":
            next_path = services.referral_link_next_path(raw_token=token)
            referral, contact = services.referral_link_redeem(raw_token=token, referral_public_id=public_id)
        else:
            referral, contact = services.referral_link_inspect(raw_token=token, referral_public_id=public_id)
    except LinkRefused as refused:
        return _refused(request, public_id, token, refused.reason)
    if request.method == "GET":
        return render(request, "signposting/partner/referral_link_confirm.html",
                      {"referral": referral, "contact": contact})
    referral_grant(request, referral=referral, contact=contact)
    auth_event("link_redeemed", actor="referral_link", outcome="success", request=request, email=contact.email,
               referral=str(referral.public_id))
    # A progress request's link opens the progress page of this referral (only ever one of ours).
    if next_path and next_path == services.progress_path(referral):
        return redirect(next_path)
    return redirect("signposting:partner_referral", public_id=referral.public_id)


# Access: whoever holds an expired or used link for this referral. The new link goes to the address the
# old one was sent to, never to one typed here; the page says the same whatever happened.
@never_cache
@require_POST
def referral_link_renew(request, public_id, token):
    services.referral_link_renew(raw_token=token, referral_public_id=public_id)
    return render(request, "signposting/partner/referral_link_renewed.html")


# Access: a contact of the referral's partner (its link, or signed in); another organisation's: 404.
@never_cache
@require_GET
@partner_referral_view
def partner_referral(request, referral, contact):
    if referral.is_open:
        services.referral_view(referral=referral, contact=contact)
    inquiry_access_record(request, referral.inquiry, f"referral to {referral.partner.name}")
    # What the partner may do comes from the lifecycle; the template only shows it.
    return render(request, "signposting/partner/referral_detail.html",
                  {"referral": referral, "contact": contact, "inquiry": referral.inquiry,
                   "actions": lifecycle.referral_partner_actions(referral),
                   "closed_notice": lifecycle.inquiry_closed_notice(referral.inquiry),
                   "questions": list(referral.questions.all()),
                   "signed_in": request.referral_actor.signed_in})


def _answered(request, referral):
    referral.inquiry.refresh_from_db()
    notice = lifecycle.inquiry_closed_notice(referral.inquiry)
    messages.error(request, notice or f"This referral is {referral.get_status_display().lower()}: it cannot "
                                      f"be changed now. Someone else may have answered it first.")
    return redirect("signposting:partner_referral", public_id=referral.public_id)


# Access: a contact of the referral's partner; another organisation's: 404.
@never_cache
@require_POST
@partner_referral_view
def referral_accept(request, referral, contact):
    try:
        services.referral_accept(referral=referral, contact=contact)
    except (services.ReferralTransitionNotAllowed, services.ReferralChanged):
        referral.refresh_from_db()
        return _answered(request, referral)
    messages.success(request, f"You accepted the referral. We have told {referral.inquiry.hub.name} and the "
                              f"person who made the inquiry")
    return redirect("signposting:partner_referral", public_id=referral.public_id)


def _form_page(request, referral, contact, *, form_class, template, action, act, success):
    if action not in lifecycle.referral_partner_actions(referral):
        return _answered(request, referral)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            act(form.cleaned_data)
        except (services.ReferralTransitionNotAllowed, services.ReferralChanged):
            referral.refresh_from_db()
            return _answered(request, referral)
        messages.success(request, success)
        return redirect("signposting:partner_referral", public_id=referral.public_id)
    return render(request, template, {"referral": referral, "contact": contact, "form": form},
                  status=400 if form.errors else 200)


# Access: a contact of the referral's partner; another organisation's: 404.
@never_cache
@require_http_methods(["GET", "POST"])
@partner_referral_view
def referral_decline(request, referral, contact):
    if referral.status == Referral.Status.SENT:
        services.referral_view(referral=referral, contact=contact)
    return _form_page(
        request, referral, contact, form_class=ReferralDeclineForm, template="signposting/partner/referral_decline.html",
        action="decline",
        act=lambda data: services.referral_decline(referral=referral, contact=contact, reason=data["reason"],
                                                   details=data["details"]),
        success="You declined the referral. We have told the hub, who may ask another partner")


# Access: a contact of the referral's partner; another organisation's: 404.
@never_cache
@require_http_methods(["GET", "POST"])
@partner_referral_view
def referral_outcome(request, referral, contact):
    return _form_page(
        request, referral, contact, form_class=ReferralOutcomeForm, template="signposting/partner/referral_outcome.html",
        action="record_outcome",
        act=lambda data: services.referral_complete(referral=referral, contact=contact, outcome=data["outcome"],
                                                    details=data["details"]),
        success="Thank you. You recorded the outcome and we have told the hub")


# Access: a contact of the referral's partner, while it is accepted; another organisation's: 404.
@never_cache
@require_http_methods(["GET", "POST"])
@partner_referral_view
def referral_hand_back(request, referral, contact):
    return _form_page(
        request, referral, contact, form_class=ReferralHandBackForm,
        template="signposting/partner/referral_hand_back.html", action="hand_back",
        act=lambda data: services.referral_hand_back(referral=referral, contact=contact, reason=data["reason"],
                                                     details=data["details"]),
        success="You handed the referral back. We have told the hub, who may ask another partner")


# Access: a contact of the referral's partner, while it is accepted; another organisation's: 404. The one
# page a progress request's email leads to.
@never_cache
@require_http_methods(["GET", "POST"])
@partner_referral_view
def referral_progress(request, referral, contact):
    return _form_page(
        request, referral, contact, form_class=ReferralProgressForm,
        template="signposting/partner/referral_progress.html", action="progress",
        act=lambda data: services.referral_progress_record(
            referral=referral, contact=contact, note=data["note"], milestone_reached=data["milestone_reached"],
            expected_outcome_on=data["expected_outcome_on"], in_kind_hours=data["in_kind_hours"],
            in_kind_value=data["in_kind_value"], in_kind_description=data["in_kind_description"]),
        success="Thank you. The hub has your progress update")


# Access: a contact of the referral's partner, while the referral is open; another organisation's: 404.
@never_cache
@require_http_methods(["GET", "POST"])
@partner_referral_view
def referral_question(request, referral, contact):
    if "ask" not in lifecycle.referral_partner_actions(referral):
        return _answered(request, referral)
    form = ReferralQuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_ask(referral=referral, contact=contact, question=form.cleaned_data["question"])
        except (services.ReferralTransitionNotAllowed, services.ReferralChanged):
            referral.refresh_from_db()
            return _answered(request, referral)
        messages.success(request, f"Your question was sent to {referral.inquiry.hub.name}. They will reply to "
                                  f"{contact.email}")
        return redirect("signposting:partner_referral", public_id=referral.public_id)
    return render(request, "signposting/partner/referral_question.html",
                  {"referral": referral, "contact": contact, "form": form}, status=400 if form.errors else 200)


# Access: a signed-in partner contact; lists only referrals to their own organisation(s).
@never_cache
@require_GET
@partner_required
def partner_home(request):
    page = Paginator(selectors.referrals_for_partners(partner_ids=request.partner_ids), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "signposting/partner/home.html",
                  {"page": page, "email": request.partner_email,
                   "organisations": selectors.partner_names(request.partner_ids),
                   "organisation_records": selectors.partner_records(request.partner_ids),
                   "receives_digest": partner_contact_receives_digest(request.partner_email)})
