"""Adoption pages: the stage board, a case (gates, milestones, sponsor, benefits), the hub's adoption
settings, the sponsor's actuals page (emailed link) and the submitter's end-of-support survey.

Every view states who may use it. Hub staff reach only their hub's cases (staff_view, then a lookup by
hub and reference: another hub's is a 404); the settings are for the hub's leads; the sponsor reaches
one follow-up through its emailed link; the survey is its submitter's only.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hubportal import links
from hubportal.models import EmailLink
from hubportal.permissions import hub_lead_view, staff_view
from hubportal.services import LinkRefused
from intake.access_log import inquiry_access_record
from intake.selectors import inquiry_get_for_submitter

from . import selectors, services
from .forms import (
    AdoptionSettingsForm,
    BenefitLineForm,
    BoardFilterForm,
    MilestoneForm,
    SponsorForm,
    SurveyForm,
    VersionedCaseForm,
    actuals_form_class,
    gate_form_class,
)
from .models import BenefitFollowUp, Case, Milestone, Survey
from .permissions import follow_up_grant, follow_up_granted

CHANGED_MESSAGE = "Someone else decided on this case while you were looking at it. Check it and try again"


def _case_url(case):
    return reverse("adoption:case", args=[case.hub.slug, case.inquiry.reference])


# --- The sponsor's emailed link (hubportal.links: one flow per purpose) ------------------------------

def _sponsor_accept(link):
    follow_up = BenefitFollowUp.objects.filter(public_id=link.subject_ref).first()
    if follow_up is None:
        raise LinkRefused("unknown")
    return follow_up


def _sponsor_start(request, link, follow_up):
    follow_up_grant(request, follow_up=follow_up, email=link.email)
    return redirect("adoption:benefit_actuals", public_id=follow_up.public_id)


SPONSOR_FLOW = links.register(links.LinkFlow(
    purpose=EmailLink.Purpose.BENEFIT_ACTUALS, actor="sponsor", templates="adoption/benefit_link",
    accept=_sponsor_accept, start=_sponsor_start,
    # Links are sent by the follow-up reminders (services.benefit_follow_up_request), never asked for.
    send=lambda **kwargs: None,
    minutes=lambda: services.BENEFIT_LINK_DAYS * 24 * 60,
))

# Access: whoever holds the emailed link. GET shows a button (mail scanners follow links); POST uses it.
benefit_link = links.confirm_view(SPONSOR_FLOW)


# Access: the browser that used this follow-up's emailed link (8 hours); anyone else: 404.
@never_cache
@require_http_methods(["GET", "POST"])
def benefit_actuals(request, public_id):
    follow_up, email = follow_up_granted(request, public_id)
    return _actuals_page(request, follow_up, by=None, by_email=email, template="adoption/benefit_actuals.html",
                         done=lambda: render(request, "adoption/benefit_actuals_done.html", {"follow_up": follow_up}))


def _actuals_page(request, follow_up, *, by, by_email, template, done, extra=None):
    lines = list(follow_up.case.benefit_lines.all())
    existing = {a.line_id: a for a in follow_up.actuals.all()}
    initial = {}
    for line_id, actual in existing.items():
        initial[f"value_{line_id}"] = actual.value
        initial[f"note_{line_id}"] = actual.note
    form = actuals_form_class(lines)(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and lines:
        services.benefit_actuals_record(follow_up=follow_up, values=form.values(), by=by, by_email=by_email)
        return done()
    return render(request, template, {"follow_up": follow_up, "case": follow_up.case, "form": form, "lines": lines,
                                      **(extra or {})}, status=400 if form.errors else 200)


# --- Hub staff ---------------------------------------------------------------------------------------

def _page_number(request, filters):
    """Pages only for a board filtered to one stage (the "show more" link); otherwise the first cards."""
    try:
        return max(1, int(request.GET.get("page", 1))) if filters.get("stage") else 1
    except ValueError:
        return 1


# Access: staff of the hub in the URL.
@staff_view
@require_GET
def board(request, membership):
    hub = membership.hub
    services.hub_stages(hub)
    form = BoardFilterForm(request.GET or None, hub=hub)
    filters = form.filters()
    return render(request, "adoption/board.html", {
        "hub": hub, "membership": membership, "form": form, "filters": filters,
        "columns": selectors.stage_board(hub=hub, filters=filters, page=_page_number(request, filters)),
    })


def _case_context(membership, case, **extra):
    return {"hub": membership.hub, "membership": membership, "case": case, "inquiry": case.inquiry,
            "available": services.case_available_decisions(case), "today": timezone.localdate(),
            "version_form": VersionedCaseForm(initial={"version": case.version}),
            **selectors.case_detail(case), **extra}


# Access: staff of the case's hub; another hub's case (or an inquiry never in support) is a 404.
@staff_view
@require_GET
def case(request, membership, reference):
    case = selectors.case_get_for_staff(hub=membership.hub, reference=reference)
    inquiry_access_record(request, case.inquiry, "adoption case")  # shows the sponsor, often the submitter
    return render(request, "adoption/case.html", _case_context(membership, case))


# Access: staff of the case's hub. GET shows the decision's form; POST decides.
@staff_view
@require_http_methods(["GET", "POST"])
def case_decide(request, membership, reference, decision):
    case = selectors.case_get_for_staff(hub=membership.hub, reference=reference)
    if decision not in Case.Decision.values:
        raise Http404("No such decision")
    if decision not in services.case_available_decisions(case):
        messages.error(request, f"This cannot be done now: the case is {case.get_status_display().lower()}")
        return redirect(_case_url(case))
    criteria = services.gate_criteria(case, decision)
    form_class = gate_form_class(decision=decision, criteria=criteria)
    form = form_class(request.POST or None, initial={"version": case.version})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.case_decide(case=case, by=request.user, decision=decision, rationale=data["rationale"],
                                 version=data["version"], review_on=data.get("review_on"),
                                 barrier=data.get("barrier", ""), outcome=data.get("outcome", ""),
                                 answers=form.answers(), summary=data.get("summary", ""))
        except services.CaseChanged:
            messages.error(request, CHANGED_MESSAGE)
        except (services.DecisionNotAllowed, services.InvalidDecision) as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, f"Decision recorded: {Case.Decision(decision).label}")
        return redirect(_case_url(case))
    return render(request, "adoption/decide.html", {
        "hub": membership.hub, "case": case, "inquiry": case.inquiry, "form": form,
        "heading": Case.Decision(decision).label,
        "criteria_fields": [(c, form[f"answer_{c.pk}"], form[f"comment_{c.pk}"]) for c in criteria],
    }, status=400 if form.is_bound else 200)


# Access: staff of the case's hub.
@staff_view
@require_http_methods(["GET", "POST"])
def case_sponsor(request, membership, reference):
    case = selectors.case_get_for_staff(hub=membership.hub, reference=reference)
    inquiry_access_record(request, case.inquiry, "case sponsor")  # the sponsor's name and address
    form = SponsorForm(request.POST or None, initial={"sponsor_name": case.sponsor_name,
                                                      "sponsor_email": case.sponsor_email})
    if request.method == "POST" and form.is_valid():
        services.case_set_sponsor(case=case, by=request.user, name=form.cleaned_data["sponsor_name"],
                                  email=form.cleaned_data["sponsor_email"])
        messages.success(request, "Sponsor saved")
        return redirect(_case_url(case))
    return render(request, "adoption/form_page.html", {
        "hub": membership.hub, "case": case, "form": form, "heading": "Sponsor", "button": "Save sponsor"},
        status=400 if form.is_bound else 200)


# Access: staff of the case's hub, while the case is open.
@staff_view
@require_http_methods(["GET", "POST"])
def milestone_add(request, membership, reference):
    case = selectors.case_get_for_staff(hub=membership.hub, reference=reference)
    if not case.is_open:
        messages.error(request, "Milestones can be added only to an open case")
        return redirect(_case_url(case))
    form = MilestoneForm(request.POST or None, hub=membership.hub)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.milestone_add(case=case, by=request.user, title=data["title"], owner_name=data["owner_name"],
                               owner_user=data["owner_user"], due_on=data["due_on"])
        messages.success(request, f"Milestone added: {data['title']}")
        return redirect(_case_url(case) + "#milestones")
    return render(request, "adoption/form_page.html", {
        "hub": membership.hub, "case": case, "form": form, "heading": f"Add a milestone in {case.stage.name}",
        "button": "Add milestone"}, status=400 if form.is_bound else 200)


# Access: staff of the case's hub; the milestone must be of that case (else 404).
@staff_view
@require_POST
def milestone_done(request, membership, reference, public_id):
    case = selectors.case_get_for_staff(hub=membership.hub, reference=reference)
    milestone = get_object_or_404(Milestone, case=case, public_id=public_id)
    services.milestone_complete(milestone=milestone, by=request.user)
    messages.success(request, f"Milestone reached: {milestone.title}")
    return redirect(_case_url(case) + "#milestones")


# Access: staff of the case's hub.
@staff_view
@require_http_methods(["GET", "POST"])
def benefit_add(request, membership, reference):
    case = selectors.case_get_for_staff(hub=membership.hub, reference=reference)
    form = BenefitLineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.benefit_line_add(case=case, by=request.user, measure=data["measure"], unit=data["unit"],
                                  baseline=data["baseline"], target=data["target"])
        messages.success(request, f"Benefit line added: {data['measure']}")
        return redirect(_case_url(case) + "#benefits")
    return render(request, "adoption/form_page.html", {
        "hub": membership.hub, "case": case, "form": form, "heading": "Add a benefit line",
        "button": "Add benefit line"}, status=400 if form.is_bound else 200)


# Access: staff of the case's hub; the follow-up must be of that case (else 404). Staff enter actuals.
@staff_view
@require_http_methods(["GET", "POST"])
def follow_up_actuals(request, membership, reference, public_id):
    case = selectors.case_get_for_staff(hub=membership.hub, reference=reference)
    follow_up = get_object_or_404(BenefitFollowUp.objects.select_related("case__inquiry", "case__hub"),
                                  case=case, public_id=public_id)

    def done():
        messages.success(request, f"{follow_up.months}-month actuals saved")
        return redirect(_case_url(case) + "#benefits")

    return _actuals_page(request, follow_up, by=request.user, by_email="", template="adoption/staff_actuals.html",
                         done=done, extra={"hub": membership.hub})


# Access: leads of the hub in the URL (members get 404).
@hub_lead_view
@require_http_methods(["GET", "POST"])
def adoption_settings(request, membership):
    hub = membership.hub
    row = services.adoption_settings_for(hub)
    initial = {"follow_up_months": ", ".join(str(m) for m in row.follow_up_months),
               "benefit_reminder_working_days": row.benefit_reminder_working_days,
               "survey_reminder_working_days": row.survey_reminder_working_days,
               "milestone_overdue_working_days": row.milestone_overdue_working_days,
               "partner_progress_interval_days": hub.partner_progress_interval_days,
               "partner_progress_chase_working_days": hub.partner_progress_chase_working_days,
               "partner_progress_escalation_working_days": hub.partner_progress_escalation_working_days}
    form = AdoptionSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.adoption_settings_update(hub=hub, by=request.user, **form.cleaned_data)
        messages.success(request, "Settings saved. They apply to follow-ups and requests planned from now on")
        return redirect("adoption:settings", hub_slug=hub.slug)
    return render(request, "adoption/settings.html", {"hub": hub, "membership": membership, "form": form},
                  status=400 if form.is_bound else 200)


# --- The submitter's survey ----------------------------------------------------------------------------

# Access: the inquiry's submitter only (404 for anyone else, or when no survey was sent).
@login_required
@require_http_methods(["GET", "POST"])
def survey(request, public_id):
    inquiry = inquiry_get_for_submitter(user=request.user, public_id=public_id)
    survey = Survey.objects.select_related("case__inquiry", "hub").filter(case__inquiry=inquiry).first()
    if survey is None:
        raise Http404("No survey")
    if survey.answered_at:
        return render(request, "adoption/survey_done.html", {"survey": survey, "inquiry": inquiry})
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_answer(survey=survey, by=request.user, **form.cleaned_data)
        except services.SurveyAlreadyAnswered:
            pass
        survey.refresh_from_db()
        return render(request, "adoption/survey_done.html", {"survey": survey, "inquiry": inquiry})
    return render(request, "adoption/survey.html", {"survey": survey, "inquiry": inquiry, "form": form},
                  status=400 if form.errors else 200)

