"""The value report (issue 11, part B): for one hub, or a network lead's hubs, and a period, every figure a
hub lead takes to an ICB board, as sections of rows that the page, the PDF, the CSV and the command all
render (one place for the figures, so the four never disagree).

Queries: a fixed number whatever the data size (about twenty, tests/adoption/test_value_report.py counts
them): each figure is one aggregate grouped by hub (adoption.selectors.report_*, signposting's
report_* and the funnel here), so a network of ten hubs costs what one hub does. Working days need the
bank holidays, which the database does not know, so response times come back as (date, date, count)
pairs and their medians are taken here, as intake.metrics does.

No personal data of submitters: counts, coded reasons, stage names, partner organisations, benefit
measures (written by staff) and the lead's narrative; never a name, a title or a survey comment.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from hubportal.models import Hub
from hubportal.workdays import working_days_between
from intake.metrics import Breakdown, Figure, rollup_got
from intake.models import Inquiry
from intake.rollups import PAIRS, rollup_counts, rollups_available
from signposting.models import Referral
from signposting.selectors import (
    report_decline_reasons,
    report_in_kind,
    report_referrals_by_partner,
)

from . import selectors
from .models import Barrier, BenefitLine, Case, ValueReportNarrative

NETWORK = "network"
ONE = Value(1)
# What the front door's figures read from intake's rollups (intake.rollups lists the dimensions).
FUNNEL_DIMENSIONS = ("status_outcome", "target", "awaiting_due", *PAIRS)


# --- Periods -----------------------------------------------------------------------------------------

def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last twelve months up to today, both dates inclusive."""
    today = today or timezone.localdate()
    return today - dt.timedelta(days=364), today


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


# --- What the report is made of ----------------------------------------------------------------------

@dataclass
class Section:
    """One table of the report: a row label and its values under `columns`; `chart` draws one column."""

    key: str
    title: str
    columns: list[str]
    rows: list[tuple[str, list[Any]]] = field(default_factory=list)
    note: str = ""
    chart: Breakdown | None = None

    @property
    def table(self) -> list[tuple[str, list[tuple[str, Any]]]]:
        """Rows with each value beside its column's name (a narrow screen stacks them)."""
        return [(label, list(zip(self.columns, values, strict=True))) for label, values in self.rows]

    @property
    def label_header(self) -> str:
        return {"referrals": "Partner", "in_kind": "Partner", "stages": "Stage", "progression": "Stage",
                "time_in_stage": "Stage", "comparison": "Figure"}.get(self.key, "")

    def value(self, label: str, column: str | None = None) -> Any:
        """The figure in row `label` and `column` (the first column when not given), or None."""
        index = self.columns.index(column) if column else 0
        return next((values[index] for row_label, values in self.rows if row_label == label), None)


@dataclass
class HubReport:
    """Every section for one hub, or for the network's hubs summed (hub None)."""

    label: str
    code: str
    hub: Hub | None
    sections: list[Section]
    narrative: ValueReportNarrative | None = None

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


@dataclass
class ValueReport:
    title: str
    date_from: dt.date
    date_to: dt.date
    hubs: list[Hub]
    total: HubReport  # the hub itself, or the network summed
    per_hub: list[HubReport]  # side by side (empty for one hub)
    comparison: Section | None = None
    # When the figures were worked out (a snapshot's time, or now); the pages say it.
    as_at: dt.datetime | None = None

    @property
    def is_network(self) -> bool:
        return bool(self.per_hub)


