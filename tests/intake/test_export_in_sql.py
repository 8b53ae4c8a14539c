"""On PostgreSQL the CSV export's text is made by the database (issue 13); Python's cells and csv.writer
remain the rule, and SQLite's way. These tests give both ways the cells most likely to come out
differently (formulas, quotes, commas, line breaks, unicode, empty against NULL, unknown codes, the
hub's own theme labels, times either side of the clocks changing) and compare the bytes."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.http import QueryDict
from django.urls import reverse

from hubportal.models import HubTheme
from intake import selectors, staff_views
from intake.access_log import access_log_for_inquiry
from intake.models import Inquiry, InquiryAccess
from intake.triage_forms import InquiryFilterForm
from tests.factories import SubmittedFactory, UserFactory

WHEN = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the export's SQL is PostgreSQL's")

HOSTILE = [
    "", " ", "plain", "=1+1", "+44 1234", "-1", "@SUM(A1)", "\tTabbed", "\rCarriage", "\nNew line first",
    "'already quoted", "a,b", 'say "hi"', '"', '""', ",", "Line\nbreak", "Line\r\nbreak", "cr\ronly",
    "=a,b", '="x"', "\r\n", "trailing\n", " =not first", "Zoë’s Siân", "Ångström 😀 device", "مرحبا",
    "a\u2028b", "non\u00a0breaking", "tab\tinside", "back\\slash", "50% %s %(x)s", "semi; colon", "-",
    "'", "e\u0301",
]
# Codes no label knows, written as they are (and so through the same cell rules).
ODD_CODES = ["", "=cmd", "retired, code", 'q"uote', "-x", "line\nbreak", "niño"]
# Times either side of the clocks changing in London, of midnight, and a minute's last microsecond.
TIMES = [None, dt.datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=dt.UTC),
         dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC), dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC),
         dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC), dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC),
         dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC), dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)]


def _hostile_dataset(hub, other_hub, hub_lead):
    """An inquiry for each hostile text in every free-text column, with unknown codes, odd theme labels
    of the hub's own, assignees with and without names, and no assignee at all."""
    HubTheme.objects.create(hub=hub, code="local-dor-quoted", label='=Frailty, "Dorset"')
    HubTheme.objects.create(hub=hub, code="local-dor-lines", label="Falls\r\nprevention 50% %s")
    HubTheme.objects.create(hub=hub, code="local-dor-minus", label="-minus first")
    HubTheme.objects.create(hub=other_hub, code="local-man-other", label="Another hub's label")
    people = [None, hub_lead, UserFactory(full_name=""), UserFactory(full_name='=Ng, "Alex"'),
              UserFactory(full_name="Zoë\nSiân")]
    themes = ["health_inequalities", "local-dor-quoted", "local-dor-lines", "local-dor-minus", "core20", "local-man-other", *ODD_CODES]
    needs = ["evaluation", "partners", "digital", *ODD_CODES]
    statuses = [s for s in Inquiry.Status.values if s != "draft"] + ["=odd", "a,b"]
    for k, text in enumerate(HOSTILE):
        SubmittedFactory(
            hub=hub, reference=f"DOR-2026-{k + 1:05d}" if k % 5 else HOSTILE[(k + 3) % len(HOSTILE)][:20] or "=R",
            title=text, organisation=HOSTILE[(k + 1) % len(HOSTILE)], role=HOSTILE[(k + 2) % len(HOSTILE)],
            status=statuses[k % len(statuses)],
            kind_of_help=["funding", "new_idea", *ODD_CODES][k % (2 + len(ODD_CODES))],
            innovation_type=["digital", "", *ODD_CODES][k % (2 + len(ODD_CODES))],
            stage=[*ODD_CODES, "idea"][k % (1 + len(ODD_CODES))],
            outcome=["adopted", "", *ODD_CODES][(k + 1) % (2 + len(ODD_CODES))],
            support_needed=[needs[(k + j) % len(needs)] for j in range(k % 9)],  # past _LIST_READ_BY_ELEMENT too
            themes=[themes[(k * 3 + j) % len(themes)] for j in range(k % 8)],
            submitted_at=TIMES[1 + k % (len(TIMES) - 1)], first_response_at=TIMES[k % len(TIMES)],
            decided_at=TIMES[(k + 3) % len(TIMES)],
            triage_due_on=[None, dt.date(2026, 3, 29), dt.date(2026, 12, 31)][k % 3],
            assignee=people[k % len(people)],
        )
    SubmittedFactory(hub=other_hub, reference="MAN-2026-00001", title="=elsewhere", themes=["local-man-other"])


