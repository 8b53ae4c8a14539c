"""seed_demo's bulk path (issue 13): COPY on PostgreSQL (bulk_create on SQLite), --hubs, bench hubs,
ids from the sequences, and the invariants a load that bypasses the services and triggers must keep."""

import datetime as dt
import io
import sys
from collections import Counter, defaultdict

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F, Q, TextField
from django.db.models.functions import Cast

from adoption.models import BenefitActual, BenefitFollowUp, Case, Milestone, StageVisit, Survey
from devtools.management.commands.seed_demo import seed_demo
from hubportal.models import Hub, HubMembership
from intake import services
from intake.models import InformationRequest, Inquiry, InquiryEvent
from intake.selectors import inquiry_search
from intake.services import SEARCH_DOCUMENT
from signposting.models import Referral
from tests.factories import DraftFactory

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
on_postgresql = pytest.mark.skipif("connection.vendor != 'postgresql'")


def reference_number(reference):
    return int(reference.rsplit("-", 1)[1])


def assert_seeded_rows_hold_together(total, *, one_seed=True):
    """What the services and the foreign-key triggers would have guaranteed, checked set by set.

    `one_seed`: references rise with the time sent (two seeds date their inquiries over the same
    months, each numbering after the other)."""
    assert Inquiry.objects.count() == total
    references = list(Inquiry.objects.values_list("reference", flat=True))
    assert len(set(references)) == total
    # Per hub and year, numbers rise with the time sent.
    by_hub_year = defaultdict(list)
    for reference in Inquiry.objects.order_by("submitted_at", "pk").values_list("reference", flat=True):
        by_hub_year[reference.rsplit("-", 1)[0]].append(reference_number(reference))
    for numbers in by_hub_year.values():
        assert len(set(numbers)) == len(numbers)
        assert numbers == sorted(numbers) or not one_seed
    # Every inquiry has its timeline, starting with its creation and its sending.
    assert not Inquiry.objects.filter(events__isnull=True).exists()
    assert InquiryEvent.objects.filter(kind=InquiryEvent.Kind.SUBMITTED).values("inquiry").distinct().count() == total
    # Referrals go to partners serving the inquiry's hub.
    assert Referral.objects.exists()
    assert not Referral.objects.filter(~Q(partner__hubs=F("inquiry__hub")) & Q(partner__serves_all_hubs=False)).exists()
    # Each carries its inquiry's hub (the value report reads referrals by it).
    assert not Referral.objects.exclude(hub=F("inquiry__hub")).exists()
    # Every reference between seeded rows lands (the triggers that would check it were off on PostgreSQL).
    assert not InquiryEvent.objects.filter(inquiry__isnull=True).exists()
    assert not InformationRequest.objects.filter(inquiry__isnull=True).exists()
    assert Case.objects.filter(inquiry__hub=F("hub")).count() == Case.objects.count() > 0
    assert not StageVisit.objects.exclude(stage__hub=F("case__hub")).exists()
    # Rows of a case carry the case's hub (the value report reads them by it).
    for model in (StageVisit, Milestone, BenefitFollowUp):
        assert not model.objects.exclude(hub=F("case__hub")).exists(), model
    assert not Milestone.objects.filter(case__isnull=True).exists()
    assert not BenefitActual.objects.exclude(line__case=F("follow_up__case")).exists()
    assert not Survey.objects.exclude(hub=F("case__hub")).exists()
    assert not Inquiry.objects.filter(assignee__isnull=False).exclude(assignee__hub_memberships__hub=F("hub")).exists()
    assert Inquiry.objects.filter(status=Inquiry.Status.IN_SUPPORT).count() == Case.objects.filter(
        inquiry__status=Inquiry.Status.IN_SUPPORT).count()


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_it_spreads_inquiries_evenly_over_the_hubs_asked_for_adding_bench_hubs_with_their_teams(submitter):
    counts = seed_demo(inquiries=300, hubs=6, seed=21, batch_size=70)

    # The four demo hubs and two bench hubs, fifty inquiries each.
    per_hub = Counter(Inquiry.objects.values_list("hub__code", flat=True))
    assert per_hub == {"BAA": 50, "BAB": 50, "BDC": 50, "CAP": 50, "DOR": 50, "MAN": 50}
    bench = Hub.objects.get(code="BAA")
    assert bench.name == "Bench hub 01" and bench.is_active and bench.organisations.count() == 4
    assert Counter(HubMembership.objects.filter(hub=bench).values_list("role", flat=True)) == {"lead": 1, "member": 3}
    assert bench.checklists.filter(is_active=True).exists()
    assert_seeded_rows_hold_together(300)
    assert counts[Inquiry.Status.CLOSED] + counts[Inquiry.Status.IN_SUPPORT] > 150
    assert counts["events"] == InquiryEvent.objects.count()
    assert counts["cases"] == Case.objects.count()

    # The counters moved on: a submission now takes the number after the seeded ones.
    dorset = Hub.objects.get(code="DOR")
    year = NOW.year
    highest = max(reference_number(r) for r in Inquiry.objects.filter(reference__startswith=f"DOR-{year}-")
                  .values_list("reference", flat=True))
    sent = services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=dorset), by=submitter)
    assert sent.reference == f"DOR-{year}-{highest + 1:05d}"

    # Search finds seeded inquiries (the search document is the one the portal computes).
    found = inquiry_search(Inquiry.objects.filter(hub=dorset), "remote monitoring", hub=dorset)
    assert found.exists()
    assert all("remote monitoring" in " ".join([i.title, i.problem, i.proposed_innovation]).lower()
               for i in found)
    if connection.vendor == "postgresql":
        assert Inquiry.objects.annotate(document=Cast(SEARCH_DOCUMENT, TextField()),
                                        stored=Cast("search_vector", TextField())).filter(
            document=F("stored")).count() == 301


