"""The rollups (intake.rollups, PostgreSQL only) give exactly the figures of counting the inquiries
themselves, after seeding and after every kind of change, inside the transaction that made it; and
compacting, rebuilding and the query counts at two data sizes (issue 13)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction

import adoption.report
import intake.metrics
from adoption import services as adoption_services
from adoption.models import Case
from adoption.report import value_report, value_report_rows
from hubportal.workdays import LONDON, add_working_days
from intake import services
from intake.metrics import hub_metrics, hub_metrics_rows
from intake.models import Inquiry, InquiryRollup, InquiryRollupDelta, InquiryRollupMonth
from intake.personal_data import erase
from intake.rollups import rollups_compact, rollups_rebuild
from signposting import services as signposting
from tests.factories import DraftFactory, SubmittedFactory, UserFactory
from tests.partners.factories import PartnerContactFactory, PartnerFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="rollups are kept on PostgreSQL only")

NOW = dt.datetime(2026, 6, 30, 11, 0, tzinfo=LONDON)  # a Tuesday
PERIODS = [(None, None), (dt.date(2026, 5, 1), dt.date(2026, 6, 30)), (dt.date(2026, 6, 1), None)]


def live(monkeypatch, read):
    """`read()` counted from the inquiries themselves, as SQLite does (the other path of the same code)."""
    with monkeypatch.context() as patch:
        patch.setattr(intake.metrics, "rollups_available", lambda: False)
        patch.setattr(adoption.report, "rollups_available", lambda: False)
        return read()


def figures(hub):
    """Every figure of the metrics page for each period, and of the value report for its period."""
    pages = [hub_metrics_rows(hub_metrics(hub=hub, date_from=start, date_to=end)) for start, end in PERIODS]
    report = value_report_rows(value_report(hubs=[hub], date_from=dt.date(2025, 7, 1), date_to=dt.date(2026, 6, 30)))
    return pages, report


def assert_rollups_match(monkeypatch, hub):
    from_rollups = figures(hub)
    assert from_rollups == live(monkeypatch, lambda: figures(hub))
    return from_rollups


def sent_total(hub):
    return hub_metrics(hub=hub).total


@pytest.fixture
def seeded(hub, other_hub):
    """Inquiries of every status over two months, sent across weekends, with first responses, decisions,
    JSON lists with several codes, organisations, sectors and sources; a draft; another hub's."""
    rows = []
    with time_machine.travel(NOW - dt.timedelta(days=70), tick=False):
        for i in range(40):
            when = NOW - dt.timedelta(days=60 - i * 1.5, hours=i % 5)
            status = [Inquiry.Status.SUBMITTED, Inquiry.Status.IN_REVIEW, Inquiry.Status.ROUTED,
                      Inquiry.Status.CLOSED][i % 4]
            rows.append(SubmittedFactory(
                hub=hub, submitted_at=when, status=status,
                triage_due_on=add_working_days(when, hub.triage_target_working_days),
                kind_of_help=["new_idea", "problem", "funding", ""][i % 4], stage=["idea", "piloted", ""][i % 3],
                sector=["nhs_trust", "", "industry"][i % 3] if i % 2 else "",
                source=["web", "email", "phone"][i % 3],
                themes=[["digital_inclusion", "core20"], [], ["maternity"]][i % 3],
                support_needed=[["funding", "evaluation"], ["funding"], []][i % 3],
                organisation=f"Trust {i % 6}" if i % 7 else "",
                first_response_at=when + dt.timedelta(days=i % 9) if i % 3 else None,
                decided_at=when + dt.timedelta(days=3 + i % 11) if status != Inquiry.Status.SUBMITTED else None,
                outcome="adopted" if status == Inquiry.Status.CLOSED else ""))
        DraftFactory(hub=hub)
        SubmittedFactory(hub=other_hub, submitted_at=NOW - dt.timedelta(days=3))
    return rows


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_rollups_give_the_live_figures_after_seeding_and_after_compacting_and_rebuilding(
        monkeypatch, hub, seeded):
    before = assert_rollups_match(monkeypatch, hub)
    assert sent_total(hub) == 40
    assert InquiryRollupDelta.objects.exists()

    rollups_compact()
    assert not InquiryRollupDelta.objects.exists()
    assert figures(hub) == before
    # One row per key once folded.
    assert InquiryRollup.objects.filter(hub=hub, dimension="status_outcome").count() == len(
        set(InquiryRollup.objects.filter(hub=hub, dimension="status_outcome").values_list("day", "value")))
    # The months hold the medians' pairs as working days.
    assert sum(InquiryRollupMonth.objects.filter(hub=hub, dimension="decision").values_list("n", flat=True)) == 30
    assert all(value.lstrip("-").isdigit() for value in
               InquiryRollupMonth.objects.filter(dimension__in=["decision", "first_response"])
               .values_list("value", flat=True))

    InquiryRollup.objects.all().delete()  # damage them: a rebuild counts everything again
    InquiryRollupMonth.objects.all().delete()
    assert sent_total(hub) == 0
    rollups_rebuild()
    assert figures(hub) == before