def _number(value: Any) -> Any:
    """Figures as a board reads them: whole numbers as ints, others to two places (Decimals) or one (floats)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        value = value.quantize(Decimal("0.01"))
        return int(value) if value == value.to_integral() else value
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 1)
    return value


def _median(counts: Counter) -> float | None:
    n = sum(counts.values())
    if not n:
        return None
    wanted = sorted({(n - 1) // 2, n // 2})
    found, seen = [], 0
    for value in sorted(counts):
        low, seen = seen, seen + counts[value]
        found += [value for position in wanted if low <= position < seen]
    return sum(found) / len(found)


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# --- Reading the figures -----------------------------------------------------------------------------

class _Figures:
    """The raw rows of every query, for all the hubs at once; `hub_report` cuts them per hub or sums them."""

    # What a snapshot keeps (ValueReportSnapshot.figures): every attribute but the hubs, today and narratives.
    KEPT = ("funnel", "first_response", "decision", "supported", "case_ends", "partners", "partner_days",
            "declines", "cases_by_stage", "progression", "time_in_stage", "barriers", "benefits", "follow_ups",
            "surveys", "milestones", "in_kind")

    def __init__(self, *, hubs: list[Hub], date_from: dt.date, date_to: dt.date, kept: dict | None = None):
        self.hubs = hubs
        ids = [h.pk for h in hubs]
        self.computed_at = timezone.now()
        if kept is not None:  # from a snapshot: only the narratives, which their leads edit, are read now
            for name in self.KEPT:
                setattr(self, name, kept[name])
            self.narratives = {n.hub_id: n for n in ValueReportNarrative.objects.filter(
                hub_id__in=ids, date_from=date_from, date_to=date_to)}
            return
        start, end = _start_of(date_from), _start_of(date_to + dt.timedelta(days=1))
        day_end = date_to + dt.timedelta(days=1)
        self.today = timezone.localdate()
        sent = (Inquiry.objects.filter(hub_id__in=ids, submitted_at__gte=start, submitted_at__lt=end)
                .exclude(status=Inquiry.Status.DRAFT).order_by())
        if rollups_available():
            self.funnel, self.first_response, self.decision = self._from_rollups(ids, date_from, date_to)
        else:
            self._count_live(sent)
        # A case starts after its inquiry was sent, so started_at >= start narrows the join (case_hub_started).
        # The inquiry's hub (the case's own) and "not a draft" let the inquiries' side be an index-only scan
        # of the hub's sent rows (inquiry_list_sent) instead of reading every hub's rows: 63 -> 5 ms.
        self.supported = dict(Case.objects.filter(hub_id__in=ids, started_at__gte=start, inquiry__hub_id__in=ids,
                                                  inquiry__submitted_at__gte=start, inquiry__submitted_at__lt=end)
                              .exclude(inquiry__status=Inquiry.Status.DRAFT)  # never one: it matches inquiry_list_sent
                              .order_by().values_list("hub_id").annotate(n=Count(ONE)))
        self.case_ends = list(Case.objects.filter(hub_id__in=ids, ended_at__gte=start, ended_at__lt=end)
                              .order_by().values("hub_id", "status").annotate(n=Count(ONE)))
        self.partners = report_referrals_by_partner(hub_ids=ids, start=start, end=end)
        self.partner_days = self._partner_days(ids, start, end)
        self.declines = report_decline_reasons(hub_ids=ids, start=start, end=end)
        self.cases_by_stage = selectors.report_cases_by_stage(hub_ids=ids)
        self.progression = selectors.report_stage_progression(hub_ids=ids, start=start, end=end)
        self.time_in_stage = selectors.report_time_in_stage(hub_ids=ids, start=start, end=end)
        self.barriers = selectors.report_barriers(hub_ids=ids, start=start, end=end)
        self.benefits = selectors.report_benefits(hub_ids=ids, start=date_from, end=day_end)
        self.follow_ups = selectors.report_follow_ups(hub_ids=ids, start=date_from, end=day_end)
        self.surveys = selectors.report_surveys(hub_ids=ids, start=start, end=end)
        self.milestones = selectors.report_milestones(hub_ids=ids, start=date_from, end=day_end)
        self.in_kind = report_in_kind(hub_ids=ids, start=start, end=end)
        self.narratives = {n.hub_id: n for n in ValueReportNarrative.objects.filter(
            hub_id__in=ids, date_from=date_from, date_to=date_to)}

    def _count_live(self, sent) -> None:
        """The front door's figures from the inquiries themselves (SQLite): three queries."""
        # One pass over the hub's sent rows. Outcomes are those of the period's inquiries.
        outcomes = {f"outcome:{code}": Count(ONE, filter=Q(status=Inquiry.Status.CLOSED, outcome=code))
                    for code in [*Inquiry.Outcome.values, ""]}
        self.funnel = {r["hub_id"]: r for r in sent.values("hub_id").annotate(
            sent=Count(ONE),
            responded=Count(ONE, filter=Q(first_response_at__isnull=False)),
            decided=Count(ONE, filter=Q(decided_at__isnull=False)),
            closed=Count(ONE, filter=Q(status=Inquiry.Status.CLOSED)),
            within=Count(ONE, filter=Q(first_response_at__date__lte=F("triage_due_on"))),
            late=Count(ONE, filter=Q(first_response_at__date__gt=F("triage_due_on"))),
            missed=Count(ONE, filter=Q(first_response_at__isnull=True, triage_due_on__lt=self.today)),
            **outcomes)}
        self.first_response = self._days(sent, "first_response_at")
        self.decision = self._days(sent, "decided_at")

    def _from_rollups(self, ids: list[int], date_from: dt.date, date_to: dt.date
                      ) -> tuple[dict[int, dict], dict[int, Counter], dict[int, Counter]]:
        """The same figures from intake's rollups (PostgreSQL): one query, reading rows in proportion to the
        days of the period, not to the inquiries (issue 13)."""
        rows = rollup_counts(hub_ids=ids, dimensions=FUNNEL_DIMENSIONS, date_from=date_from, date_to=date_to)
        per_hub: dict[int, list] = defaultdict(list)
        pairs: dict[str, dict[int, Counter]] = {d: defaultdict(Counter) for d in PAIRS}
        for hub_id, dimension, value, n in rows:
            per_hub[hub_id].append((dimension, value, n))
            if dimension in PAIRS:
                pairs[dimension][hub_id][int(value)] += n
        funnel = {}
        for hub_id, hub_rows in per_hub.items():
            got = rollup_got(hub_rows, self.today)
            funnel[hub_id] = {"sent": got["total"], "responded": got["responded"], "decided": got["decided"],
                              "closed": got["closed"], "within": got["within"], "late": got["late"],
                              "missed": got["missed"],
                              **{f"outcome:{code}": got[f"closed_outcome:{code}"]
                                 for code in [*Inquiry.Outcome.values, ""]}}
        return funnel, pairs["first_response"], pairs["decision"]

    @staticmethod
    def _days(sent, end_field) -> dict[int, Counter]:
        """Working days from sending to `end_field`, per hub, as {hub_id: Counter(days: count)}. (One query
        for both timings returns four times the rows for the same database time: measured, not kept.)"""
        pairs = (sent.filter(**{f"{end_field}__isnull": False})
                 .values_list("hub_id", TruncDate("submitted_at"), TruncDate(end_field)).annotate(n=Count(ONE)))
        days: dict[int, Counter] = defaultdict(Counter)
        for hub_id, sent_on, ended_on, n in pairs:
            days[hub_id][working_days_between(sent_on, ended_on)] += n
        return days

    def _partner_days(self, ids, start, end) -> dict[tuple[int, int], dict]:
        """Per (hub, partner): working days from sending to accepting or declining, and how many are still
        unanswered past the hub's partner target (judged against today)."""
        targets = {h.pk: h.partner_target_working_days for h in self.hubs}
        answered = Coalesce("accepted_at", "declined_at")
        rows = (Referral.objects.filter(hub_id__in=ids, sent_at__gte=start, sent_at__lt=end)
                .filter(Q(accepted_at__isnull=False) | Q(declined_at__isnull=False)
                        | Q(status__in=[Referral.Status.SENT, Referral.Status.VIEWED]))
                .order_by().values_list("hub_id", "partner_id", TruncDate("sent_at"), TruncDate(answered))
                .annotate(n=Count(ONE)))
        out: dict[tuple[int, int], dict] = defaultdict(lambda: {"days": Counter(), "within": 0, "late": 0,
                                                                 "missed": 0})
        for hub_id, partner_id, sent_on, answered_on, n in rows:
            entry = out[(hub_id, partner_id)]
            if answered_on is None:
                if working_days_between(sent_on, self.today) > targets[hub_id]:
                    entry["missed"] += n
                continue
            days = working_days_between(sent_on, answered_on)
            entry["days"][days] += n
            entry["within" if days <= targets[hub_id] else "late"] += n
        return out