@pytest.mark.django_db
def test_asking_for_fewer_hubs_than_exist_uses_the_first_by_code_and_makes_none():
    call_command("load_demo", stdout=io.StringIO())
    seed_demo(inquiries=90, hubs=3, seed=22, now=NOW)

    assert Counter(Inquiry.objects.values_list("hub__code", flat=True)) == {"BDC": 30, "CAP": 30, "DOR": 30}
    assert Hub.objects.count() == 4


@pytest.mark.django_db
def test_hubs_and_a_hub_code_together_or_no_hubs_are_refused():
    call_command("load_demo", stdout=io.StringIO())
    with pytest.raises(CommandError, match="not both"):
        seed_demo(inquiries=5, hubs=2, hub_code="DOR")
    with pytest.raises(CommandError, match="at least 1"):
        call_command("seed_demo", inquiries=5, hubs=0)
    assert Inquiry.objects.count() == 0


@on_postgresql
@pytest.mark.django_db
def test_the_load_leaves_the_triggers_on_for_the_rest_of_the_transaction():
    seed_demo(inquiries=50, hub_code=None, seed=23, now=NOW)

    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"


@on_postgresql
@pytest.mark.django_db
def test_two_generator_processes_give_what_one_process_gives_for_the_same_seed():
    seed_demo(inquiries=240, hub_code="MAN", seed=24, now=NOW, workers=2, batch_size=40)
    first = list(Inquiry.objects.order_by("pk").values_list("title", "submitted_at", "status", "organisation"))
    events = InquiryEvent.objects.count()

    seed_demo(inquiries=240, hub_code="MAN", seed=24, now=NOW, workers=0, batch_size=40)

    second = list(Inquiry.objects.order_by("pk").values_list("title", "submitted_at", "status", "organisation"))[240:]
    assert second == first
    assert InquiryEvent.objects.count() == 2 * events
    assert_seeded_rows_hold_together(480, one_seed=False)


SEEDED_TABLES = ["intake_inquiry", "intake_inquiryevent", "signposting_referral", "adoption_milestone"]


def index_definitions():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
                       "ORDER BY 1, 2", [SEEDED_TABLES])
        return cursor.fetchall()


@on_postgresql
@pytest.mark.django_db
def test_a_load_larger_than_the_table_builds_its_indexes_at_the_end_exactly_as_the_migrations_made_them():
    before = index_definitions()
    assert len([row for row in before if row[0] == "intake_inquiry"]) > 30

    counts = seed_demo(inquiries=120, hub_code="DOR", seed=25, now=NOW, workers=2, batch_size=40)

    assert counts["indexes built"] > 30
    assert index_definitions() == before
    assert_seeded_rows_hold_together(120)
    # Each is valid and ready for the planner at once, in this same transaction.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE indisvalid AND indisready) FROM pg_index "
                       "WHERE indrelid = ANY(%s::regclass[])", [SEEDED_TABLES])
        indexes, usable = cursor.fetchone()
        assert indexes == usable == len(before)
    # The foreign keys are checked at commit again, as declared (INITIALLY DEFERRED): for a moment a
    # row may point at a parent that does not exist yet.
    ahead = InquiryEvent.objects.create(inquiry_id=10**9, kind=InquiryEvent.Kind.CREATED)
    ahead.delete()