@pytest.mark.django_db(transaction=True)
@time_machine.travel(NOW, tick=False)
def test_every_kind_of_change_moves_the_rollups_in_its_own_transaction(monkeypatch, hub, hub_lead, seeded):
    """Each change is made by the service a person's action calls (or the conditional update a race
    guard makes), and the figures are read inside that transaction, before it commits."""
    submitter = UserFactory()
    contact = PartnerContactFactory(partner=PartnerFactory(hubs=[hub]))
    steps = []

    def step(name, change):
        with transaction.atomic():
            change()
            # Read inside the transaction that made the change: the rollups already include it.
            assert_rollups_match(monkeypatch, hub)
        steps.append(name)
        assert_rollups_match(monkeypatch, hub)

    def fresh(pk):
        return Inquiry.objects.get(pk=pk)

    draft = DraftFactory(hub=hub, submitter=submitter, sector="nhs_trust")
    total = sent_total(hub)

    def submit():
        services.inquiry_submit(inquiry=draft, by=submitter)
        assert sent_total(hub) == total + 1

    step("submit", submit)
    step("start review", lambda: services.inquiry_start_review(inquiry=fresh(draft.pk), by=hub_lead,
                                                               version=fresh(draft.pk).version))
    step("request information", lambda: services.inquiry_request_info(
        inquiry=fresh(draft.pk), by=hub_lead, question="Which wards?", version=fresh(draft.pk).version))
    step("answer", lambda: services.inquiry_answer_info(inquiry=fresh(draft.pk), by=submitter, answer="Two"))
    step("refer", lambda: signposting.referral_send(inquiry=fresh(draft.pk), partner=contact.partner, by=hub_lead,
                                                   message="Please evaluate"))
    referral = fresh(draft.pk).referrals.get()
    # Reopening: the last referral closes and the inquiry goes back to in review (a conditional update).
    step("reopen", lambda: signposting.referral_close_by_hub(referral=referral, by=hub_lead))
    assert fresh(draft.pk).status == Inquiry.Status.IN_REVIEW
    step("refer again", lambda: signposting.referral_send(inquiry=fresh(draft.pk), partner=contact.partner,
                                                         by=hub_lead, message="Please evaluate"))
    again = fresh(draft.pk).referrals.exclude(pk=referral.pk).get()
    step("partner accepts", lambda: signposting.referral_accept(referral=again, contact=contact))
    if fresh(draft.pk).status != Inquiry.Status.IN_SUPPORT:
        step("take into support", lambda: services.inquiry_start_support(inquiry=fresh(draft.pk), by=hub_lead,
                                                                         version=fresh(draft.pk).version))
    case = Case.objects.get(inquiry=draft)
    line = {}

    def benefits():
        line["line"] = adoption_services.benefit_line_add(case=case, by=hub_lead, measure="Bed days", unit="days",
                                                          baseline=Decimal(10), target=Decimal(5))

    step("benefit line", benefits)
    step("gate decision", lambda: adoption_services.case_decide(
        case=Case.objects.get(pk=case.pk), by=hub_lead, decision="stop", rationale="No budget", version=None,
        barrier="funding", outcome="not_progressed"))

    open_one = next(i for i in seeded if i.status == Inquiry.Status.SUBMITTED)
    step("close with an outcome", lambda: services.inquiry_close(
        inquiry=fresh(open_one.pk), by=hub_lead, outcome="withdrawn", reason="Asked to", version=fresh(open_one.pk).version))
    routed = next(i for i in seeded if i.status == Inquiry.Status.ROUTED and i.consent_share_with_partners)
    step("consent withdrawn", lambda: services.inquiry_withdraw_consent(inquiry=fresh(routed.pk), by=routed.submitter))
    # A race guard's conditional update, as the lifecycle writes it (no save(), no signal).
    in_review = next(i for i in seeded if i.status == Inquiry.Status.IN_REVIEW)
    step("conditional update", lambda: Inquiry.objects.filter(pk=in_review.pk, status=Inquiry.Status.IN_REVIEW)
         .update(status=Inquiry.Status.AWAITING_INFO, first_response_at=NOW, organisation="Trust 9"))
    step("erasure", lambda: erase(user=seeded[5].submitter, hub=hub, by=hub_lead))
    assert fresh(seeded[5].pk).anonymised_at is not None
    step("edit the lists", lambda: Inquiry.objects.filter(pk=seeded[6].pk).update(
        themes=["core20", "core20", "net_zero"], support_needed=[], kind_of_help="evaluation", hub=hub))
    step("move to another hub", lambda: Inquiry.objects.filter(pk=seeded[7].pk).update(
        hub=Inquiry.objects.exclude(hub=hub).exclude(hub=None).values_list("hub", flat=True).first()))
    step("delete", lambda: fresh(seeded[8].pk).delete())
    assert sent_total(hub) == total - 1  # one sent, one moved away, one deleted; the erased one still counts
    assert len(steps) >= 17

    # A change rolled back leaves no trace in the rollups.
    before = figures(hub)
    with pytest.raises(RuntimeError), transaction.atomic():
        Inquiry.objects.filter(hub=hub).exclude(status=Inquiry.Status.DRAFT).update(
            status=Inquiry.Status.CLOSED, outcome="duplicate")
        assert hub_metrics(hub=hub).statuses.figures[-1].value == sent_total(hub)
        raise RuntimeError("roll back")
    assert figures(hub) == before
    rollups_compact()
    assert figures(hub) == before


