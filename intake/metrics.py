"""What a hub can show its board: reads only, each one bounded in queries whatever the hub's size.

On PostgreSQL the figures come from the rollups (intake.rollups, issue 13): counts per London month and
day sent, kept by triggers in the transaction of every change, so the page reads rows in proportion to
the months of the period and the distinct values of each figure, not to the hub's inquiries, and is
right the moment a change commits.
`hub_metrics` then makes four queries: the hub's themes; every count with the (sent date, answered date)
pairs; the inquiries per week; and the ten commonest organisations.

On SQLite (the embedded default, small data) it counts the inquiries themselves, in five queries:

1. one aggregate with a filtered COUNT per taxonomy code, status, outcome and funnel step (a single
   pass over the hub's rows; the JSON lists are counted with containment, as the list filter does);
2. the inquiries per week (TruncWeek, grouped in the database);
3. the ten commonest organisations (free text, so the rest is "Other": total minus those ten);
4. and 5. the (sent date, first response date) and (sent date, decision date) pairs with their
   counts. Working days need the bank holidays, which the database does not know, so the medians
   are computed here from those pairs: thousands of rows at a very large hub, never one per inquiry.

Both ways give the same figures (tests/intake/test_metrics_rollups.py proves it after every kind of
change). Every figure counts sent inquiries (drafts are the submitter's business), optionally only those
sent between two dates (London dates, both inclusive).
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, DateField, F, Min, Q, Value
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from hubportal.taxonomy import KindOfHelp, Sector, Stage, SupportNeed, theme_lookup

from .models import Inquiry
from .rollups import (
    PAIRS,
    rollup_counts,
    rollup_per_week,
    rollup_top_values,
    rollups_available,
    working_days_of,
)
from .selectors import hub_inquiries

# COUNT(1), not COUNT(id): every column a query names can then come from one covering index
# (an index-only scan) instead of the hub's rows scattered across the whole table.
ONE = Value(1)
DEFAULT_WEEKS = 26
MAX_WEEKS = 52
TOP_ORGANISATIONS = 10
NOT_GIVEN = "Not given"

# The lifecycle in the order a board reads it (DESIGN.md); other codes never reach a sent inquiry.
LIFECYCLE = [*Inquiry.OPEN_STATUSES, Inquiry.Status.CLOSED.value]


@dataclass(frozen=True)
class Figure:
    label: str
    value: int
    code: str = ""


@dataclass
class Breakdown:
    key: str
    title: str
    figures: list[Figure]
    note: str = ""

    @property
    def largest(self):
        return max((f.value for f in self.figures), default=0)


@dataclass(frozen=True)
class Timing:
    """A median in working days over `count` inquiries (None when there are none)."""

    median: float | None
    count: int


@dataclass(frozen=True)
class Target:
    working_days: int
    within: int
    late: int
    missed: int  # not answered yet and already past the due date

    @property
    def judged(self):
        return self.within + self.late + self.missed

    @property
    def share(self):
        """Percentage of the judged inquiries answered within target, or None."""
        return round(100 * self.within / self.judged, 1) if self.judged else None


@dataclass
class HubMetrics:
    hub: object
    date_from: dt.date | None
    date_to: dt.date | None
    first_week: dt.date
    last_week: dt.date
    total: int
    per_week: Breakdown
    breakdowns: list[Breakdown]
    statuses: Breakdown
    funnel: Breakdown
    outcomes: Breakdown
    first_response: Timing
    decision: Timing
    target: Target
    charts: list[Breakdown] = field(default_factory=list)
    sources: Breakdown | None = None


def _start_of(day):
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _contains(field_name, code):
    if connection.vendor == "postgresql":
        # jsonb @> '["code"]'
        return Q(**{f"{field_name}__contains": [code]})
    # SQLite has no JSON containment; codes are plain words stored as JSON strings, so the quoted
    # code matches exactly one element ("digital" never matches "digital_inclusion").
    return Q(**{f"{field_name}__icontains": f'"{code}"'})


def _weighted_median(counts):
    """The median of values given as {value: how many times}."""
    n = sum(counts.values())
    if not n:
        return None
    wanted = {(n - 1) // 2, n // 2}
    found, seen = [], 0
    for value in sorted(counts):
        low, seen = seen, seen + counts[value]
        found += [value] * sum(1 for position in wanted if low <= position < seen)
    return sum(found) / len(found)


def _pairs(rows, end_field):
    """(sent date, `end_field` date, count) for the inquiries that have reached `end_field`."""
    return list(rows.filter(**{f"{end_field}__isnull": False})
                .values_list(TruncDate("submitted_at"), TruncDate(end_field))
                .annotate(n=Count("*")).order_by())


def _timing(days):
    """The median of {working days: count}, over how many."""
    return Timing(median=_weighted_median(days), count=sum(days.values()))


def _monday(day):
    return day - dt.timedelta(days=day.weekday())


def metrics_weeks(*, date_from=None, date_to=None, today=None):
    """The Mondays of the first and last week charted: the period's weeks, at most MAX_WEEKS,
    and the last DEFAULT_WEEKS when no start is given."""
    last = _monday(date_to or today or timezone.localdate())
    first = _monday(date_from) if date_from else last - dt.timedelta(weeks=DEFAULT_WEEKS - 1)
    return max(first, last - dt.timedelta(weeks=MAX_WEEKS - 1)), last


def _sent_in_period(hub, date_from, date_to):
    rows = hub_inquiries(hub).order_by()
    if date_from:
        rows = rows.filter(submitted_at__gte=_start_of(date_from))
    if date_to:
        rows = rows.filter(submitted_at__lt=_start_of(date_to + dt.timedelta(days=1)))
    return rows


def _week_counts(rows, first, last):
    """{Monday: inquiries sent that week} for the weeks `first` to `last`, counted live."""
    in_window = rows.filter(submitted_at__gte=_start_of(first), submitted_at__lt=_start_of(last + dt.timedelta(weeks=1)))
    return dict(in_window.annotate(week=TruncWeek("submitted_at", output_field=DateField()))
                .values_list("week").annotate(n=Count("*")).order_by())


def _per_week(counts, first, last):
    figures, week = [], first
    while week <= last:
        figures.append(Figure(label=f"{week.day} {week:%b %Y}", value=counts.get(week, 0), code=week.isoformat()))
        week += dt.timedelta(weeks=1)
    return Breakdown("per_week", "Inquiries per week", figures,
                     note=f"Weeks beginning on Monday, from {first.day} {first:%B %Y} to {last.day} {last:%B %Y}.")


def hub_inquiries_per_week(*, hub, first_week, last_week, date_from=None, date_to=None):
    """Inquiries sent per week for every week from `first_week` to `last_week` (Mondays), in one
    grouped query, counting only those sent within the period as `hub_metrics` does. No week cap:
    the API pages through long series (intake/api.py)."""
    counts = _week_counts(_sent_in_period(hub, date_from, date_to), first_week, last_week)
    return _per_week(counts, first_week, last_week).figures


def hub_first_sent_on(hub):
    """The London date the hub's first inquiry was sent, or None."""
    first = hub_inquiries(hub).order_by().aggregate(first=Min("submitted_at"))["first"]
    return timezone.localdate(first) if first else None


