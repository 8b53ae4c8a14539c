"""Similar inquiries walk a trigram index with a 200-byte signature (issue 13, intake migration 0028)."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.state import StateApps
from django.test.utils import CaptureQueriesContext

from intake import services
from intake.selectors import inquiry_similar
from tests.factories import DraftFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")

migration = importlib.import_module("intake.migrations.0028_title_trigram_signature")


def index_definition(name="inquiry_title_trgm"):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'intake_inquiry' AND indexname = %s",
                       [name])
        row = cursor.fetchone()
    return row[0] if row else None


@pytest.mark.django_db
def test_the_title_index_has_the_wider_signature():
    assert "gist_trgm_ops (siglen='200')" in index_definition()


@pytest.mark.django_db
def test_similar_inquiries_are_found_by_walking_that_index(hub, other_hub):
    sent = [services.inquiry_submit(inquiry=draft, by=draft.submitter) for draft in (
        DraftFactory(hub=hub, title="Remote monitoring for heart failure"),
        DraftFactory(hub=other_hub, title="Remote monitoring for heart failure at home"),
        DraftFactory(hub=other_hub, title="Falls sensors in care homes"))]
    with CaptureQueriesContext(connection) as captured:
        similar = inquiry_similar(inquiry=sent[0])
    assert [row.reference for row in similar] == [sent[1].reference]
    (query,) = [q["sql"] for q in captured.captured_queries if "<->" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test's few rows would otherwise be read whole
        cursor.execute("EXPLAIN " + query)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using inquiry_title_trgm" in plan and "Order By" in plan, plan


@pytest.mark.django_db(transaction=True)  # CREATE INDEX CONCURRENTLY cannot run inside a transaction
def test_the_migration_swaps_the_index_both_ways_and_survives_an_interrupted_run():
    apps = StateApps([], {})
    forward, backward = migration._swap(migration.SIGLEN), migration._swap(None)
    try:
        with connection.schema_editor(atomic=False) as editor:
            backward(apps, editor)
        assert index_definition().endswith("USING gist (title gist_trgm_ops)")
        # A run stopped after building its new index, before the swap, leaves that index behind.
        with connection.cursor() as cursor:
            cursor.execute("CREATE INDEX inquiry_title_trgm_new ON intake_inquiry USING gist (title gist_trgm_ops)")
        with connection.schema_editor(atomic=False) as editor:
            forward(apps, editor)
    finally:
        if "siglen" not in (index_definition() or ""):  # whatever happened, leave the schema as migrated
            with connection.schema_editor(atomic=False) as editor:
                forward(apps, editor)
    assert "gist_trgm_ops (siglen='200')" in index_definition()
    assert index_definition("inquiry_title_trgm_new") is None
