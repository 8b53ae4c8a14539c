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

Two levels, so a long period stays short to read: the compaction folds the deltas into the day rows and
into InquiryRollupMonth in one transaction. A reader takes the months wholly inside the period from the
month rows, the ragged days at either end from the day rows, and every delta not yet folded. In the month
rows a pair's value is the number of working days (the bank holidays are known to Python, not to the
database), which is what keeps the medians' rows few; `rollups_rebuild` recounts them if the bank
holidays ever change.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from hubportal.workdays import working_days_between

# Open ends of a period (the forms refuse dates before 2000 or after today).
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2999, 12, 31)
COMPACT_LOCK = 1_300_019  # a pg advisory lock key: one compaction at a time

PAIRS = ("first_response", "decision")
Row = tuple[int, str, str, int]


def rollups_available() -> bool:
    """Whether this database keeps rollups (PostgreSQL); elsewhere the figures are counted live."""
    return connection.vendor == "postgresql"


def _reading() -> BaseDatabaseWrapper:
    """The connection the ORM would read the rollups from (a read replica when a router sends reports
    there), so a page's rollups and its other figures come from the same database."""
    from .models import InquiryRollup

    return connections[router.db_for_read(InquiryRollup)]


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _split(date_from: dt.date | None, date_to: dt.date | None) -> dict[str, dt.date]:
    """A period as its whole months (m1 to m2, first days) and its ragged days before (a1 to a2) and after
    (b1 to b2) them; an empty range has its start after its end."""
    first, last = date_from or EARLIEST, date_to or LATEST
    whole_from = first if first.day == 1 else _next_month(first)
    ends_a_month = (last + dt.timedelta(days=1)).day == 1
    whole_to = _month(last) if ends_a_month else _month(_month(last) - dt.timedelta(days=1))
    if whole_from > whole_to:  # no whole month: every day is ragged
        return {"first": first, "last": last, "m1": LATEST, "m2": EARLIEST, "a1": first, "a2": last,
                "b1": LATEST, "b2": EARLIEST}
    return {"first": first, "last": last, "m1": whole_from, "m2": whole_to,
            "a1": first, "a2": whole_from - dt.timedelta(days=1), "b1": _next_month(whole_to), "b2": last}


def working_days_of(pairs: Iterable[tuple[dt.date, dt.date, int]]) -> Counter:
    """{working days: count} from (sent date, event date, count) pairs."""
    pairs = list(pairs)
    # working_days_between counts the working days in (start, end], so it adds up: the days from one fixed
    # date to the end, less those to the start: one call per distinct date rather than one per pair.
    dates = {day for sent_on, ended_on, _ in pairs for day in (sent_on, ended_on)}
    anchor = min(dates, default=None)
    position = {day: working_days_between(anchor, day) for day in dates}
    days: Counter = Counter()
    for sent_on, ended_on, n in pairs:
        days[position[ended_on] - position[sent_on]] += n
    return days


_READ = """
SELECT hub_id, dimension, value, NULL::date, sum(n) FROM intake_inquiryrollupmonth
 WHERE hub_id = ANY(%(hubs)s) AND dimension = ANY(%(dimensions)s) AND month >= %(m1)s AND month <= %(m2)s
 GROUP BY 1, 2, 3
UNION ALL
SELECT hub_id, dimension, value, CASE WHEN dimension = ANY(%(pairs)s) THEN day END, sum(n) FROM (
  SELECT hub_id, dimension, day, value, n FROM intake_inquiryrollup
   WHERE hub_id = ANY(%(hubs)s) AND dimension = ANY(%(dimensions)s)
     AND ((day >= %(a1)s AND day <= %(a2)s) OR (day >= %(b1)s AND day <= %(b2)s))
  UNION ALL
  SELECT hub_id, dimension, day, value, n FROM intake_inquiryrollupdelta
   WHERE hub_id = ANY(%(hubs)s) AND dimension = ANY(%(dimensions)s) AND day >= %(first)s AND day <= %(last)s
) AS r GROUP BY 1, 2, 3, 4
"""


def _params(hub_ids: Sequence[int], dimensions: Iterable[str], date_from: dt.date | None,
            date_to: dt.date | None) -> dict[str, Any]:
    return {"hubs": list(hub_ids), "dimensions": list(dimensions), "pairs": list(PAIRS),
            **_split(date_from, date_to)}


