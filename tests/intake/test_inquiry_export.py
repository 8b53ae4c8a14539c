"""The CSV export at scale: the same bytes as before it was made fast, and a fixed number of queries
per chunk of rows, never one per row (issue 13)."""

import datetime as dt
import os
import random
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hubportal.models import HubTheme
from intake import staff_views
from intake.models import Inquiry, InquiryAccess
from tests.factories import SubmittedFactory, UserFactory

EXPECTED = Path(__file__).parent / "data" / "inquiry_export_expected.csv"
# The exports compared byte for byte: the default order, sorted by columns with blanks, filtered, and a
# filter on words.
QUERIES = ["", "sort=title", "sort=-due", "sort=assignee", "sort=-score", "kind_of_help=funding&sort=oldest",
           "status=closed&sort=-sent", "organisation=trust&sort=reference", "sort=-kind"]
WHEN = dt.datetime(2026, 6, 15, 9, 30, tzinfo=dt.UTC)

TITLES = ["Falls sensor pilot", "=HYPERLINK(\"http://evil\")", "-1 day waits", "+44 helpline", "@home monitoring",
          "\tTabbed title", "Siân’s falls pilot", 'Quotes "inside", and commas', "Line\nbreak", "Zoë's app",
          "falls prevention at home", "  spaced title", "", "Ångström device", "Virtual ward"]
ORGANISATIONS = ["Dorset County Hospital NHS Foundation Trust", "=cmd|' /C calc'!A0", "", "Zoë Ltd", "@Trust",
                 "-minus Trust", "Poole GP practice, Dorset"]


def _dataset(hub, other_hub, hub_lead):
    """40 inquiries of the hub with every kind of cell (formulas, blanks, unknown and local codes, dates
    either side of the clocks changing), and one of another hub that must never appear."""
    rng = random.Random(13)
    member = UserFactory(email="alex@example.nhs.uk", full_name="Alex Ng")
    HubTheme.objects.create(hub=hub, code="local-dor-frailty", label="Dorset frailty")
    statuses = [s for s in Inquiry.Status.values if s != "draft"]
    for n in range(40):
        submitted = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC) + dt.timedelta(days=rng.randint(0, 160),
                                                                                 minutes=rng.randint(0, 900))
        status = rng.choice(statuses)
        SubmittedFactory(
            hub=hub, reference=f"DOR-2026-{n + 1:05d}", title=rng.choice(TITLES), status=status,
            kind_of_help=rng.choice(["new_idea", "funding", "evaluation", "procurement"]),
            innovation_type=rng.choice(["digital", "medical_device", ""]), stage=rng.choice(["idea", "piloted", ""]),
            support_needed=rng.sample(["evaluation", "funding", "information_governance", "retired_need"],
                                      rng.randint(0, 3)),
            themes=rng.sample(["health_inequalities", "local-dor-frailty", "core20", "unknown-theme"],
                              rng.randint(0, 2)),
            organisation=rng.choice(ORGANISATIONS), role=rng.choice(["Ward manager", "=role", ""]),
            submitted_at=submitted, triage_due_on=rng.choice([None, submitted.date() + dt.timedelta(days=5)]),
            first_response_at=rng.choice([None, submitted + dt.timedelta(hours=30)]),
            decided_at=rng.choice([None, submitted + dt.timedelta(days=20, hours=3)]),
            outcome=rng.choice(Inquiry.Outcome.values) if status == "closed" else "",
            assignee=rng.choice([None, hub_lead, member]),
        )
    SubmittedFactory(hub=other_hub, reference="MAN-2026-00001", title="Falls elsewhere", kind_of_help="funding")


def _export(client, hub, query):
    response = client.get(reverse("intake:staff_inquiry_export", args=[hub.slug]) + ("?" + query if query else ""))
    assert response.status_code == 200 and response.streaming
    return b"".join(response.streaming_content)


def _all_exports(client, hub):
    return b"".join(b"### " + q.encode() + b"\n" + _export(client, hub, q) for q in QUERIES)


@pytest.mark.django_db
@time_machine.travel(WHEN, tick=False)
def test_the_export_writes_the_same_bytes_as_before_it_was_made_fast(lead_client, hub, other_hub, hub_lead):
    _dataset(hub, other_hub, hub_lead)
    body = _all_exports(lead_client, hub)
    if os.environ.get("WRITE_EXPORT_EXPECTED"):  # only to record the export of the code before the rewrite
        EXPECTED.write_bytes(body)
    assert body == EXPECTED.read_bytes()
    assert b"MAN-2026-00001" not in body


def _count_export_queries(client, hub):
    with CaptureQueriesContext(connection) as queries:
        body = _export(client, hub, "")
    return len(queries.captured_queries), body.count(b"\n") - 1


@pytest.mark.django_db
def test_the_export_issues_the_same_queries_for_3_rows_as_for_60(lead_client, hub):
    SubmittedFactory.create_batch(3, hub=hub)
    small, rows = _count_export_queries(lead_client, hub)
    assert rows == 3
    SubmittedFactory.create_batch(57, hub=hub)
    large, rows = _count_export_queries(lead_client, hub)
    assert rows == 60
    assert small == large
@pytest.mark.django_db
def test_the_export_reads_and_records_each_chunk_of_rows_in_a_fixed_number_of_queries(lead_client, hub,
                                                                                      monkeypatch):
    SubmittedFactory.create_batch(12, hub=hub)
    one_chunk, _ = _count_export_queries(lead_client, hub)
    InquiryAccess.objects.all().delete()
    monkeypatch.setattr(staff_views, "EXPORT_CHUNK", 5)
    three_chunks, rows = _count_export_queries(lead_client, hub)
    assert rows == 12
    # Per further chunk: one read of its rows and one insert into the access log.
    assert three_chunks == one_chunk + 2 * 2
    # One access row a chunk, listing its inquiries.
    assert sorted(len(ids) for ids in InquiryAccess.objects.filter(what="CSV export")
                  .values_list("inquiry_ids", flat=True)) == [2, 5, 5]
