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
    assert "inquiry_list_status_filters" in plan, plan
    rows_read = plan.split("SubPlan")[0]  # the checklist score's subquery sorts one inquiry's assessments
    assert "Sort" not in rows_read, plan



@pytest.mark.parametrize("filters", [
    {"status": ["submitted"], "kind_of_help": "new_idea"},
    {"status": ["submitted", "in_review"], "innovation_type": "digital", "stage": "idea"},
    {"overdue": "on"},
    {"status": ["in_review"], "assignee": "none"},
    {"status": ["routed"], "assignee": "me"},
])
def test_a_filtered_count_needs_no_column_outside_the_status_filters_index(hub, hub_lead, filters):
    """What lets PostgreSQL count "submitted new ideas" from inquiry_list_status_filters alone (an
    index-only scan, 7 -> 1.7 ms at 250,000 a hub): every column the count reads is in the index. Which
    plan it picks on a test's three rows says nothing, so this checks the columns."""
    import re

    from hubportal.paging import COUNT_CAP
    from intake.models import Inquiry

    [index] = [i for i in Inquiry._meta.indexes if i.name == "inquiry_list_status_filters"]
    in_index = {Inquiry._meta.get_field(name).column for name in [*index.fields, *index.include]}
    rows = selectors.inquiry_filter(hub=hub, user=hub_lead, filters=filters)
    sql, _ = rows.order_by().values("pk")[: COUNT_CAP + 1].query.sql_with_params()
    read = set(re.findall(r'"intake_inquiry"\."(\w+)"', sql))
    assert "status" in read and read <= in_index, read - in_index