def _of(rows: list[dict], hub_ids: set[int], key: str) -> list[dict]:
    return [r for r in rows if r[key] in hub_ids]


def _sum_by(rows: list[dict], keys: tuple[str, ...], fields: tuple[str, ...]) -> dict[tuple, dict]:
    """Rows summed over hubs, keyed by `keys` (in first-seen order)."""
    out: dict[tuple, dict] = {}
    for r in rows:
        k = tuple(r[key] for key in keys)
        entry = out.setdefault(k, {f: None for f in fields})
        for f in fields:
            if r[f] is not None:
                entry[f] = (entry[f] or 0) + r[f]
    return out


def _breakdown(key: str, title: str, rows: list[tuple[str, list[Any]]], column: int = 0) -> Breakdown:
    return Breakdown(key, title, [Figure(label=label, value=values[column] or 0) for label, values in rows])


def hub_report(figures: _Figures, hubs: list[Hub], *, label: str, code: str) -> HubReport:
    """The sections for `hubs` (one hub, or all of a network's summed)."""
    ids = {h.pk for h in hubs}
    sections = []

    # The front door: the funnel and timings of inquiries sent in the period.
    funnel = {k: sum(figures.funnel.get(i, {}).get(k, 0) for i in ids)
              for k in ("sent", "responded", "decided", "closed", "within", "late", "missed")}
    funnel["supported"] = sum(figures.supported.get(i, 0) for i in ids)
    rows = [("Sent to the hub", [funnel["sent"]]), ("Had a first response", [funnel["responded"]]),
            ("Decided (routed, in support or closed)", [funnel["decided"]]),
            ("Taken into support", [funnel["supported"]]), ("Closed", [funnel["closed"]])]
    sections.append(Section("funnel", "Front door funnel", ["Inquiries"], rows,
                            note="Inquiries sent in the period: how many reached each step, whatever their status now.",
                            chart=_breakdown("funnel", "Front door funnel", rows)))
    first = sum((figures.first_response.get(i, Counter()) for i in ids), Counter())
    decision = sum((figures.decision.get(i, Counter()) for i in ids), Counter())
    judged = funnel["within"] + funnel["late"] + funnel["missed"]
    targets = sorted({h.triage_target_working_days for h in hubs})
    sections.append(Section("timings", "Front door timings", ["Value"], [
        ("Median working days to first response", [_number(_median(first))]),
        ("Median working days to decision", [_number(_median(decision))]),
        ("Triage target (working days)", [", ".join(str(t) for t in targets)]),
        ("First response within target", [funnel["within"]]),
        ("First response after target", [funnel["late"]]),
        ("No response yet and past target", [funnel["missed"]]),
        ("Share within target (%)", [_number(_share(funnel["within"], judged))]),
    ]))

    # Referrals, per partner, with response times against the hub's partner target.
    partner_rows = _of(figures.partners, ids, "hub_id")
    summed = _sum_by(partner_rows, ("partner_id", "partner__name"),
                     ("sent", "accepted", "declined", "handed_back", "progress_asked", "progress_given"))
    rows = []
    totals: Counter[str] = Counter()
    for (partner_id, name), r in sorted(summed.items(), key=lambda item: item[0][1]):
        days: Counter[int] = Counter()
        within, late, missed = 0, 0, 0
        for i in ids:
            entry = figures.partner_days.get((i, partner_id))
            if entry:
                days += entry["days"]
                within, late, missed = within + entry["within"], late + entry["late"], missed + entry["missed"]
        rows.append((name, [r["sent"], r["accepted"], r["declined"], r["handed_back"], _number(_median(days)),
                            within, late + missed]))
        totals.update({"sent": r["sent"], "accepted": r["accepted"], "declined": r["declined"],
                       "handed_back": r["handed_back"], "within": within, "late": late + missed})
    partner_targets = ", ".join(str(t) for t in sorted({h.partner_target_working_days for h in hubs}))
    if rows:
        rows.append(("All partners", [totals["sent"], totals["accepted"], totals["declined"], totals["handed_back"],
                                      None, totals["within"], totals["late"]]))
    sections.append(Section(
        "referrals", "Referrals to partners",
        ["Sent", "Accepted", "Declined", "Handed back", "Median working days to answer", "Answered within target",
         "Late or still unanswered past target"], rows,
        note=f"Referrals sent in the period. Target: an answer within {partner_targets} working days.",
        chart=_breakdown("referrals", "Referrals accepted per partner", [r for r in rows if r[0] != "All partners"], 1)))

    reasons = dict(Referral.DeclineReason.choices)
    summed = _sum_by(_of(figures.declines, ids, "hub_id"), ("kind", "reason"), ("n",))
    rows = [(reasons.get(reason, reason or "No reason given"),
             [summed.get(("declined", reason), {}).get("n") or 0, summed.get(("handed_back", reason), {}).get("n") or 0])
            for reason in dict.fromkeys(r for _, r in summed)]
    sections.append(Section("declines", "Declined and handed back, by reason", ["Declined", "Handed back"], rows,
                            chart=_breakdown("declines", "Referrals declined by reason", rows)))

    # Stages: where cases are now, the gate decisions of the period, and time in stage.
    statuses = dict(Case.Status.choices)
    summed = _sum_by(_of(figures.cases_by_stage, ids, "hub_id"), ("stage__position", "stage__name", "status"), ("n",))
    by_stage: dict[tuple, Counter] = {}
    for (position, name, status), r in sorted(summed.items(), key=lambda item: item[0][0]):
        by_stage.setdefault((position, name), Counter())[status] = r["n"]
    open_columns = [s.value for s in Case.OPEN_STATUSES]
    rows = [(name, [sum(c.values()), *[c[s] for s in open_columns]]) for (_, name), c in by_stage.items()]
    sections.append(Section("stages", "Cases in support now, by stage",
                            ["Open cases", *[statuses[s] for s in open_columns]], rows,
                            note="Today, whatever the period.", chart=_breakdown("stages", "Open cases by stage", rows)))

    decisions = dict(Case.Decision.choices)
    decision_codes = [d.value for d in Case.Decision]
    summed = _sum_by(_of(figures.progression, ids, "case__hub_id"),
                     ("from_stage__position", "from_stage__name", "decision"), ("n",))
    progress: dict[tuple, Counter] = {}
    for (position, name, decision_code), r in sorted(summed.items(), key=lambda item: item[0][0]):
        progress.setdefault((position, name), Counter())[decision_code] = r["n"]
    rows = [(name, [c[d] for d in decision_codes]) for (_, name), c in progress.items()]
    sections.append(Section("progression", "Gate decisions in the period, by stage",
                            [decisions[d].split(" ")[0].capitalize() for d in decision_codes], rows,
                            note="Progress, hold, park, stop (and close) and resume, from the stage decided on."))

    visits: dict[tuple, dict] = {}
    for r in _of(figures.time_in_stage, ids, "hub_id"):
        entry = visits.setdefault((r["stage__position"], r["stage__name"]),
                                  {"visits": 0, "still_in": 0, "spent": dt.timedelta(0), "longest": dt.timedelta(0)})
        entry["visits"] += r["visits"]
        entry["still_in"] += r["still_in"]
        entry["spent"] += (r["average"] or dt.timedelta(0)) * r["visits"]
        entry["longest"] = max(entry["longest"], r["longest"] or dt.timedelta(0))
    rows = [(name, [e["visits"], e["still_in"], _number(round(e["spent"].total_seconds() / e["visits"] / 86400, 1))
                    if e["visits"] else None, e["longest"].days])
            for (_, name), e in sorted(visits.items())]
    sections.append(Section("time_in_stage", "Time in stage (days)",
                            ["Stage visits", "Still in the stage", "Average days", "Longest days"], rows,
                            note="Visits that ended in the period, and those still going (counted to today)."))

    # Outcomes: of the period's inquiries that are closed, and the cases in support that ended in it.
    outcome_labels = dict(Inquiry.Outcome.choices)
    rows = []
    for code in [*Inquiry.Outcome.values, ""]:
        n = sum(figures.funnel.get(i, {}).get(f"outcome:{code}", 0) for i in ids)
        if n:
            rows.append((outcome_labels[code] if code else "Not recorded", [n]))
    ended = _sum_by(_of(figures.case_ends, ids, "hub_id"), ("status",), ("n",))
    rows += [(f"Cases {statuses[code].lower()}", [ended[(code,)]["n"]])
             for code in (Case.Status.COMPLETED, Case.Status.STOPPED, Case.Status.CLOSED) if (code,) in ended]
    sections.append(Section("outcomes", "Outcomes in the period", ["Number"], rows,
                            note="The period's inquiries that are closed, by outcome, and the cases in support "
                                 "that ended in the period.",
                            chart=_breakdown("outcomes", "Outcomes in the period", rows)))

    # Benefits: baseline, target and latest actual, summed where measure and unit agree, then by unit.
    units = dict(BenefitLine.Unit.choices)
    fields = ("lines", "baseline", "target", "actual")
    summed = _sum_by(_of(figures.benefits, ids, "hub_id"), ("measure", "unit"), fields)
    rows = [(f"{measure} ({units.get(unit, unit)})", [_number(r[f]) for f in fields])
            for (measure, unit), r in sorted(summed.items())]
    sections.append(Section("benefits", "Benefits: baseline, actual and target", ["Lines", "Baseline", "Target", "Actual"],
                            rows, note="Lines with an actual recorded at a follow-up due in the period (the latest), "
                                       "summed where the measure and unit agree."))
    # By unit, from the same rows (sums add up; one query fewer than report_benefit_units).
    summed = _sum_by(_of(figures.benefits, ids, "hub_id"), ("unit",), fields)
    rows = [(units.get(unit, unit), [_number(r[f]) for f in fields]) for (unit,), r in sorted(summed.items())]
    sections.append(Section("benefit_units", "Benefits summed by unit", ["Lines", "Baseline", "Target", "Actual"], rows,
                            note="Every measure in the same unit added together."))
    follow = _sum_by(_of(figures.follow_ups, ids, "hub_id"), (), ("due", "recorded")).get((), {})
    miles = _sum_by(_of(figures.milestones, ids, "hub_id"), (), ("due", "reached", "overdue")).get((), {})
    sections.append(Section("follow_through", "Follow-ups and milestones", ["Number"], [
        ("Benefit follow-ups due in the period", [follow.get("due") or 0]),
        ("Benefit follow-ups recorded", [follow.get("recorded") or 0]),
        ("Milestones due in the period", [miles.get("due") or 0]),
        ("Milestones reached", [miles.get("reached") or 0]),
        ("Milestones overdue now", [miles.get("overdue") or 0]),
    ]))

    # Surveys: averages weighted by the answers of each hub.
    survey_rows = _of(figures.surveys, ids, "hub_id")
    sent = sum(r["sent"] for r in survey_rows)
    answered = sum(r["answered"] for r in survey_rows)
    promoters = sum(r["promoters"] for r in survey_rows)
    detractors = sum(r["detractors"] for r in survey_rows)

    def weighted(name):
        total = sum(r[name] * r["answered"] for r in survey_rows if r[name] is not None)
        return _number(round(total / answered, 1)) if answered else None

    sections.append(Section("surveys", "End-of-support survey", ["Value"], [
        ("Surveys sent", [sent]), ("Answered", [answered]),
        ("Average satisfaction (1 to 10)", [weighted("avg_satisfaction")]),
        ("Average would recommend (1 to 10)", [weighted("avg_would_recommend")]),
        ("Would recommend 9 or 10", [promoters]), ("Would recommend 1 to 6", [detractors]),
        ("Net recommendation score", [round(100 * (promoters - detractors) / answered) if answered else None]),
    ], note="Surveys sent in the period; comments are not shown here (they are the submitters' own words)."))

    # In-kind support partners recorded in their progress updates.
    summed = _sum_by(_of(figures.in_kind, ids, "referral__hub_id"), ("referral__partner__name",),
                     ("updates", "hours", "value"))
    rows = [(name, [r["updates"], _number(r["hours"]), _number(r["value"])]) for (name,), r in sorted(summed.items())]
    if rows:
        rows.append(("All partners", [sum(r[1][0] for r in rows), _number(sum((r["hours"] or 0) for r in summed.values())),
                                      _number(sum((r["value"] or 0) for r in summed.values()))]))
    sections.append(Section("in_kind", "In-kind support from partners", ["Updates", "Hours", "Value (£)"], rows,
                            note="Recorded by partners in their progress updates during the period."))

    barrier_labels = dict(Barrier.choices)
    summed = _sum_by(_of(figures.barriers, ids, "case__hub_id"), ("barrier",), ("n",))
    rows = [(barrier_labels.get(code, code), [r["n"]])
            for (code,), r in sorted(summed.items(), key=lambda item: (-item[1]["n"], item[0][0]))]
    sections.append(Section("barriers", "Barriers logged", ["Gate decisions"], rows,
                            note="Coded barriers on gate decisions and closes in the period.",
                            chart=_breakdown("barriers", "Barriers logged", rows)))

    narrative = figures.narratives.get(hubs[0].pk) if len(hubs) == 1 else None
    return HubReport(label=label, code=code, hub=hubs[0] if len(hubs) == 1 else None, sections=sections,
                     narrative=narrative)