def make_inquiries(hub, count):
    for i in range(count):
        when = NOW - dt.timedelta(days=i % 300, hours=i % 7)
        SubmittedFactory(hub=hub, submitted_at=when, organisation=f"Trust {i}", themes=["core20"],
                         first_response_at=when + dt.timedelta(days=i % 4), decided_at=when + dt.timedelta(days=i % 13),
                         status=Inquiry.Status.CLOSED if i % 2 else Inquiry.Status.ROUTED,
                         outcome="adopted" if i % 2 else "")


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_both_pages_keep_a_fixed_query_count_as_the_hub_grows(hub, lead_client, settings):
    from django.test.utils import CaptureQueriesContext

    settings.VALUE_REPORT_MAX_AGE_MINUTES = 0  # the report's own queries, every time (no snapshot)
    from django.urls import reverse

    urls = [reverse("intake:staff_metrics", args=[hub.slug]),
            reverse("adoption:value_report", args=[hub.slug]) + "?from=2025-07-01&to=2026-06-30"]

    def queries():
        counts = []
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                assert lead_client.get(url).status_code == 200
            counts.append(len(captured))
        return counts

    make_inquiries(hub, 3)
    queries()  # the session and its device are loaded once warmed up
    small = queries()
    make_inquiries(hub, 120)
    assert queries() == small
    rollups_compact()
    assert queries() == small
    assert sent_total(hub) == 123
    # The page: the session, the membership, the hub, the themes, three rollup queries and the lay review
    # panel; the report: its front door is one rollup query.
    assert small == [9, 21]


@pytest.mark.django_db
def test_a_rebuild_counts_with_more_work_mem_and_gives_the_callers_setting_back():
    """The recount's hash table spilled to disk with the default 4 MB (intake.rollups.REBUILD_WORK_MEM);
    the caller's transaction (seed_demo's, say) gets its own setting back afterwards."""
    from intake.rollups import REBUILD_WORK_MEM

    during_the_count = []

    def noting_work_mem(execute, sql, params, many, context):
        if sql.lstrip().startswith("INSERT INTO intake_inquiryrollup "):
            with connection.cursor() as probe:
                probe.execute("SHOW work_mem")
                during_the_count.append(probe.fetchone()[0])
        return execute(sql, params, many, context)

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '5MB'")
        with connection.execute_wrapper(noting_work_mem):
            rollups_rebuild()
        cursor.execute("SHOW work_mem")
        assert cursor.fetchone()[0] == "5MB"
    assert during_the_count == [REBUILD_WORK_MEM]
