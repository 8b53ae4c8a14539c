"""The value report's pages: one hub's (page, printable by its print CSS, CSV, PDF, and the lead's narrative)
and a network lead's (their hubs summed and side by side; no inquiry, no person).

Access: the hub's report needs `staff_view` (members of the hub; the narrative only its leads, others
404); the network report needs `network_lead_view` (anyone else 404, unverified: staff sign-in).
"""

from __future__ import annotations

import csv
import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from hubportal.db_router import reads_from_replica
from hubportal.permissions import hub_lead_view, network_lead_view, staff_view
from intake.metrics_views import MetricsPeriodForm, horizontal_chart
from intake.staff_views import csv_safe

from .models import ValueReportNarrative
from .report import (
    ValueReport,
    default_period,
    value_report,
    value_report_figures,
    value_report_rows,
)
from .services import value_report_narrative_save


class NarrativeForm(forms.Form):
    date_from = forms.DateField(widget=forms.HiddenInput)
    date_to = forms.DateField(widget=forms.HiddenInput)
    text = forms.CharField(
        label="What the board should know about this period", max_length=5000, required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Saved with this period's report and printed with it. Do not name patients or submitters.",
        error_messages={"max_length": "The narrative must be 5,000 characters or fewer"})

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_to"] < cleaned["date_from"]:
            raise forms.ValidationError("The period ends before it starts")
        return cleaned


def _period(request) -> tuple[MetricsPeriodForm, dt.date, dt.date]:
    """The period asked for (?from=&to=, London dates inclusive); the last twelve months by default, and
    for whichever end is missing or wrong (the form shows the error)."""
    form = MetricsPeriodForm(request.GET or None)
    date_from, date_to = form.period()
    default_from, default_to = default_period()
    date_to = date_to or default_to
    return form, date_from or min(default_from, date_to), date_to


def _query(date_from: dt.date, date_to: dt.date) -> str:
    return f"from={date_from.isoformat()}&to={date_to.isoformat()}"


def _report(request, hubs, date_from: dt.date, date_to: dt.date, title: str = "") -> ValueReport:
    """The report from figures at most VALUE_REPORT_MAX_AGE_MINUTES old (report.as_at says when they were
    worked out), or worked out now when the person asks (?fresh=1)."""
    figures = value_report_figures(hubs=hubs, date_from=date_from, date_to=date_to,
                                   fresh=request.GET.get("fresh") == "1")
    return value_report(hubs=hubs, date_from=date_from, date_to=date_to, title=title, figures=figures)


def _with_charts(report: ValueReport) -> list[dict]:
    """Each section with its SVG chart (when it has one and figures to draw); ids unique across hubs."""
    out = []
    for part in [report.total]:
        for section in part.sections:
            chart = None
            if section.chart is not None and section.rows:
                chart = horizontal_chart(section.chart)
                chart["id"] = f"chart-{part.code.lower()}-{section.key}"
            out.append({"section": section, "chart": chart})
    return out


def _context(report: ValueReport, **extra) -> dict:
    return {"report": report, "sections": _with_charts(report),
            "max_age_minutes": settings.VALUE_REPORT_MAX_AGE_MINUTES, **extra}


def _filename(report: ValueReport, code: str, ext: str) -> str:
    return f"{code}-value-report-{report.date_from.isoformat()}-to-{report.date_to.isoformat()}.{ext}"


def value_report_csv_write(report: ValueReport, out) -> None:
    """Every figure as CSV (hub, section, row, column, value) to `out`: the download and the command."""
    writer = csv.writer(out)
    writer.writerow(["hub", "section", "row", "column", "value"])
    for code, section, label, column, value in value_report_rows(report):
        # Partner names and benefit measures are typed by people: neutralise what a spreadsheet would run.
        writer.writerow([code, section, csv_safe(label), column, "" if value is None else value])