def rollup_counts(*, hub_ids: Sequence[int], dimensions: Iterable[str], date_from: dt.date | None = None,
                  date_to: dt.date | None = None) -> list[Row]:
    """(hub id, dimension, value, count) for the inquiries sent from `date_from` to `date_to` (London
    dates, both inclusive; open-ended when None). For the pairs (first_response, decision) the value is the
    number of working days from sending. One query."""
    with _reading().cursor() as cursor:
        cursor.execute(_READ, _params(hub_ids, dimensions, date_from, date_to))
        fetched = cursor.fetchall()
    counts: Counter = Counter()
    pairs: dict[tuple[int, str], list] = {}
    for hub_id, dimension, value, sent_on, n in fetched:
        if sent_on is not None:  # a day row of a pair: its value is the event's date
            pairs.setdefault((hub_id, dimension), []).append((sent_on, dt.date.fromisoformat(value), int(n)))
        else:
            counts[(hub_id, dimension, value)] += int(n)
    for (hub_id, dimension), rows in pairs.items():
        for days, n in working_days_of(rows).items():
            counts[(hub_id, dimension, str(days))] += n
    return [(hub_id, dimension, value, n) for (hub_id, dimension, value), n in counts.items() if n]


def rollup_per_week(*, hub_id: int, date_from: dt.date, date_to: dt.date) -> dict[dt.date, int]:
    """Inquiries sent per week (Monday -> count) from `date_from` to `date_to` inclusive (at most a year of
    day rows). One query."""
    sql = """
        SELECT date_trunc('week', day)::date, sum(n) FROM (
          SELECT day, n FROM intake_inquiryrollup
           WHERE hub_id = %(hub)s AND dimension = 'status_outcome' AND day >= %(first)s AND day <= %(last)s
          UNION ALL
          SELECT day, n FROM intake_inquiryrollupdelta
           WHERE hub_id = %(hub)s AND dimension = 'status_outcome' AND day >= %(first)s AND day <= %(last)s
        ) AS r GROUP BY 1 HAVING sum(n) <> 0"""
    with _reading().cursor() as cursor:
        cursor.execute(sql, {"hub": hub_id, "first": date_from, "last": date_to})
        return {week: int(n) for week, n in cursor.fetchall()}


def rollup_top_values(*, hub_id: int, dimension: str, limit: int, date_from: dt.date | None = None,
                      date_to: dt.date | None = None) -> list[tuple[str, int]]:
    """The `limit` commonest values of a dimension in the period, most first, ties by value (as the live
    count orders them). One query."""
    sql = f"SELECT value, sum(n) FROM ({_READ}) AS r(hub_id, dimension, value, day, n) " \
          "GROUP BY 1 HAVING sum(n) <> 0 ORDER BY 2 DESC, 1 LIMIT %(limit)s"  # noqa: S608 - a constant
    with _reading().cursor() as cursor:
        cursor.execute(sql, {**_params([hub_id], [dimension], date_from, date_to), "limit": limit})
        return [(value, int(n)) for value, n in cursor.fetchall()]


_UPSERT = """
WITH folded AS (
  INSERT INTO {table} AS r (hub_id, dimension, {column}, value, n)
  SELECT * FROM unnest(%s::bigint[], %s::text[], %s::date[], %s::text[], %s::bigint[])
  ON CONFLICT (hub_id, dimension, {column}, value) DO UPDATE SET n = r.n + EXCLUDED.n
  RETURNING r.id, r.n
)
SELECT array_agg(id) FILTER (WHERE n = 0) FROM folded
"""


def _fold(cursor, table: str, column: str, counts: Counter) -> None:
    """Add `counts` {(hub, dimension, day or month, value): n} to a table's rows; rows left at 0 go."""
    counts = Counter({key: n for key, n in counts.items() if n})
    if not counts:
        return
    keys = list(counts)
    cursor.execute(_UPSERT.format(table=table, column=column),
                   [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys], [k[3] for k in keys],
                    [counts[k] for k in keys]])
    zero = cursor.fetchone()[0]
    if zero:
        cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s) AND n = 0", [zero])  # noqa: S608 - a constant


def _months(rows: Iterable[tuple[int, str, dt.date, str, int]]) -> Counter:
    """Day rows (hub, dimension, day, value, n) as month rows; a pair's value becomes its working days."""
    months: Counter = Counter()
    pairs: dict[tuple[int, str, dt.date], list] = {}
    for hub_id, dimension, day, value, n in rows:
        if dimension in PAIRS:
            pairs.setdefault((hub_id, dimension, _month(day)), []).append((day, dt.date.fromisoformat(value), n))
        else:
            months[(hub_id, dimension, _month(day), value)] += n
    for (hub_id, dimension, month), dated in pairs.items():
        for days, n in working_days_of(dated).items():
            months[(hub_id, dimension, month, str(days))] += n
    return months