# The figures a network lead sees side by side, one column per hub: (name, section key, row, column).
COMPARED = [
    ("Inquiries sent", "funnel", "Sent to the hub", None),
    ("Taken into support", "funnel", "Taken into support", None),
    ("Closed", "funnel", "Closed", None),
    ("Median working days to first response", "timings", "Median working days to first response", None),
    ("First response within target (%)", "timings", "Share within target (%)", None),
    ("Referrals sent", "referrals", "All partners", "Sent"),
    ("Referrals accepted", "referrals", "All partners", "Accepted"),
    ("Referrals declined", "referrals", "All partners", "Declined"),
    ("Referrals answered within target", "referrals", "All partners", "Answered within target"),
    ("Surveys answered", "surveys", "Answered", None),
    ("Average satisfaction (1 to 10)", "surveys", "Average satisfaction (1 to 10)", None),
    ("Benefit follow-ups recorded", "follow_through", "Benefit follow-ups recorded", None),
    ("Milestones reached", "follow_through", "Milestones reached", None),
    ("In-kind support (hours)", "in_kind", "All partners", "Hours"),
    ("In-kind support (£)", "in_kind", "All partners", "Value (£)"),
]
# Rows that are totals: a hub without any has none, which is 0 (a median or an average stays blank).
_ZERO_WHEN_MISSING = {"referrals", "in_kind"}


