"""The similar-inquiries index with a wider trigram signature (issue 13).

"Similar inquiries" on the case page asks the GiST trigram index for the nearest titles
(`ORDER BY title <-> '...' LIMIT 5`). With the default 12-byte signature, an inner page of the index
holding a million titles has nearly every bit set, so its lower bound on the distance is about 0 and the
walk cannot skip it: over 200 titles drawn from 1,000,000 inquiries the query took 2.95 ms at the median,
14.2 ms at the 90th percentile and 768 ms at the 99th (docs/benchmarks.md). A 200-byte signature keeps the
bounds apart: 1.87, 8.06 and 151 ms on the same titles, with an index no larger (258 MB against 274 MB).
64, 128, 256, 400, 500 and 1,000 bytes were measured too; 200 had the lowest total.

Built CONCURRENTLY under a new name and swapped in, so a live hub's submissions are not blocked while
it builds (about 20 s at a million inquiries); PostgreSQL only (SQLite has no trigram index).
"""

from django.db import migrations

SIGLEN = 200


def _swap(siglen):
    opclass = f"gist_trgm_ops(siglen={siglen})" if siglen else "gist_trgm_ops"

    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in (
            "DROP INDEX CONCURRENTLY IF EXISTS inquiry_title_trgm_new",  # left by an interrupted run
            f"CREATE INDEX CONCURRENTLY inquiry_title_trgm_new ON intake_inquiry USING gist (title {opclass})",
            "DROP INDEX CONCURRENTLY IF EXISTS inquiry_title_trgm",
            "ALTER INDEX inquiry_title_trgm_new RENAME TO inquiry_title_trgm",
        ):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    atomic = False  # CREATE and DROP INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("intake", "0027_access_log_batches")]
    operations = [migrations.RunPython(_swap(SIGLEN), _swap(None), elidable=False)]
