"""The submitter's pages: start, the question-per-page journey, check your answers, their inquiries.

Every view says who may use it. A submitter reaches only their own inquiries and attachments:
anything else is a 404, indistinguishable from an inquiry that does not exist.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hubportal.models import Hub
from hubportal.selectors import hub_suggest_for_organisation
from signposting.selectors import instant_signposting

from . import selectors, services
from .forms import AttachmentForm, ConsentForm, HubForm
from .journey import (
    FIRST_STEP,
    STEPS,
    STEPS_BY_SLUG,
    answer_rows,
    first_unanswered_step,
    missing_steps,
    step_after,
    step_before,
)
from .models import Inquiry
from .timeline import timeline_entries


# Access: anyone.
@require_GET
def start(request):
    hubs = Hub.objects.filter(is_active=True).only("name", "triage_target_working_days")
    target = min((hub.triage_target_working_days for hub in hubs), default=5)
    return render(request, "intake/start.html", {"hubs": hubs, "target_days": target})


# Access: a signed-in person; lists only their own inquiries.
@login_required
@require_GET
def inquiry_list(request):
    inquiries = list(selectors.inquiry_list_for_submitter(user=request.user))
    for inquiry in inquiries:
        if inquiry.is_draft:
            # Carry on where they left off: the first question still unanswered, else check your answers.
            step = first_unanswered_step(inquiry)
            inquiry.continue_url = (_step_url(inquiry, step) if step
                                    else reverse("intake:inquiry_check", args=[inquiry.public_id]))
    return render(request, "intake/inquiry_list.html", {
        "drafts": [i for i in inquiries if i.is_draft],
        "sent": [i for i in inquiries if not i.is_draft],
    })


def _step_url(inquiry, step, change=False):
    url = reverse("intake:inquiry_step", args=[inquiry.public_id, step.slug])
    return url + "?change=1" if change else url


def _after_step_url(inquiry, step, change):
    if change:
        return reverse("intake:inquiry_check", args=[inquiry.public_id])
    following = step_after(step)
    if following is None:
        return reverse("intake:inquiry_check", args=[inquiry.public_id])
    return _step_url(inquiry, following)


def _model_answers(form):
    return {name: form.cleaned_data[name] for name in form._meta.fields}


def _render_step(request, step, form, inquiry=None, back_url=None, change=False, status=200, extra=None):
    heading_field = getattr(form, "page_heading_field", None)
    title = form.fields[heading_field].label if heading_field else step.title
    context = {"step": step, "form": form, "inquiry": inquiry, "page_title": title,
               "back_url": back_url, "change": change,
               "progress": (STEPS.index(step) + 1, len(STEPS)), **(extra or {})}
    return render(request, "intake/step.html", context, status=status)


# Access: a signed-in person. The first answer creates their draft (no empty drafts).
@login_required
@require_http_methods(["GET", "POST"])
def inquiry_new(request):
    step = FIRST_STEP
    form = step.form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        inquiry = services.inquiry_start(submitter=request.user, answers=_model_answers(form))
        return redirect(_after_step_url(inquiry, step, change=False))
    return _render_step(request, step, form, back_url=reverse("intake:start"))


def _own_draft(request, public_id):
    inquiry = selectors.inquiry_get_for_submitter(user=request.user, public_id=public_id)
    if not inquiry.is_draft:
        # A sent inquiry is not edited through the journey; show it instead.
        return inquiry, redirect("intake:inquiry_detail", public_id=inquiry.public_id)
    return inquiry, None


def _build_form(step, inquiry, request):
    data = request.POST if request.method == "POST" else None
    if step.form_class is ConsentForm:
        return ConsentForm(data, initial=ConsentForm.initial_for(inquiry))
    if step.form_class is HubForm:
        return HubForm(data, instance=inquiry, suggested_hub=hub_suggest_for_organisation(inquiry.organisation))
    if step.form_class is AttachmentForm:
        return AttachmentForm(data, request.FILES if data is not None else None, inquiry=inquiry)
    return step.form_class(data, instance=inquiry)


# Access: the draft's submitter only (404 for anyone else).
@login_required
@require_http_methods(["GET", "POST"])
def inquiry_step(request, public_id, slug):
    step = STEPS_BY_SLUG.get(slug)
    if step is None:
        raise Http404("No such question")
    inquiry, elsewhere = _own_draft(request, public_id)
    if elsewhere:
        return elsewhere
    change = request.GET.get("change") == "1"
    previous = step_before(step)
    if change:
        back_url = reverse("intake:inquiry_check", args=[inquiry.public_id])
    elif previous:
        back_url = _step_url(inquiry, previous)
    else:
        back_url = reverse("intake:inquiry_list")
    form = _build_form(step, inquiry, request)
    if (request.method == "POST" and step.form_class is AttachmentForm and "continue" in request.POST
            and not request.FILES):
        # Continue with no file chosen: nothing to upload, on to the next page.
        return redirect(_after_step_url(inquiry, step, change))
    if request.method == "POST" and form.is_valid():
        try:
            if step.form_class is AttachmentForm:
                return _attachment_add(request, step, form, inquiry, back_url, change)
            answers = form.answers() if step.form_class is ConsentForm else _model_answers(form)
            services.inquiry_update_draft(inquiry=inquiry, answers=answers)
        except services.InquiryNotEditable:
            messages.info(request, "This inquiry has already been sent, so it can no longer be changed")
            return redirect("intake:inquiry_detail", public_id=inquiry.public_id)
        if "later" in request.POST:
            # "Save and come back later" saves this page first, so nothing typed is lost.
            messages.success(request, "Your answers have been saved. You can come back to this draft at any time")
            return redirect("intake:inquiry_list")
        return redirect(_after_step_url(inquiry, step, change))
    extra = {}
    if step.form_class is AttachmentForm:
        extra = {"attachments": inquiry.attachments.all(),
                 "continue_url": _after_step_url(inquiry, step, change)}
    status = 400 if form.is_bound and form.errors else 200
    return _render_step(request, step, form, inquiry, back_url, change, status=status, extra=extra)


def _attachment_add(request, step, form, inquiry, back_url, change):
    upload = form.cleaned_data["file"]
    try:
        services.attachment_add(inquiry=inquiry, by=request.user, upload=upload)
    except services.AttachmentNotStored:
        # Our fault, not theirs: say so on the same page (the service logged the cause), not a 500.
        form.add_error("file", f"The file {upload.clean_name} could not be saved, so it was not uploaded. "
                               "Try again later")
        extra = {"attachments": inquiry.attachments.all(), "continue_url": _after_step_url(inquiry, step, change)}
        return _render_step(request, step, form, inquiry, back_url, change, status=503, extra=extra)
    messages.success(request, f"{upload.clean_name} uploaded")
    if "continue" in request.POST:
        # A file chosen and then "Continue" is uploaded, not dropped.
        return redirect(_after_step_url(inquiry, step, change))
    return redirect(request.get_full_path())


# Access: the draft's submitter only. POST sends the draft to the hub.
@login_required
@require_http_methods(["GET", "POST"])
def inquiry_check(request, public_id):
    if request.method == "POST":
        return _inquiry_send(request, public_id)
    inquiry, elsewhere = _own_draft(request, public_id)
    if elsewhere:
        return elsewhere
    return _render_check(request, inquiry, missing_steps(inquiry))


def _inquiry_send(request, public_id):
    # The service finds the draft by public_id and submitter under its lock: one read of it in the
    # request, not one here and another there (issue 13: the submit rate). Its answers are the same.
    try:
        services.inquiry_submit(public_id=public_id, by=request.user)
    except Inquiry.DoesNotExist:
        raise Http404("No inquiry of yours has this address") from None
    except services.InquiryIncomplete as incomplete:
        inquiry = selectors.inquiry_get_for_submitter(user=request.user, public_id=public_id)
        return _render_check(request, inquiry, incomplete.steps, status=400)
    except services.InquiryNotEditable:
        return redirect("intake:inquiry_detail", public_id=public_id)
    return redirect("intake:inquiry_submitted", public_id=public_id)


def _render_check(request, inquiry, missing, status=200):
    return render(request, "intake/check.html", {
        "inquiry": inquiry,
        "rows": answer_rows(inquiry),
        "attachments": inquiry.attachments.all(),
        "missing": missing,
        "show_missing": request.method == "POST",
        "back_url": _step_url(inquiry, STEPS_BY_SLUG["attachments"]),
    }, status=status)


# Access: the inquiry's submitter only.
@login_required
@require_GET
def inquiry_submitted(request, public_id):
    inquiry = selectors.inquiry_get_for_submitter(user=request.user, public_id=public_id)
    if inquiry.is_draft:
        return redirect("intake:inquiry_check", public_id=inquiry.public_id)
    return render(request, "intake/submitted.html",
                  {"inquiry": inquiry, "signposting": instant_signposting(inquiry=inquiry)})


# Access: the inquiry's submitter only.
@login_required
@require_GET
def inquiry_detail(request, public_id):
    inquiry = selectors.inquiry_get_for_submitter(user=request.user, public_id=public_id)
    events = selectors.inquiry_timeline(inquiry, for_submitter=True)
    return render(request, "intake/inquiry_detail.html", {
        "inquiry": inquiry,
        "rows": answer_rows(inquiry),
        "attachments": inquiry.attachments.all(),
        "timeline": timeline_entries(events, inquiry=inquiry, reader="submitter", viewer=request.user),
        "open_question": inquiry.information_requests.filter(answered_at__isnull=True).first(),
        "expect_response": selectors.inquiry_expected_response(inquiry),
    })


# Access: the draft's submitter only. GET asks for confirmation; POST deletes.
@login_required
@require_http_methods(["GET", "POST"])
def inquiry_delete(request, public_id):
    inquiry, elsewhere = _own_draft(request, public_id)
    if elsewhere:
        return elsewhere
    if request.method == "POST":
        services.inquiry_delete_draft(inquiry=inquiry, by=request.user)
        messages.success(request, "Your draft has been deleted")
        return redirect("intake:inquiry_list")
    return render(request, "intake/inquiry_delete.html", {"inquiry": inquiry})


# Access: the submitter of the attachment's inquiry only. Always a download, never rendered inline.
@login_required
@require_GET
def attachment_download(request, public_id):
    attachment = selectors.attachment_get_for_submitter(user=request.user, public_id=public_id)
    return attachment_response(attachment)


def attachment_response(attachment):
    """An attachment as a download under its checked type: never shown inline, never cached, and
    sandboxed should a browser render it anyway."""
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# Access: the submitter of a draft only.
@login_required
@require_POST
def attachment_remove(request, public_id):
    attachment = selectors.attachment_get_for_submitter(user=request.user, public_id=public_id)
    inquiry = attachment.inquiry
    try:
        services.attachment_remove(attachment=attachment, by=request.user)
    except services.InquiryNotEditable:
        raise Http404("Attachments of a sent inquiry cannot be removed") from None
    messages.success(request, f"{attachment.original_name} removed")
    return redirect("intake:inquiry_step", public_id=inquiry.public_id, slug="attachments")





# Access: the inquiry's submitter only, while the hub is waiting for their answer.
@login_required
@require_http_methods(["GET", "POST"])
def inquiry_answer(request, public_id):
    from .triage_forms import AnswerInfoForm

    inquiry = selectors.inquiry_get_for_submitter(user=request.user, public_id=public_id)
    question = inquiry.information_requests.filter(answered_at__isnull=True).first()
    if question is None:
        messages.info(request, "There is no question waiting for your answer")
        return redirect("intake:inquiry_detail", public_id=inquiry.public_id)
    posted = request.method == "POST"
    form = AnswerInfoForm(request.POST if posted else None, request.FILES if posted else None, inquiry=inquiry)
    if posted and form.is_valid():
        uploads = form.cleaned_data["files"]
        try:
            services.inquiry_answer_info(inquiry=inquiry, by=request.user, answer=form.cleaned_data["answer"],
                                         uploads=uploads)
        except services.InquiryNotEditable:
            messages.info(request, "This question has already been answered")
        except services.AttachmentNotStored:
            # Nothing was saved (one transaction): the answer stays typed on the page to send again.
            form.add_error("files", "Your files could not be saved, so your answer was not sent. Try again later")
            return render(request, "intake/inquiry_answer.html",
                          {"inquiry": inquiry, "question": question, "form": form}, status=503)
        else:
            sent_files = f" with {len(uploads)} file{'s' if len(uploads) != 1 else ''}" if uploads else ""
            messages.success(request, f"Your answer has been sent to the hub{sent_files}")
        return redirect("intake:inquiry_detail", public_id=inquiry.public_id)
    return render(request, "intake/inquiry_answer.html", {"inquiry": inquiry, "question": question, "form": form},
                  status=400 if form.is_bound else 200)


# Access: the inquiry's submitter only. GET asks for confirmation; POST withdraws consent, which
# closes open referrals and tells those partners (signposting's service does both in one transaction).
@login_required
@require_http_methods(["GET", "POST"])
def inquiry_withdraw_consent(request, public_id):
    from signposting.services import consent_withdraw

    inquiry = selectors.inquiry_get_for_submitter(user=request.user, public_id=public_id)
    if not (inquiry.consent_share_with_partners and inquiry.is_open):
        messages.info(request, "Your inquiry is not being shared with partner organisations")
        return redirect("intake:inquiry_detail", public_id=inquiry.public_id)
    if request.method == "POST":
        consent_withdraw(inquiry=inquiry, by=request.user)
        messages.success(request, "You have withdrawn consent. Partner organisations can no longer see your inquiry")
        return redirect("intake:inquiry_detail", public_id=inquiry.public_id)
    return render(request, "intake/withdraw_consent.html", {"inquiry": inquiry})