def rollups_compact() -> int | None:
    """Fold the delta rows into the day and month rows, in one transaction; returns how many day keys
    were touched, or None when another compaction holds the lock.

    Readers sum the three tables, so folding never changes a figure: the DELETE ... RETURNING and both
    upserts commit together. A delta appended meanwhile by a change not yet committed is not visible to
    the DELETE, stays, and is folded next time. Keys whose count falls to zero are removed (an erased
    organisation, say), so the tables hold only what can be read."""
    if not rollups_available():
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COMPACT_LOCK])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("""
            WITH moved AS (
              DELETE FROM intake_inquiryrollupdelta RETURNING hub_id, dimension, day, value, n
            )
            SELECT hub_id, dimension, day, value, sum(n) FROM moved GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0""")
        rows = [(hub_id, dimension, day, value, int(n)) for hub_id, dimension, day, value, n in cursor.fetchall()]
        _fold(cursor, "intake_inquiryrollup", "day", Counter({row[:4]: row[4] for row in rows}))
        _fold(cursor, "intake_inquiryrollupmonth", "month", _months(rows))
        return len(rows)


REBUILD_WORK_MEM = "256MB"


def rollups_rebuild(using: str = "default") -> int:
    """Recount every rollup from the inquiries, from scratch; returns the number of day rows written.

    For after a bulk load that ran with the triggers disabled (seed_demo's COPY: a row trigger per
    inquiry is slow there), after a change to the bank holidays, or to repair. It holds a SHARE lock on
    intake_inquiry, so no inquiry changes between emptying the rollups and counting (a change committed
    in between would be counted twice); submissions wait for it (about 15 s at a million inquiries on
    an idle 2-core machine).

    The recount groups about 13 keys an inquiry into about 250,000 rows; the planner expects far more,
    and with the default 4 MB of work_mem it spilled its hash table to disk in 256 batches (18.0 s
    against 14.2 s with 256 MB, at 1,000,000 inquiries), so this transaction's statements get more."""
    db = connections[using]
    if db.vendor != "postgresql":
        return 0
    with transaction.atomic(using=using), db.cursor() as cursor:
        cursor.execute("LOCK TABLE intake_inquiry IN SHARE MODE")
        cursor.execute("SELECT current_setting('work_mem')")
        work_mem = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('work_mem', %s, true)", [REBUILD_WORK_MEM])
        cursor.execute("TRUNCATE intake_inquiryrollup, intake_inquiryrollupmonth, intake_inquiryrollupdelta")
        cursor.execute("""
            INSERT INTO intake_inquiryrollup (hub_id, dimension, day, value, n)
            SELECT k.hub_id, k.dimension, k.day, k.value, count(*)
            FROM intake_inquiry AS i CROSS JOIN LATERAL intake_inquiry_rollup_keys(i) AS k
            WHERE i.status <> 'draft'
            GROUP BY 1, 2, 3, 4""")
        written = cursor.rowcount
        cursor.execute("""
            INSERT INTO intake_inquiryrollupmonth (hub_id, dimension, month, value, n)
            SELECT hub_id, dimension, date_trunc('month', day)::date, value, sum(n) FROM intake_inquiryrollup
            WHERE dimension <> ALL(%s) GROUP BY 1, 2, 3, 4""", [list(PAIRS)])
        cursor.execute("SELECT hub_id, dimension, day, value, n FROM intake_inquiryrollup WHERE dimension = ANY(%s)",
                       [list(PAIRS)])
        months = _months(cursor.fetchall())
        keys = list(months)
        # A plain INSERT into the emptied table (the migration runs this before its unique index exists).
        cursor.execute("""
            INSERT INTO intake_inquiryrollupmonth (hub_id, dimension, month, value, n)
            SELECT * FROM unnest(%s::bigint[], %s::text[], %s::date[], %s::text[], %s::bigint[])""",
                       [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys], [k[3] for k in keys],
                        [months[k] for k in keys]])
        # Back to the server's setting for whatever else the caller's transaction does (seed_demo's).
        cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])
        return written


# The name the bulk loaders call (seed_demo): "rebuild the rollups".
rebuild_rollups = rollups_rebuild