def _comparison(reports: list[HubReport]) -> Section:
    rows = []
    for name, key, label, column in COMPARED:
        values = [r.section(key).value(label, column) for r in reports]
        if key in _ZERO_WHEN_MISSING:
            values = [v or 0 for v in values]
        rows.append((name, values))
    return Section("comparison", "Hubs side by side", [r.label for r in reports], rows)


def value_report(*, hubs: list[Hub], date_from: dt.date, date_to: dt.date, title: str = "",
                 figures: _Figures | None = None) -> ValueReport:
    """The report of one hub, or of several summed with each hub side by side (a network lead's), from
    the figures worked out now, or from `figures` (value_report_figures: a recent snapshot)."""
    figures = figures or _Figures(hubs=hubs, date_from=date_from, date_to=date_to)
    if len(hubs) == 1 and not title:
        total = hub_report(figures, hubs, label=hubs[0].name, code=hubs[0].code)
        return ValueReport(title=hubs[0].name, date_from=date_from, date_to=date_to, hubs=hubs, total=total,
                           per_hub=[], as_at=figures.computed_at)
    per_hub = [hub_report(figures, [h], label=h.name, code=h.code) for h in hubs]
    total = hub_report(figures, hubs, label=f"{title or 'Network'} (all hubs)", code=NETWORK)
    return ValueReport(title=title or "Network", date_from=date_from, date_to=date_to, hubs=hubs, total=total,
                       per_hub=per_hub, comparison=_comparison([*per_hub, total]), as_at=figures.computed_at)