def _csv(report: ValueReport, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    value_report_csv_write(report, response)
    return response


def _pdf(report: ValueReport, filename: str, **extra) -> HttpResponse:
    from .report_pdf import value_report_pdf

    response = HttpResponse(value_report_pdf(report, **extra), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _bad_period(form) -> HttpResponse | None:
    if form.is_bound and not form.is_valid():
        # A download must never quietly differ from what was asked for.
        errors = "; ".join(e for field_errors in form.errors.values() for e in field_errors)
        return HttpResponse(f"{errors}\n", status=400, content_type="text/plain; charset=utf-8")
    return None


# --- One hub ---------------------------------------------------------------------------------------

@staff_view
@require_GET
@reads_from_replica
def hub_value_report(request, membership):
    hub = membership.hub
    form, date_from, date_to = _period(request)
    report = _report(request, [hub], date_from, date_to)
    narrative = report.total.narrative
    narrative_form = None
    if membership.role == membership.Role.LEAD:
        narrative_form = NarrativeForm(initial={"date_from": date_from, "date_to": date_to,
                                                "text": narrative.text if narrative else ""})
    return render(request, "adoption/value_report.html", _context(
        report, hub=hub, membership=membership, form=form, narrative=narrative, narrative_form=narrative_form,
        query=_query(date_from, date_to),
        csv_url=reverse("adoption:value_report_csv", args=[hub.slug]),
        pdf_url=reverse("adoption:value_report_pdf", args=[hub.slug])))


@staff_view
@require_GET
@reads_from_replica
def hub_value_report_csv(request, membership):
    form, date_from, date_to = _period(request)
    if bad := _bad_period(form):
        return bad
    hub = membership.hub
    report = _report(request, [hub], date_from, date_to)
    return _csv(report, _filename(report, hub.code, "csv"))


@staff_view
@require_GET
@reads_from_replica
def hub_value_report_pdf(request, membership):
    form, date_from, date_to = _period(request)
    if bad := _bad_period(form):
        return bad
    hub = membership.hub
    report = _report(request, [hub], date_from, date_to)
    return _pdf(report, _filename(report, hub.code, "pdf"), narrative=report.total.narrative)


@hub_lead_view
@require_POST
def hub_value_report_narrative(request, membership):
    hub = membership.hub
    form = NarrativeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect(reverse("adoption:value_report", args=[hub.slug]))
    data = form.cleaned_data
    publish = request.POST.get("action") == "publish"
    narrative = value_report_narrative_save(hub=hub, date_from=data["date_from"], date_to=data["date_to"],
                                            text=data["text"], by=request.user, publish=publish)
    messages.success(request, "The report is published" if publish and narrative.is_published
                     else "The narrative is saved")
    return redirect(reverse("adoption:value_report", args=[hub.slug]) + "?" + _query(data["date_from"],
                                                                                      data["date_to"]))


# --- A network lead's hubs ---------------------------------------------------------------------------

def _network_report(request, network_lead):
    form, date_from, date_to = _period(request)
    hubs = sorted(network_lead.hubs.all(), key=lambda h: h.name)
    report = _report(request, hubs, date_from, date_to, title=network_lead.network_name)
    return form, report


def _published(report: ValueReport) -> list[ValueReportNarrative]:
    """The hubs' narratives a network lead may read: those their leads published."""
    return [part.narrative for part in report.per_hub if part.narrative and part.narrative.is_published]


@network_lead_view
@require_GET
@reads_from_replica
def network_report(request, network_lead):
    form, report = _network_report(request, network_lead)
    return render(request, "adoption/value_report.html", _context(
        report, network_lead=network_lead, form=form, narratives=_published(report),
        query=_query(report.date_from, report.date_to),
        csv_url=reverse("adoption:network_report_csv"), pdf_url=reverse("adoption:network_report_pdf")))


@network_lead_view
@require_GET
@reads_from_replica
def network_report_csv(request, network_lead):
    form, report = _network_report(request, network_lead)
    if bad := _bad_period(form):
        return bad
    return _csv(report, _filename(report, "network", "csv"))


@network_lead_view
@require_GET
@reads_from_replica
def network_report_pdf(request, network_lead):
    form, report = _network_report(request, network_lead)
    if bad := _bad_period(form):
        return bad
    return _pdf(report, _filename(report, "network", "pdf"), narratives=_published(report))
