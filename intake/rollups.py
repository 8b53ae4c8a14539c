"""Rollups of the hubs' sent inquiries on PostgreSQL (issue 13): what the metrics page and the value report
read instead of every inquiry of a hub.

Triggers on intake_inquiry (migration 0019) append +1/-1 rows to InquiryRollupDelta in the transaction of
each change, keyed by (hub, dimension, London day sent, value); `rollups_compact` folds them into one
InquiryRollup row per key every minute (beat). A reader sums both tables in one statement, so it sees
exactly the committed inquiries (or, inside a transaction, its own changes too), and reads rows in
proportion to the days of the period and the distinct values of a figure, not to the inquiries.

Dimensions (the values are text):
    status_outcome   "status|outcome" (statuses, outcomes, closed and the closed by outcome)
    kind_of_help, stage, sector, source, organisation   the inquiry's value ("" when not given)
    themes, support_needed   each code in the JSON list, once
    first_response, decision   the London date of the first response / decision (medians: with the day sent)
    target   "within" or "late": first response on or before the triage due date, or after it
    awaiting_due   the triage due date of an inquiry with no first response yet (missed once it is past)

Every sent inquiry has exactly one status_outcome row, so the number sent is their sum.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, transaction

EARLIEST = dt.date(1, 1, 1)
LATEST = dt.date(9999, 12, 31)
COMPACT_LOCK = 1_300_019  # a pg advisory lock key: one compaction at a time

PAIRS = ("first_response", "decision")
Row = tuple[int, str, str, "dt.date | None", int]


def rollups_available() -> bool:
    """Whether this database keeps rollups (PostgreSQL); elsewhere the figures are counted live."""
    return connection.vendor == "postgresql"


def _bounds(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    return date_from or EARLIEST, date_to or LATEST


def _both_tables(columns: str) -> str:
    """The compacted rows and the deltas not yet folded in, filtered alike (parameters: hub ids,
    dimensions, first day, last day, twice)."""
    where = "hub_id = ANY(%s) AND dimension = ANY(%s) AND day >= %s AND day <= %s"
    return (f"SELECT {columns} FROM intake_inquiryrollup WHERE {where} "  # noqa: S608 - fixed column names
            f"UNION ALL SELECT {columns} FROM intake_inquiryrollupdelta WHERE {where}")


def rollup_counts(*, hub_ids: Sequence[int], dimensions: Iterable[str], date_from: dt.date | None = None,
                  date_to: dt.date | None = None, by_day: Iterable[str] = ()) -> list[Row]:
    """(hub id, dimension, value, day, count) for the inquiries sent from `date_from` to `date_to` (London
    dates, both inclusive; open-ended when None), summed over the period, except for the dimensions in
    `by_day`, which keep the day sent (the working-day medians need it). One query."""
    first, last = _bounds(date_from, date_to)
    params: list[Any] = [list(hub_ids), list(dimensions), first, last]
    sql = (f"SELECT hub_id, dimension, value, CASE WHEN dimension = ANY(%s) THEN day END AS sent_on, sum(n) "  # noqa: S608
           f"FROM ({_both_tables('hub_id, dimension, day, value, n')}) AS r "
           f"GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0")
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(by_day), *params, *params])
        return [(hub_id, dimension, value, day, int(n)) for hub_id, dimension, value, day, n in cursor.fetchall()]


def rollup_per_week(*, hub_id: int, date_from: dt.date, date_to: dt.date) -> dict[dt.date, int]:
    """Inquiries sent per week (Monday -> count) from `date_from` to `date_to` inclusive. One query."""
    params: list[Any] = [[hub_id], ["status_outcome"], date_from, date_to]
    sql = (f"SELECT date_trunc('week', day)::date, sum(n) FROM ({_both_tables('day, n')}) AS r "  # noqa: S608
           f"GROUP BY 1 HAVING sum(n) <> 0")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *params])
        return {week: int(n) for week, n in cursor.fetchall()}


def rollup_top_values(*, hub_id: int, dimension: str, limit: int, date_from: dt.date | None = None,
                      date_to: dt.date | None = None) -> list[tuple[str, int]]:
    """The `limit` commonest values of a dimension in the period, most first, ties by value (as the live
    count orders them). One query."""
    first, last = _bounds(date_from, date_to)
    params: list[Any] = [[hub_id], [dimension], first, last]
    sql = (f"SELECT value, sum(n) FROM ({_both_tables('value, n')}) AS r "  # noqa: S608
           f"GROUP BY 1 HAVING sum(n) <> 0 ORDER BY 2 DESC, 1 LIMIT %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *params, limit])
        return [(value, int(n)) for value, n in cursor.fetchall()]


def rollups_compact() -> int | None:
    """Fold the delta rows into one row per key, in one transaction; returns how many keys were touched,
    or None when another compaction holds the lock.

    Readers sum both tables, so folding never changes a figure: the DELETE ... RETURNING and the upsert
    commit together. A delta appended meanwhile by a change not yet committed is not visible to the
    DELETE, stays, and is folded next time. Keys whose count falls to zero are removed (an erased
    organisation, say), so the table holds only what can be read."""
    if not rollups_available():
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COMPACT_LOCK])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("""
            WITH moved AS (
              DELETE FROM intake_inquiryrollupdelta RETURNING hub_id, dimension, day, value, n
            ), summed AS (
              SELECT hub_id, dimension, day, value, sum(n) AS n FROM moved GROUP BY 1, 2, 3, 4
            ), folded AS (
              INSERT INTO intake_inquiryrollup AS r (hub_id, dimension, day, value, n)
              SELECT hub_id, dimension, day, value, n FROM summed WHERE n <> 0
              ON CONFLICT (hub_id, dimension, day, value) DO UPDATE SET n = r.n + EXCLUDED.n
              RETURNING r.hub_id, r.dimension, r.day, r.value, r.n
            )
            SELECT count(*),
                   array_agg(hub_id) FILTER (WHERE n = 0), array_agg(dimension) FILTER (WHERE n = 0),
                   array_agg(day) FILTER (WHERE n = 0), array_agg(value) FILTER (WHERE n = 0)
            FROM folded""")
        touched, hubs, dimensions, days, values = cursor.fetchone()
        if hubs:
            cursor.execute("""
                DELETE FROM intake_inquiryrollup AS r
                USING unnest(%s::bigint[], %s::text[], %s::date[], %s::text[]) AS z(hub_id, dimension, day, value)
                WHERE r.hub_id = z.hub_id AND r.dimension = z.dimension AND r.day = z.day AND r.value = z.value
                  AND r.n = 0""", [hubs, dimensions, days, values])
        return touched


def rollups_rebuild() -> int:
    """Recount every rollup from the inquiries, from scratch; returns the number of rows written.

    For after a bulk load that ran with the triggers disabled (seed_demo's COPY: a row trigger per
    inquiry is slow there), or to repair. It holds a SHARE lock on intake_inquiry, so no inquiry changes
    between emptying the rollups and counting (a change committed in between would be counted twice);
    submissions wait for it (seconds at a million inquiries)."""
    if not rollups_available():
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE intake_inquiry IN SHARE MODE")
        cursor.execute("TRUNCATE intake_inquiryrollup, intake_inquiryrollupdelta")
        cursor.execute("""
            INSERT INTO intake_inquiryrollup (hub_id, dimension, day, value, n)
            SELECT k.hub_id, k.dimension, k.day, k.value, count(*)
            FROM intake_inquiry AS i CROSS JOIN LATERAL intake_inquiry_rollup_keys(i) AS k
            WHERE i.status <> 'draft'
            GROUP BY 1, 2, 3, 4""")
        return cursor.rowcount


# The name the bulk loaders call (seed_demo): "rebuild the rollups".
rebuild_rollups = rollups_rebuild