def _organisations(top, total):
    figures = [Figure(label=name or NOT_GIVEN, value=n, code=name) for name, n in top]
    other = total - sum(n for _, n in top)
    if other:
        figures.append(Figure(label="Other", value=other, code="other"))
    return Breakdown("organisation", "Organisation", figures,
                     note=f"The {TOP_ORGANISATIONS} organisations with the most inquiries; the rest are "
                          "counted as Other.")


@dataclass
class _Counted:
    """The raw figures, however they were counted: `got` holds every count hub_metrics names."""

    got: Counter
    weeks: dict
    organisations: list
    first_response: Counter  # {working days: inquiries}
    decision: Counter


def _count_live(hub, date_from, date_to, today, themes, first_week, last_week):
    """Every figure from the hub's inquiries themselves (SQLite; five queries)."""
    rows = _sent_in_period(hub, date_from, date_to)
    counts = {
        "total": Count("*"),
        "responded": Count(ONE, filter=Q(first_response_at__isnull=False)),
        "decided": Count(ONE, filter=Q(decided_at__isnull=False)),
        "closed": Count(ONE, filter=Q(status=Inquiry.Status.CLOSED)),
        # A first response on or before the due date's London day is within target; one still
        # awaited after the due date has already missed it; one awaited and not yet due is not judged.
        "within": Count(ONE, filter=Q(first_response_at__date__lte=F("triage_due_on"))),
        "late": Count(ONE, filter=Q(first_response_at__date__gt=F("triage_due_on"))),
        "missed": Count(ONE, filter=Q(first_response_at__isnull=True, triage_due_on__lt=today)),
    }
    for code in KindOfHelp.values:
        counts[f"kind_of_help:{code}"] = Count(ONE, filter=Q(kind_of_help=code))
    for code in Stage.values:
        counts[f"stage:{code}"] = Count(ONE, filter=Q(stage=code))
    for code in Sector.values:
        counts[f"sector:{code}"] = Count(ONE, filter=Q(sector=code))
    for code in LIFECYCLE:
        counts[f"status:{code}"] = Count(ONE, filter=Q(status=code))
    for code in Inquiry.Source.values:
        counts[f"source:{code}"] = Count(ONE, filter=Q(source=code))
    for code in Inquiry.Outcome.values:
        counts[f"outcome:{code}"] = Count(ONE, filter=Q(outcome=code))
    for code, _label in themes:
        counts[f"themes:{code}"] = Count(ONE, filter=_contains("themes", code))
    for code in SupportNeed.values:
        counts[f"support_needed:{code}"] = Count(ONE, filter=_contains("support_needed", code))
    got = Counter(rows.aggregate(**counts))
    top = list(rows.values_list("organisation").annotate(n=Count("*")).order_by("-n", "organisation")
               [:TOP_ORGANISATIONS])
    return _Counted(got=got, weeks=_week_counts(rows, first_week, last_week), organisations=top,
                    first_response=working_days_of(_pairs(rows, "first_response_at")),
                    decision=working_days_of(_pairs(rows, "decided_at")))


