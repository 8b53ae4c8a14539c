"""Lay review pages: hub staff manage their reviewers and ask them; a lay reviewer opens their emailed
link and sees a redacted inquiry, answers, declines or declares a conflict of interest.

Access: staff pages use `staff_view` (password and TOTP, member of the hub in the URL; another hub's
inquiry or reviewer is a 404). Lay reviewer pages need this browser to have used the review's emailed
link (review.permissions); anyone else gets 404. What a reviewer sees is only `review/_redacted.html`.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from hubportal import links
from hubportal.auth import auth_event
from hubportal.models import EmailLink
from hubportal.permissions import staff_view
from intake.access_log import inquiry_access_record
from intake.selectors import inquiry_get_for_staff

from . import emails, selectors, services
from .forms import (
    DeclineForm,
    LayReviewerEditForm,
    LayReviewerForm,
    LayReviewRequestForm,
    lay_review_form_class,
)
from .models import LayReview, LayReviewer
from .permissions import lay_review_grant, lay_reviewer_view


def _case_url(hub, inquiry, anchor="#lay-review"):
    return reverse("intake:staff_inquiry", args=[hub.slug, inquiry.reference]) + anchor


# --- Hub staff: the list of reviewers ---------------------------------------------------------------

# Access: staff of the hub in the URL. GET lists the hub's reviewers; POST adds one.
@staff_view
@require_http_methods(["GET", "POST"])
def reviewers(request, membership):
    hub = membership.hub
    form = LayReviewerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            reviewer = services.lay_reviewer_add(hub=hub, **form.cleaned_data)
        except services.ReviewerExists:
            form.add_error("email", "This hub already has a lay reviewer with this email address")
        else:
            messages.success(request, f"{reviewer.name} added")
            return redirect("review:reviewers", hub_slug=hub.slug)
    return render(request, "review/staff/reviewers.html", {
        "hub": hub, "form": form, "reviewers": selectors.hub_lay_reviewers(hub),
    }, status=400 if form.errors else 200)


# Access: staff of the hub in the URL; another hub's reviewer is a 404.
@staff_view
@require_http_methods(["GET", "POST"])
def reviewer_edit(request, membership, public_id):
    hub = membership.hub
    reviewer = get_object_or_404(LayReviewer, hub=hub, public_id=public_id)
    initial = {"name": reviewer.name, "email": reviewer.email, "is_active": "yes" if reviewer.is_active else "no"}
    form = LayReviewerEditForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.lay_reviewer_update(reviewer=reviewer, **form.cleaned_data)
        except services.ReviewerExists:
            form.add_error("email", "This hub already has a lay reviewer with this email address")
        else:
            messages.success(request, f"{reviewer.name} changed")
            return redirect("review:reviewers", hub_slug=hub.slug)
    return render(request, "review/staff/reviewer_edit.html", {"hub": hub, "reviewer": reviewer, "form": form},
                  status=400 if form.errors else 200)


# --- Hub staff: asking for a review -----------------------------------------------------------------

# Access: staff of the inquiry's hub. GET shows the form; POST emails each chosen reviewer a link. The
# page shows the inquiry's reference and title only (staff write the summary from the case page).
@staff_view
@require_http_methods(["GET", "POST"])
def review_request(request, membership, reference):
    hub = membership.hub
    inquiry = inquiry_get_for_staff(hub=hub, reference=reference)
    active = [r for r in selectors.hub_lay_reviewers(hub) if r.is_active]
    checklists = selectors.hub_lay_review_checklists(hub)
    form = LayReviewRequestForm(request.POST if request.method == "POST" else None, reviewers=active, checklists=checklists)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.lay_review_request(inquiry=inquiry, reviewers=form.chosen_reviewers(),
                                                  checklist=form.chosen_checklist(),
                                                  summary=form.cleaned_data["summary"], by=request.user)
        except services.ReviewRefused as refused:
            form.add_error(None, refused.message)
        else:
            if created:
                messages.success(request, "Emailed a link to " + ", ".join(r.reviewer.name for r in created))
            else:
                messages.info(request, "Nobody new was asked: the reviewers you chose are already reviewing it")
            return redirect(_case_url(hub, inquiry))
    return render(request, "review/staff/request.html", {
        "hub": hub, "inquiry": inquiry, "form": form, "has_reviewers": bool(active),
        "has_checklist": bool(checklists), "case_url": _case_url(hub, inquiry, ""),
    }, status=400 if form.errors else 200)


# Access: staff of the inquiry's hub; the review must be of that inquiry (else 404).
@staff_view
@require_POST
def review_resend(request, membership, reference, public_id):
    hub = membership.hub
    inquiry = inquiry_get_for_staff(hub=hub, reference=reference)
    review = get_object_or_404(LayReview.objects.select_related("reviewer", "inquiry"), inquiry=inquiry,
                               public_id=public_id)
    try:
        services.lay_review_resend(review=review, by=request.user)
    except services.ReviewRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"A new link was emailed to {review.reviewer.name}")
    return redirect(_case_url(hub, inquiry))


# --- The lay reviewer ------------------------------------------------------------------------------

def _start(request, link, review):
    lay_review_grant(request, review=review)
    auth_event("sign_in", actor="lay_reviewer", outcome="success", request=request, email=link.email)
    return redirect("review:review", public_id=review.public_id)


LAY_REVIEW_FLOW = links.register(links.LinkFlow(
    purpose=EmailLink.Purpose.LAY_REVIEW, actor="lay_reviewer", templates="review/link",
    accept=services.lay_review_accept_link, start=_start, send=emails.lay_review_request,
    minutes=lambda: services._link_minutes(),
))

# Access: whoever holds the emailed link to one review request. GET shows a button; the POST uses it.
link = links.confirm_view(LAY_REVIEW_FLOW)


def _closed(review):
    """A request that can no longer be answered: already answered or declined, or the inquiry closed."""
    return not review.is_open or not review.inquiry.is_open


# Access: the lay reviewer this request was sent to, in the browser that used its link (else 404).
# GET shows the redacted inquiry and the questions; POST records the answers.
@never_cache
@require_http_methods(["GET", "POST"])
@lay_reviewer_view
def review(request, review):
    if _closed(review):
        return redirect("review:thanks", public_id=review.public_id)
    criteria = list(review.checklist.criteria.all())
    form = lay_review_form_class(criteria)(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lay_review_answer(review=review, answers=form.answers(), comment=form.cleaned_data["comment"],
                                       minutes_given=form.cleaned_data["minutes_given"])
        except services.ReviewChanged:
            messages.info(request, "You have already answered this review")
        return redirect("review:thanks", public_id=review.public_id)
    inquiry_access_record(request, review.inquiry, "lay review page (redacted: summary and who would benefit)")
    return render(request, "review/review.html", {
        "review": review, "hub": review.inquiry.hub, "form": form,
        "answer_fields": [form[f"answer_{c.pk}"] for c in criteria],
    }, status=400 if form.errors else 200)


# Access: the lay reviewer this request was sent to, in the browser that used its link (else 404).
@never_cache
@require_http_methods(["GET", "POST"])
@lay_reviewer_view
def decline(request, review):
    if _closed(review):
        return redirect("review:thanks", public_id=review.public_id)
    form = DeclineForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lay_review_decline(review=review, conflict=form.cleaned_data["choice"] == "conflict",
                                        reason=form.cleaned_data["reason"])
        except services.ReviewChanged:
            messages.info(request, "You have already answered this review")
        return redirect("review:thanks", public_id=review.public_id)
    return render(request, "review/decline.html", {"review": review, "hub": review.inquiry.hub, "form": form},
                  status=400 if form.errors else 200)


# Access: the lay reviewer this request was sent to, in the browser that used its link (else 404).
@never_cache
@require_http_methods(["GET"])
@lay_reviewer_view
def thanks(request, review):
    return render(request, "review/thanks.html", {"review": review, "hub": review.inquiry.hub})
