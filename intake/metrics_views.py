"""The hub's metrics page and its CSV: what the hub can show its board.

Access for both views: a person signed in with password and TOTP who is a member of the hub in the
URL (`staff_view`); anyone else gets the staff sign-in page, or 404 for a hub that is not theirs.

Charts are SVG drawn here on the server, so they need no JavaScript; each has a table with the same
figures beside it, which is what screen readers and the CSV use.
"""

import csv
import datetime as dt
import math

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from hubportal.date_input import DateInputField
from hubportal.db_router import reads_from_replica
from hubportal.permissions import staff_view

from .metrics import hub_metrics, hub_metrics_rows
from .staff_views import csv_safe

EARLIEST = dt.date(2000, 1, 1)


class MetricsPeriodForm(forms.Form):
    """An optional period, by the date inquiries were sent: ?from=2026-04-01&to=2026-06-30."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword, so the fields are added here rather than declared.
        for name, label in (("from", "From"), ("to", "To")):
            # The NHS.UK date input (day, month, year); ?from=2026-04-01 links still work.
            self.fields[name] = DateInputField(label=label, subject=f"“{label}”", required=False)

    def _clean_day(self, name, label):
        day = self.cleaned_data.get(name)
        if day and day > timezone.localdate():
            raise forms.ValidationError(f"“{label}” must be today or in the past")
        if day and day < EARLIEST:
            raise forms.ValidationError(f"“{label}” must be in {EARLIEST.year} or later")
        return day

    def clean_from(self):
        return self._clean_day("from", "From")

    def clean_to(self):
        return self._clean_day("to", "To")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and end < start:
            self.add_error("to", "“To” must be the same as or after “From”")
        return cleaned

    def period(self):
        """(from, to) when valid, else (None, None): the page then shows every inquiry."""
        if not self.is_valid():
            return None, None
        return self.cleaned_data.get("from"), self.cleaned_data.get("to")


# --- Charts ----------------------------------------------------------------------------------------

# Sizes in SVG units. A horizontal chart sits in half a column (about 460 pixels at full width), so
# its units are close to pixels and its 16-unit text reads as 16 pixels there.
WIDTH = 640
BAR_WIDTH = 460
ROW = 54
LABEL_CHARS = 50


def _short(label):
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1].rstrip() + "…"


def _percent(value, of):
    return round(100 * value / of) if of else None


def _nice_ceiling(value):
    """A round number at or above `value` for the top of an axis (1, 2, 5, 10, 20, 50, ...)."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value)


def _describe(breakdown):
    top = max(breakdown.figures, key=lambda f: f.value, default=None)
    if top is None or top.value == 0:
        return "Bar chart. There are no inquiries to show. The table has the same figures."
    return (f"Bar chart of the figures in the table. Highest: {top.label}, {top.value}.")


def horizontal_chart(breakdown, *, of=None):
    """One bar per figure, its label above it and its value after it."""
    largest = breakdown.largest or 1
    room = BAR_WIDTH - 64  # space left for the value after the longest bar
    bars = []
    for i, figure in enumerate(breakdown.figures):
        top = i * ROW
        width = round(room * figure.value / largest, 1)
        bars.append({"label": figure.label, "short_label": _short(figure.label), "value": figure.value,
                     "percent": _percent(figure.value, of), "label_y": top + 17, "bar_y": top + 24,
                     "bar_width": width, "value_x": width + 6, "value_y": top + 40})
    return {"id": f"chart-{breakdown.key}", "kind": "horizontal", "title": breakdown.title,
            "description": _describe(breakdown), "width": BAR_WIDTH, "height": max(ROW * len(bars), ROW),
            "bars": bars, "breakdown": breakdown}


def weekly_chart(breakdown):
    """Columns, one per week, with a light scale and a date under every few weeks."""
    left, bottom, top, height = 40, 36, 12, 240
    plot_width, plot_height = WIDTH - left - 8, height - bottom - top
    scale = _nice_ceiling(breakdown.largest)
    count = max(len(breakdown.figures), 1)
    slot = plot_width / count
    every = math.ceil(count / 6)
    bars = []
    for i, figure in enumerate(breakdown.figures):
        bar_height = round(plot_height * figure.value / scale, 1)
        x = left + i * slot
        bars.append({"label": figure.label, "value": figure.value, "x": round(x + slot * 0.15, 1),
                     "width": round(slot * 0.7, 1), "y": round(top + plot_height - bar_height, 1),
                     "height": bar_height, "tick": i % every == 0, "tick_x": round(x + slot / 2, 1),
                     "tick_label": " ".join(figure.label.split()[:2])})
    grid = [{"value": value, "y": round(top + plot_height - plot_height * value / scale, 1)}
            for value in sorted({0, scale // 2, scale})]
    return {"id": f"chart-{breakdown.key}", "kind": "weekly", "title": breakdown.title,
            "description": _describe(breakdown).replace("Highest:", "Busiest week beginning"),
            "width": WIDTH, "height": height, "left": left, "right": WIDTH - 8,
            "axis_y": top + plot_height, "label_y": height - 12, "bars": bars, "grid": grid,
            "breakdown": breakdown}


# --- Views -----------------------------------------------------------------------------------------

@staff_view
@require_GET
@reads_from_replica
def metrics(request, membership):
    hub = membership.hub
    form = MetricsPeriodForm(request.GET or None)
    date_from, date_to = form.period()
    figures = hub_metrics(hub=hub, date_from=date_from, date_to=date_to)
    outcome_of = figures.funnel.figures[-1].value  # closed inquiries
    charts = [weekly_chart(figures.per_week)]
    charts += [horizontal_chart(b, of=figures.total) for b in [*figures.breakdowns, figures.sources]]
    charts += [horizontal_chart(figures.outcomes, of=outcome_of),
               horizontal_chart(figures.statuses, of=figures.total),
               horizontal_chart(figures.funnel, of=figures.total)]
    return render(request, "intake/staff/metrics.html", {
        "hub": hub, "membership": membership, "form": form, "metrics": figures, "charts": charts,
        "query": request.GET.urlencode() if form.is_bound and form.is_valid() else "",
        "lay_review_figures": _lay_review_figures(hub, date_from, date_to),
    })


def _lay_review_figures(hub, date_from, date_to):
    """The PPIE panel's involvement, from the review app once it is installed (it depends on intake,
    so intake reads it lazily, as the case page reads signposting's panel)."""
    from django.apps import apps

    if not apps.is_installed("review"):
        return None
    from review.selectors import lay_review_figures

    return lay_review_figures(hub=hub, date_from=date_from, date_to=date_to)


@staff_view
@require_GET
@reads_from_replica
def metrics_csv(request, membership):
    hub = membership.hub
    form = MetricsPeriodForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        # A download must never quietly differ from what was asked for.
        errors = "; ".join(e for field_errors in form.errors.values() for e in field_errors)
        return HttpResponse(f"{errors}\n", status=400, content_type="text/plain; charset=utf-8")
    date_from, date_to = form.period()
    figures = hub_metrics(hub=hub, date_from=date_from, date_to=date_to)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    period = f"{date_from or 'start'}-to-{date_to or timezone.localdate()}" if date_from or date_to else "all"
    response["Content-Disposition"] = f'attachment; filename="{hub.code}-metrics-{period}.csv"'
    writer = csv.writer(response)
    writer.writerow(["section", "label", "value"])
    for section, label, value in hub_metrics_rows(figures):
        # Organisation names are typed by submitters: neutralise anything a spreadsheet would run.
        writer.writerow([section, csv_safe(label), value])
    return response