# --- Snapshots (issue 13) ----------------------------------------------------------------------------
#
# At 250,000 inquiries a hub the figures take about a second to work out; the issue allows a materialised
# summary whose staleness is shown and bounded. The pages (not the command, nor value_report() itself)
# use a snapshot at most VALUE_REPORT_MAX_AGE_MINUTES old, made the same day, and say when it was made;
# "Work the figures out again" asks for fresh ones. JSON with tagged types, so nothing is unpickled.

def _encode(value: Any) -> Any:
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, Decimal):
        return {"$": "decimal", "v": str(value)}
    if isinstance(value, dt.timedelta):
        return {"$": "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, dt.datetime):
        return {"$": "datetime", "v": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$": "date", "v": value.isoformat()}
    if isinstance(value, tuple):
        return {"$": "tuple", "v": [_encode(v) for v in value]}
    if isinstance(value, Counter):
        return {"$": "counter", "v": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, dict):
        return {"$": "dict", "v": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    raise TypeError(f"A value report figure of type {type(value).__name__} cannot be kept")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    kind, inner = value["$"], value["v"]
    if kind == "decimal":
        return Decimal(inner)
    if kind == "timedelta":
        return dt.timedelta(days=inner[0], seconds=inner[1], microseconds=inner[2])
    if kind == "datetime":
        return dt.datetime.fromisoformat(inner)
    if kind == "date":
        return dt.date.fromisoformat(inner)
    if kind == "tuple":
        return tuple(_decode(v) for v in inner)
    pairs = ((_decode(k), _decode(v)) for k, v in inner)
    return Counter(dict(pairs)) if kind == "counter" else dict(pairs)


def _kept(stored: Any) -> dict | None:
    """A snapshot's figures decoded, or None when they are not this code's (a snapshot written before a
    deploy that changed what is kept): those are worked out again rather than failing the page."""
    if not isinstance(stored, dict) or set(stored) != set(_Figures.KEPT):
        return None
    try:
        return {name: _decode(value) for name, value in stored.items()}
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None


def _hubs_key(hubs: list[Hub]) -> str:
    return ",".join(str(pk) for pk in sorted(h.pk for h in hubs))


def value_report_figures(*, hubs: list[Hub], date_from: dt.date, date_to: dt.date, fresh: bool = False) -> _Figures:
    """The figures for the pages: a snapshot younger than VALUE_REPORT_MAX_AGE_MINUTES made today, or
    worked out now (and kept for the next person). fresh: always worked out now."""
    from django.conf import settings
    from django.db import IntegrityError, transaction

    from .models import ValueReportSnapshot

    now, today = timezone.now(), timezone.localdate()
    max_age = dt.timedelta(minutes=settings.VALUE_REPORT_MAX_AGE_MINUTES)
    key: dict[str, Any] = {"hubs_key": _hubs_key(hubs), "date_from": date_from, "date_to": date_to}
    if not fresh and max_age:
        snapshot = (ValueReportSnapshot.objects.filter(**key, computed_on=today, computed_at__gt=now - max_age)
                    .only("computed_at", "figures").first())
        kept = _kept(snapshot.figures) if snapshot is not None else None
        if snapshot is not None and kept is not None:
            figures = _Figures(hubs=hubs, date_from=date_from, date_to=date_to, kept=kept)
            figures.computed_at = snapshot.computed_at
            return figures
    figures = _Figures(hubs=hubs, date_from=date_from, date_to=date_to)
    if max_age:
        kept = {name: _encode(getattr(figures, name)) for name in _Figures.KEPT}
        try:
            with transaction.atomic():
                ValueReportSnapshot.objects.update_or_create(
                    **key, defaults={"computed_on": today, "computed_at": figures.computed_at, "figures": kept})
        except IntegrityError:
            # update_or_create already recovers from a second writer's INSERT meeting the first's row (it
            # reads that row and updates it: tests/adoption/test_value_report_snapshot.py has the race).
            # Anything else unique-key shaped leaves the snapshot to the next request: these figures stand.
            pass
        # Earlier days' snapshots are never used again (one row per hubs and period asked for, at most).
        ValueReportSnapshot.objects.filter(computed_on__lt=today).delete()
    return figures


def value_report_rows(report: ValueReport) -> list[tuple[str, str, str, str, Any]]:
    """Every figure as (hub code, section, row, column, value): the CSV and the tests read these."""
    rows = []
    for part in [report.total, *report.per_hub]:
        for section in part.sections:
            for label, values in section.rows:
                for column, value in zip(section.columns, values, strict=True):
                    rows.append((part.code, section.title, label, column, value))
    return rows