# The rollup dimensions hub_metrics reads whole; the organisations are read top ten only.
COUNTED = ("status_outcome", "kind_of_help", "stage", "sector", "source", "themes", "support_needed",
           "target", "awaiting_due", *PAIRS)


def rollup_got(rows, today):
    """The rollup rows of one hub (dimension, value, count) as the counts the live aggregate names
    ("total", "status:closed", "themes:core20", ...). Shared with the value report."""
    got = Counter()
    for dimension, value, n in rows:
        if dimension == "status_outcome":
            status, outcome = value.split("|", 1)
            got["total"] += n
            got[f"status:{status}"] += n
            got[f"outcome:{outcome}"] += n
            if status == Inquiry.Status.CLOSED:
                got["closed"] += n
                got[f"closed_outcome:{outcome}"] += n
        elif dimension == "target":
            got[value] += n  # within, late
        elif dimension == "awaiting_due":
            if dt.date.fromisoformat(value) < today:
                got["missed"] += n
        elif dimension in PAIRS:
            got["responded" if dimension == "first_response" else "decided"] += n
        else:
            got[f"{dimension}:{value}"] += n
    return got


def _count_rollups(hub, date_from, date_to, today, themes, first_week, last_week):
    """Every figure from the rollups (PostgreSQL; three queries, reading rows in proportion to the months
    of the period and the distinct values of each figure)."""
    rows = rollup_counts(hub_ids=[hub.pk], dimensions=COUNTED, date_from=date_from, date_to=date_to)
    pairs = {dimension: Counter() for dimension in PAIRS}
    for _hub, dimension, value, n in rows:
        if dimension in PAIRS:
            pairs[dimension][int(value)] += n
    got = rollup_got([(dimension, value, n) for _hub, dimension, value, n in rows], today)
    # The weeks charted, within the period when one is given.
    start = max(first_week, date_from) if date_from else first_week
    end = min(last_week + dt.timedelta(days=6), date_to) if date_to else last_week + dt.timedelta(days=6)
    weeks = rollup_per_week(hub_id=hub.pk, date_from=start, date_to=end) if start <= end else {}
    top = rollup_top_values(hub_id=hub.pk, dimension="organisation", limit=TOP_ORGANISATIONS,
                            date_from=date_from, date_to=date_to)
    return _Counted(got=got, weeks=weeks, organisations=top, first_response=pairs["first_response"],
                    decision=pairs["decision"])