def _both_ways(hub, user, query, chunk_size):
    """The export's body (without its heading) and the keys it records, made by Python and by SQL."""
    filters = InquiryFilterForm(QueryDict(query), hub=hub).filters()
    rows = selectors.inquiry_filter(hub=hub, user=user, filters=filters)
    made = []
    for way in (staff_views._export_texts_in_python, staff_views._export_texts_in_sql):
        texts = list(way(rows, hub, chunk_size))
        made.append(("".join(text for text, _ in texts), [key for _, keys in texts for key in keys]))
    return made


@on_postgresql
@pytest.mark.django_db
@time_machine.travel(WHEN, tick=False)
@pytest.mark.parametrize("query", ["", "sort=title", "sort=-assignee", "sort=-kind", "status=closed&sort=-sent"])
@pytest.mark.parametrize("chunk_size", [1, 7, 2000])
def test_postgresql_writes_the_same_bytes_as_python_for_hostile_cells(hub, other_hub, hub_lead, query, chunk_size):
    _hostile_dataset(hub, other_hub, hub_lead)
    (python_text, python_keys), (sql_text, sql_keys) = _both_ways(hub, hub_lead, query, chunk_size)
    assert sql_text == python_text
    assert sql_keys == python_keys
    assert python_keys, "the query exports something"
    if not query:
        # Every hostile row is there, in order, and the CSV reads back as what was stored.
        exported = list(csv.reader(io.StringIO(python_text, newline="")))
        assert len(exported) == len(HOSTILE) == len(python_keys)
        titles = dict(Inquiry.objects.filter(pk__in=python_keys).values_list("pk", "title"))
        expected = [staff_views.csv_safe(titles[pk]) for pk in python_keys]
        assert [row[1] for row in exported] == expected
        assert "Another hub's label" not in sql_text


@on_postgresql
@pytest.mark.django_db
@time_machine.travel(WHEN, tick=False)
def test_the_view_on_postgresql_sends_the_heading_then_the_rows_python_writes_and_logs_each(
        lead_client, hub, other_hub, hub_lead, monkeypatch):
    _hostile_dataset(hub, other_hub, hub_lead)
    monkeypatch.setattr(staff_views, "EXPORT_CHUNK", 4)
    response = lead_client.get(reverse("intake:staff_inquiry_export", args=[hub.slug]))
    body = b"".join(response.streaming_content)
    (python_text, python_keys), _ = _both_ways(hub, hub_lead, "", 4)
    heading = io.StringIO()
    csv.writer(heading).writerow([name for name, _, _ in staff_views.EXPORT_COLUMNS])
    assert body == (staff_views.BOM + heading.getvalue() + python_text).encode()
    # One row a chunk of 4, listing its inquiries in the order sent, and each inquiry's log shows it.
    batches = list(InquiryAccess.objects.filter(what="CSV export").order_by("pk").values_list("inquiry_ids", flat=True))
    assert [pk for batch in batches for pk in batch] == python_keys and len(python_keys) == len(HOSTILE)
    assert len(batches) == -(-len(HOSTILE) // 4)
    assert all([row.what for row in access_log_for_inquiry(inquiry)] == ["CSV export"]
               for inquiry in Inquiry.objects.filter(pk__in=python_keys))


@on_postgresql
@pytest.mark.django_db
def test_rows_deleted_after_the_list_was_read_are_left_out_and_the_rest_keep_their_order(hub, hub_lead):
    inquiries = SubmittedFactory.create_batch(6, hub=hub)
    rows = selectors.inquiry_filter(hub=hub, user=hub_lead, filters={"sort": "oldest"})
    texts = staff_views._export_texts_in_sql(rows, hub, 2)
    first_text, first_keys = next(texts)  # the list's keys are read with the first chunk
    Inquiry.objects.filter(pk__in=[inquiries[2].pk, inquiries[3].pk]).delete()
    rest = list(texts)
    # The chunk that lost both rows is not sent at all (nor logged); the others are whole.
    assert [keys for _, keys in rest] == [[inquiries[4].pk, inquiries[5].pk]]
    assert first_keys == [inquiries[0].pk, inquiries[1].pk]
    assert first_text.startswith(inquiries[0].reference + ",") and rest[0][0].startswith(inquiries[4].reference)


@pytest.mark.parametrize("text", HOSTILE + ODD_CODES)
def test_a_label_cell_made_in_python_is_the_cell_csv_writer_writes(text):
    # The labels' cells go to PostgreSQL ready made: they must be what csv.writer makes of csv_safe(label).
    buffer = io.StringIO()
    csv.writer(buffer).writerow([staff_views.csv_safe(text), "next"])
    assert staff_views._csv_cell(staff_views.csv_safe(text)) + ",next\r\n" == buffer.getvalue()
