"""The staff list's filtered orders are served by an index, not by sorting the hub's rows (issue 13)."""

import pytest
from django.db import connection

from intake import selectors, services
from tests.factories import DraftFactory

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="the plans are PostgreSQL's")]


def _plan(rows):
    with connection.cursor() as cursor:
        # Tiny tables: tell the planner a scan and a sort are dear, so it shows what it could use.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        sql, params = rows.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_status_by_due_date_reads_the_status_due_index_in_order(hub, hub_lead):
    for _ in range(3):
        draft = DraftFactory(hub=hub)
        services.inquiry_submit(inquiry=draft, by=draft.submitter)
    rows = selectors.inquiry_filter(hub=hub, user=hub_lead,
                                    filters={"status": ["submitted"], "kind_of_help": "new_idea", "sort": "due"})
    plan = _plan(rows[:25])
    assert "inquiry_list_status_due" in plan, plan
    rows_read = plan.split("SubPlan")[0]  # the checklist score's subquery sorts one inquiry's assessments
    assert "Sort" not in rows_read, plan
