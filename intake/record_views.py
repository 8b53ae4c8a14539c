"""Hub staff record an inquiry that came by phone, a meeting or an email (issue 10)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from hubportal.permissions import staff_view

from . import services
from .record_forms import OnBehalfForm, step_answers, step_forms


def _errors(forms_):
    """The error summary's rows for several forms on one page: (link target, message)."""
    rows = []
    for form in forms_:
        for field in form:
            for error in field.errors:
                target = field.id_for_label or f"{field.auto_id}_0"
                rows.append((target, error))
    return rows


# Access: members of the hub in the URL (leads and members: recording what came in is daily work).
@staff_view
@require_http_methods(["GET", "POST"])
def inquiry_record(request, membership):
    hub = membership.hub
    data = request.POST if request.method == "POST" else None
    person = OnBehalfForm(data)
    questions = step_forms(data)
    every = [person, *(form for _step, form in questions)]
    if data is not None and all([form.is_valid() for form in every]):
        inquiry = services.inquiry_record_on_behalf(
            hub=hub, by=request.user, email=person.cleaned_data["email"], answers=step_answers(questions),
            source=person.cleaned_data["source"],
            consent_share_with_partners=person.cleaned_data["consent_share_with_partners"] == "yes",
            consent_method=person.cleaned_data["consent_method"])
        messages.success(request, f"Inquiry {inquiry.reference} recorded. {person.cleaned_data['email']} has been "
                                  "sent the acknowledgement and a sign-in link to follow it")
        return redirect("intake:staff_inquiry", hub_slug=hub.slug, reference=inquiry.reference)
    return render(request, "intake/staff/record.html", {
        "hub": hub, "membership": membership, "person": person, "questions": questions,
        "errors": _errors(every) if data is not None else []}, status=400 if data is not None else 200)