@on_postgresql
@pytest.mark.django_db
def test_a_load_smaller_than_the_table_keeps_the_indexes_in_place():
    seed_demo(inquiries=80, hub_code="DOR", seed=26, now=NOW)

    counts = seed_demo(inquiries=20, hub_code="DOR", seed=27, now=NOW)

    assert "indexes built" not in counts
    assert Inquiry.objects.count() == 100


@on_postgresql
@pytest.mark.django_db
def test_a_failed_load_leaves_no_rows_and_every_index(monkeypatch):
    from devtools.management.commands import seed_demo as module

    before = index_definitions()
    real_generate, calls = module._generate, []

    def failing_on_the_third_batch(job):
        calls.append(job[0])
        if len(calls) == 3:
            raise RuntimeError("the generator broke")
        return real_generate(job)

    monkeypatch.setattr(module, "_generate", failing_on_the_third_batch)
    with pytest.raises(RuntimeError, match="the generator broke"):
        seed_demo(inquiries=200, hub_code="DOR", seed=28, now=NOW, workers=0, batch_size=40)

    assert Inquiry.objects.count() == 0 and InquiryEvent.objects.count() == 0
    assert index_definitions() == before


def on_batch_two(monkeypatch, then):
    """Make the generator call `then()` on batch 2 (the workers, forked after this, inherit it)."""
    from devtools.management.commands import seed_demo as module

    real_generate = module._generate

    def generate(job):
        if job[0] == 2:
            then()
        return real_generate(job)

    monkeypatch.setattr(module, "_generate", generate)


@on_postgresql
@pytest.mark.django_db
def test_a_failed_generator_process_rolls_everything_back(monkeypatch):
    before = index_definitions()

    def broken():
        raise RuntimeError("the generator broke")

    on_batch_two(monkeypatch, broken)
    with pytest.raises(CommandError, match="the generator broke"):
        seed_demo(inquiries=200, hub_code="DOR", seed=29, now=NOW, workers=2, batch_size=40)

    assert Inquiry.objects.count() == 0
    assert index_definitions() == before


@on_postgresql
@pytest.mark.django_db
def test_a_generator_process_killed_outright_stops_the_load_rather_than_hanging_it(monkeypatch):
    import os

    before = index_definitions()
    on_batch_two(monkeypatch, lambda: os._exit(9))  # as a process killed by the kernel: no traceback, no message
    with pytest.raises(CommandError, match="stopped \\(exit code 9\\)"):
        seed_demo(inquiries=200, hub_code="DOR", seed=30, now=NOW, workers=2, batch_size=40)

    assert Inquiry.objects.count() == 0
    assert index_definitions() == before


