"""Demo cases in support for seed_demo: every inquiry the seed took into support gets a case in its hub's
stages (every stage populated), with its stage visits, milestones (some overdue), benefit lines with
follow-ups and actuals, and end-of-support surveys with answers, so the stage board and the value report
have something to show on `make run`. seed_demo calls `case_rows` as it writes each inquiry, so the rows go
in with the inquiry's batch (COPY on PostgreSQL, bulk_create elsewhere); nothing is dated in the future.
"""

import datetime as dt
from decimal import Decimal

from adoption.services import add_months
from intake.models import Inquiry

# (measure, unit, baseline, target): the kinds of benefit the hubs' evaluation names.
BENEFITS = [
    ("Falls per 1,000 bed days", "per_1000_bed_days", Decimal("6.8"), Decimal("5.0")),
    ("Clinician hours saved a month", "hours", Decimal("0"), Decimal("120")),
    ("Agency staff cost a quarter", "gbp", Decimal("48000"), Decimal("30000")),
    ("Outpatient appointments avoided a month", "count", Decimal("0"), Decimal("80")),
    ("Average length of stay (days)", "days", Decimal("7.4"), Decimal("6.0")),
]
MILESTONES = ["Project plan agreed", "Clinical lead named", "Data protection impact assessment done",
              "Pilot ward chosen", "Evaluation plan agreed", "Business case to the ICB", "Go-live on first site"]


def _between(rng, start, end):
    seconds = max(0, int((end - start).total_seconds()))
    return start + dt.timedelta(seconds=rng.randint(0, seconds))


def case_rows(rng, *, now, out, ids, inquiry_id, hub_id, path, support_at, status, outcome, closed_at, email, name):
    """The case of one inquiry the seed took into support (in support, or closed after support).

    Appends row tuples to `out` (keyed by table, columns as in seed_demo's TABLES) and takes the ids
    of the rows others point at from `ids` (cases, benefit lines, follow-ups). The support-started
    timeline line has no actor (a partner's acceptance starts it), so no gate decisions are made, as
    before: the board shows stages and milestones, the value report benefits and surveys.
    """
    end = closed_at or now
    if status == Inquiry.Status.IN_SUPPORT:
        reached = rng.choices(range(len(path)), weights=[5, 3, 2][:len(path)])[0]
        case_status = rng.choices(["active", "on_hold", "parked"], weights=[75, 15, 10])[0]
    elif outcome == Inquiry.Outcome.ADOPTED:
        reached, case_status = len(path) - 1, "completed"
    else:
        reached, case_status = rng.randint(0, max(0, len(path) - 2)), "stopped"
    entries = [support_at, *sorted(_between(rng, support_at, end) for _ in range(reached))]
    case_id = ids.case()
    review_on = ((now + dt.timedelta(days=rng.randint(7, 60))).date()
                 if case_status in ("on_hold", "parked") else None)
    out["case"].append((case_id, inquiry_id, hub_id, path[reached].pk, case_status, support_at, entries[-1], name,
                        email, closed_at, reached, review_on))
    for index in range(reached + 1):
        left = entries[index + 1] if index < reached else closed_at
        out["stage_visit"].append((case_id, path[index].pk, entries[index], left, hub_id))
    for title in rng.sample(MILESTONES, 2):
        due = (entries[-1] + dt.timedelta(days=rng.randint(14, 120))).date()
        done = due < now.date() and rng.random() < 0.7
        out["milestone"].append((case_id, path[reached].pk, title, "Project lead", due,
                                 dt.datetime.combine(due, dt.time(12), tzinfo=dt.UTC) if done else None, entries[-1],
                                 hub_id))
    if reached >= 1:
        lines = []
        for measure, unit, baseline, target in rng.sample(BENEFITS, 2):
            line_id = ids.line()
            lines.append((line_id, baseline, target))
            out["benefit_line"].append((line_id, case_id, measure, unit, baseline, target, entries[1]))
        if path[reached].starts_benefit_follow_ups:
            adopt_on = entries[reached].date()
            for months in (3, 6, 12):
                due = add_months(adopt_on, months)
                follow_up_id = ids.follow_up()
                recorded_at = None
                if due < now.date() and rng.random() < 0.8:
                    recorded_at = dt.datetime.combine(due, dt.time(12), tzinfo=dt.UTC)
                    for line_id, baseline, target in lines:
                        # Part of the way from the baseline to the target, further at each follow-up.
                        share = (Decimal({3: "0.4", 6: "0.7", 12: "1.0"}[months])
                                 * Decimal(str(round(rng.uniform(0.6, 1.2), 2))))
                        value = (baseline + (target - baseline) * share).quantize(Decimal("0.01"))
                        out["benefit_actual"].append((follow_up_id, line_id, value, email, recorded_at))
                out["benefit_follow_up"].append((follow_up_id, case_id, months, due, recorded_at, hub_id))
    if closed_at is not None:
        answered = rng.random() < 0.6
        out["survey"].append((case_id, hub_id, closed_at,
                              closed_at + dt.timedelta(days=rng.randint(1, 10)) if answered else None,
                              rng.randint(6, 10) if answered else None, rng.randint(5, 10) if answered else None,
                              "The hub's support made the difference." if answered else ""))
