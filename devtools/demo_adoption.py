"""Demo cases in support for seed_demo: every inquiry the seed took into support gets a case in its hub's
stages (every stage populated), with gate decisions, milestones (some overdue), benefit lines with
follow-ups and actuals, and end-of-support surveys with answers, so the stage board and the value report
have something to show on `make run`. Rows go in with bulk_create; nothing is dated in the future.
"""

import datetime as dt
from decimal import Decimal

from adoption.models import (
    Barrier,
    BenefitActual,
    BenefitFollowUp,
    BenefitLine,
    Case,
    GateDecision,
    Milestone,
    StageVisit,
    Survey,
)
from adoption.services import add_months, hub_stages
from intake.models import Inquiry, InquiryEvent

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


def seed_adoption(*, rng, now, hubs, batch_size=2000):
    """Cases for the seeded inquiries in support (or closed after support) of `hubs` that have none."""
    stages = {hub.pk: hub_stages(hub) for hub in hubs}
    started = (InquiryEvent.objects.filter(kind=InquiryEvent.Kind.SUPPORT_STARTED, inquiry__hub__in=hubs,
                                           inquiry__adoption_case__isnull=True)
               .values_list("inquiry_id", "inquiry__hub_id", "created_at", "inquiry__status", "inquiry__outcome",
                            "inquiry__closed_at", "inquiry__submitter__email", "inquiry__contact_name",
                            "actor_id"))
    cases, plans = [], []
    for inquiry_id, hub_id, support_at, status, outcome, closed_at, email, name, actor_id in started:
        path = stages[hub_id]
        end = closed_at or now
        if status == Inquiry.Status.IN_SUPPORT:
            reached = rng.choices(range(len(path)), weights=[5, 3, 2][:len(path)])[0]
            case_status = rng.choices(["active", "on_hold", "parked"], weights=[75, 15, 10])[0]
        elif outcome == Inquiry.Outcome.ADOPTED:
            reached, case_status = len(path) - 1, "completed"
        else:
            reached, case_status = rng.randint(0, max(0, len(path) - 2)), "stopped"
        entries = sorted(_between(rng, support_at, end) for _ in range(reached))
        entries = [support_at, *entries]
        case = Case(inquiry_id=inquiry_id, hub_id=hub_id, stage=path[reached], status=case_status,
                    started_at=support_at, stage_entered_at=entries[-1], sponsor_name=name, sponsor_email=email,
                    ended_at=closed_at, version=reached,
                    review_on=(now + dt.timedelta(days=rng.randint(7, 60))).date()
                    if case_status in ("on_hold", "parked") else None)
        cases.append(case)
        plans.append((case, path, reached, entries, end, actor_id, closed_at))
    Case.objects.bulk_create(cases, batch_size=batch_size)

    visits, decisions, milestones, lines, follow_ups, surveys = [], [], [], [], [], []
    pending_actuals = []
    for case, path, reached, entries, end, actor_id, closed_at in plans:
        for index in range(reached + 1):
            left = entries[index + 1] if index < reached else (closed_at if case.ended_at else None)
            visits.append(StageVisit(case=case, stage=path[index], entered_at=entries[index], left_at=left))
            if index < reached and actor_id:
                decisions.append(GateDecision(case=case, decision="progress", from_stage=path[index],
                                              to_stage=path[index + 1], decided_by_id=actor_id,
                                              rationale="Exit criteria met", decided_at=entries[index + 1]))
        if actor_id and case.status in ("stopped", "on_hold", "parked"):
            decision = {"stopped": "stop", "on_hold": "hold", "parked": "park"}[case.status]
            decisions.append(GateDecision(case=case, decision=decision, from_stage=path[reached],
                                          decided_by_id=actor_id, rationale="Decided at the gate",
                                          barrier=rng.choice(Barrier.values), review_on=case.review_on,
                                          outcome="not_progressed" if decision == "stop" else "",
                                          decided_at=min(end, entries[-1] + dt.timedelta(days=rng.randint(1, 30)))))
        for title in rng.sample(MILESTONES, 2):
            due = (entries[-1] + dt.timedelta(days=rng.randint(14, 120))).date()
            done = due < now.date() and rng.random() < 0.7
            milestones.append(Milestone(case=case, stage=path[reached], title=title, owner_name="Project lead",
                                        due_on=due, done_at=dt.datetime.combine(due, dt.time(12), tzinfo=dt.UTC)
                                        if done else None, created_at=entries[-1]))
        if reached >= 1:
            case_lines = [BenefitLine(case=case, measure=m, unit=u, baseline=b, target=t, created_at=entries[1])
                          for m, u, b, t in rng.sample(BENEFITS, 2)]
            lines += case_lines
            if path[reached].starts_benefit_follow_ups:
                adopt_on = entries[reached].date()
                for months in (3, 6, 12):
                    due = add_months(adopt_on, months)
                    follow_up = BenefitFollowUp(case=case, months=months, due_on=due)
                    follow_ups.append(follow_up)
                    if due < now.date() and rng.random() < 0.8:
                        pending_actuals.append((follow_up, case_lines, months, due))
        if case.ended_at is not None:
            answered = rng.random() < 0.6
            surveys.append(Survey(case=case, hub_id=case.hub_id, sent_at=case.ended_at,
                                  answered_at=case.ended_at + dt.timedelta(days=rng.randint(1, 10)) if answered
                                  else None,
                                  satisfaction=rng.randint(6, 10) if answered else None,
                                  would_recommend=rng.randint(5, 10) if answered else None,
                                  comment="The hub's support made the difference." if answered else ""))
    StageVisit.objects.bulk_create(visits, batch_size=batch_size)
    GateDecision.objects.bulk_create(decisions, batch_size=batch_size)
    Milestone.objects.bulk_create(milestones, batch_size=batch_size)
    BenefitLine.objects.bulk_create(lines, batch_size=batch_size)
    BenefitFollowUp.objects.bulk_create(follow_ups, batch_size=batch_size)
    actuals, recorded = [], []
    for follow_up, case_lines, months, due in pending_actuals:
        for line in case_lines:
            # Part of the way from the baseline to the target, further at each follow-up.
            share = Decimal({3: "0.4", 6: "0.7", 12: "1.0"}[months]) * Decimal(str(round(rng.uniform(0.6, 1.2), 2)))
            value = (line.baseline + (line.target - line.baseline) * share).quantize(Decimal("0.01"))
            actuals.append(BenefitActual(follow_up=follow_up, line=line, value=value, recorded_by_email=
                                         follow_up.case.sponsor_email,
                                         recorded_at=dt.datetime.combine(due, dt.time(12), tzinfo=dt.UTC)))
        follow_up.recorded_at = dt.datetime.combine(due, dt.time(12), tzinfo=dt.UTC)
        recorded.append(follow_up)
    BenefitActual.objects.bulk_create(actuals, batch_size=batch_size)
    BenefitFollowUp.objects.bulk_update(recorded, ["recorded_at"], batch_size=batch_size)
    Survey.objects.bulk_create(surveys, batch_size=batch_size)
    return {"cases": len(cases), "milestones": len(milestones), "benefit lines": len(lines),
            "benefit actuals": len(actuals), "surveys": len(surveys)}