def hub_metrics(*, hub, date_from=None, date_to=None, today=None):
    """The hub's figures for its board (see the module docstring for what each query does)."""
    today = today or timezone.localdate()
    # The national themes and the hub's own priorities, retired ones too (issue 10).
    themes = list(theme_lookup(hub).items())
    first_week, last_week = metrics_weeks(date_from=date_from, date_to=date_to, today=today)
    count = _count_rollups if rollups_available() else _count_live
    counted = count(hub, date_from, date_to, today, themes, first_week, last_week)
    got = counted.got
    total = got["total"]

    def breakdown(key, title, choices, *, by_size=True, rest_label=None, of=total, note=""):
        figures = [Figure(label=label, value=got[f"{key}:{code}"], code=code) for code, label in choices]
        if by_size:
            # Largest first; ties keep the taxonomy's order (sorted() is stable).
            figures = sorted(figures, key=lambda f: -f.value)
        rest = of - sum(f.value for f in figures)
        if rest_label and rest > 0:
            figures.append(Figure(label=rest_label, value=rest, code=""))
        return Breakdown(key, title, figures, note=note)

    several = "An inquiry may have several, so these add up to more than the number of inquiries."
    breakdowns = [
        breakdown("kind_of_help", "Kind of help", KindOfHelp.choices, rest_label=NOT_GIVEN),
        breakdown("themes", "Theme", themes, note=several),
        breakdown("support_needed", "Support needed", SupportNeed.choices, note=several),
        breakdown("stage", "Stage", Stage.choices, by_size=False, rest_label=NOT_GIVEN),
        breakdown("sector", "Submitter's sector", Sector.choices, by_size=False, rest_label=NOT_GIVEN),
        _organisations(counted.organisations, total),
    ]
    # How inquiries arrive: the website, or recorded by staff from an email, a call or a meeting. Kept
    # apart from `breakdowns` (whose order callers and the API rely on); the page and CSV show it.
    sources = breakdown("source", "How it arrived", Inquiry.Source.choices)
    closed = got["closed"]
    outcomes = breakdown("outcome", "Outcome", Inquiry.Outcome.choices, rest_label="Not recorded", of=closed,
                         note=f"Of the {closed} closed {'inquiry' if closed == 1 else 'inquiries'}.")
    statuses = breakdown("status", "Where inquiries are now",
                         [(code, Inquiry.Status(code).label) for code in LIFECYCLE], by_size=False)
    funnel = Breakdown("funnel", "Funnel", [
        Figure("Sent to the hub", total, "sent"),
        Figure("Had a first response", got["responded"], "responded"),
        Figure("Decided (routed, in support or closed)", got["decided"], "decided"),
        Figure("Closed", closed, "closed"),
    ], note="How many inquiries reached each step, whatever their status now.")

    metrics = HubMetrics(
        hub=hub, date_from=date_from, date_to=date_to, first_week=first_week, last_week=last_week,
        total=total,
        per_week=_per_week(counted.weeks, first_week, last_week),
        breakdowns=breakdowns, statuses=statuses, funnel=funnel, outcomes=outcomes,
        first_response=_timing(counted.first_response),
        decision=_timing(counted.decision),
        target=Target(working_days=hub.triage_target_working_days, within=got["within"], late=got["late"],
                      missed=got["missed"]),
        sources=sources,
    )
    metrics.charts = [metrics.per_week, *breakdowns, sources, outcomes, statuses, funnel]
    return metrics


def _number(value):
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else value


def hub_metrics_rows(metrics):
    """Every figure of the page as (section, label, value) rows, for the CSV download."""
    target = metrics.target
    rows = [
        ("Summary", "Inquiries sent", metrics.total),
        ("Summary", "Median working days to first response", _number(metrics.first_response.median)),
        ("Summary", "Inquiries with a first response", metrics.first_response.count),
        ("Summary", "Median working days to decision", _number(metrics.decision.median)),
        ("Summary", "Inquiries decided", metrics.decision.count),
        ("Summary", "Triage target (working days)", target.working_days),
        ("Summary", "First response within target", target.within),
        ("Summary", "First response after target", target.late),
        ("Summary", "No response yet and past target", target.missed),
        ("Summary", "Share within target (%)", _number(target.share)),
    ]
    for chart in metrics.charts:
        for figure in chart.figures:
            label = figure.code if chart.key == "per_week" else figure.label
            rows.append((chart.title, label, figure.value))
    return rows