@on_postgresql
@pytest.mark.django_db
def test_a_generator_process_killed_halfway_through_sending_a_batch_stops_the_load(monkeypatch):
    """A worker's batch is megabytes: killed while it is halfway into the pipe, the worker must not
    leave the parent waiting for the rest (with one queue shared by the workers it did, for ever)."""
    import os
    import signal
    import struct
    from multiprocessing.connection import Connection
    from multiprocessing.reduction import ForkingPickler

    before = index_definitions()
    real_send, sent = Connection.send, []

    def dying_halfway_through_the_second_batch(self, obj):
        if obj[0] == "batch":
            sent.append(obj)
            if len(sent) == 2:
                message = bytes(ForkingPickler.dumps(obj))
                assert len(message) > 100_000  # more than a pipe holds: the parent reads while it is written
                os.write(self.fileno(), struct.pack("!i", len(message)) + message[:len(message) // 2])
                os._exit(9)
        return real_send(self, obj)

    def hung(signum, frame):
        raise AssertionError("the load hung")

    monkeypatch.setattr(Connection, "send", dying_halfway_through_the_second_batch)  # inherited by the workers
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        with pytest.raises(CommandError, match="stopped \\(exit code 9\\)"):
            seed_demo(inquiries=400, hub_code="DOR", seed=31, now=NOW, workers=2, batch_size=100)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)

    assert Inquiry.objects.count() == 0
    assert index_definitions() == before


def rollups_count_sent():
    """The number of sent inquiries as the metrics read it: one status_outcome key per inquiry."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(n), 0) FROM (SELECT n FROM intake_inquiryrollup WHERE dimension = "
                       "'status_outcome' UNION ALL SELECT n FROM intake_inquiryrollupdelta WHERE dimension = "
                       "'status_outcome') AS keys")
        return cursor.fetchone()[0]


@on_postgresql
@pytest.mark.django_db
def test_the_rollups_are_recounted_in_the_seeds_transaction_and_go_back_with_it(monkeypatch):
    from devtools.management.commands import seed_demo as module

    seed_demo(inquiries=60, hub_code="DOR", seed=32, now=NOW)
    assert rollups_count_sent() == Inquiry.objects.exclude(status=Inquiry.Status.DRAFT).count() == 60

    real_rebuild = module._rebuild_rollups

    def rebuilt_then_failed():
        real_rebuild()
        assert rollups_count_sent() == 100  # counted, in the seed's transaction
        raise RuntimeError("stopped just before the commit")

    monkeypatch.setattr(module, "_rebuild_rollups", rebuilt_then_failed)
    with pytest.raises(RuntimeError, match="before the commit"):
        seed_demo(inquiries=40, hub_code="DOR", seed=33, now=NOW)

    assert Inquiry.objects.count() == 60
    assert rollups_count_sent() == 60


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_seeded_tables_are_vacuumed_and_analysed_and_the_helper_connection_closed():
    from devtools.management.commands.seed_demo import _tables

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own = cursor.fetchone()[0]
        seen = []

        def other_backends():
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> %s",
                           [own])
            return [pid for (pid,) in cursor.fetchall()]

        assert other_backends() == []
        seed_demo(inquiries=60, hub_code="DOR", seed=34, now=NOW)

        cursor.execute("SELECT pg_stat_clear_snapshot()")
        tables = [table.name for table in _tables().values()] + ["hubportal_user"]
        cursor.execute("SELECT relname, vacuum_count, analyze_count FROM pg_stat_user_tables WHERE relname = ANY(%s)",
                       [tables])
        counted = {name: (vacuums, analyses) for name, vacuums, analyses in cursor.fetchall()}
        assert sorted(counted) == sorted(tables)
        assert all(vacuums >= 1 and analyses >= 1 for vacuums, analyses in counted.values()), counted
        # The helper thread's connection is closed, not left for the server to time out.
        seen = other_backends()
    assert seen == []
    assert Inquiry.objects.count() == 60


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_worker_dies_with_its_parent_wherever_it_is_waiting():
    """A parent killed while it wrote a job left a worker blocked reading the rest for ever: the kernel
    now kills the worker (PR_SET_PDEATHSIG). Here a parent forks a worker that blocks on a pipe no one
    writes to, then dies; the worker must be gone within seconds."""
    import os
    import time

    from devtools.management.commands.seed_demo import _die_with

    report_read, report_write = os.pipe()
    parent = os.fork()
    if parent == 0:  # the seed's parent
        seed_parent = os.getpid()  # taken before the fork, as the seed does: asked after it, a parent
        worker = os.fork()  # already gone would read as init, which never dies (CI saw that race once)
        if worker == 0:  # its worker
            _die_with(seed_parent)
            blocked_read, _never_written = os.pipe()
            os.read(blocked_read, 1)  # waits for ever, as on a half-written job
            os._exit(0)
        os.write(report_write, str(worker).encode())
        os._exit(0)  # the parent dies; its worker is left to the kernel
    os.close(report_write)
    worker = int(os.read(report_read, 32))
    os.waitpid(parent, 0)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        with open(f"/proc/{worker}/stat") as stat:
            if stat.read().split(") ", 1)[1].startswith("Z"):
                break  # killed, waiting for init to reap it
        time.sleep(0.05)
    else:
        os.kill(worker, 9)
        raise AssertionError("the worker outlived its parent")


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_vacuuming_from_another_thread_leaves_that_threads_own_connection_open():
    """Only the helper's connection is closed, whichever thread the seed runs in."""
    import threading

    from devtools.management.commands.seed_demo import _vacuum_analyse

    still_open = []

    def a_seed_in_its_own_thread():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            _vacuum_analyse(["intake_inquiry", "intake_inquiryevent", "hubportal_user"])
            still_open.append(connection.connection is not None)
        finally:
            connection.close()

    thread = threading.Thread(target=a_seed_in_its_own_thread)
    thread.start()
    thread.join()
    assert still_open == [True]
