"""PostgreSQL's JIT off for this database: it is for long analytical queries, not a web workload.

On a staff page's aggregate JIT compilation cost about 180 ms a query (issue 13) while the query itself
took a few milliseconds. Set on the database, not per connection, so it holds through a transaction
pooler (PgBouncer passes no startup options) and for every process: web, workers, shell. A role that
does not own the database cannot set it: the migration then says so and goes on (a DBA can run the
same ALTER DATABASE).
"""

from django.db import migrations

JIT_OFF = """
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'jit is still on: this role cannot ALTER DATABASE %', current_database();
END
$$;
"""
JIT_DEFAULT = """
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I RESET jit', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    NULL;
END
$$;
"""


def jit_off(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(JIT_OFF, params=None)
        # The setting applies to new sessions; this one (the rest of `migrate`) too.
        schema_editor.execute("SET jit = off")


def jit_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(JIT_DEFAULT, params=None)


class Migration(migrations.Migration):
    dependencies = [("hubportal", "0023_network_lead")]

    operations = [migrations.RunPython(jit_off, jit_default, elidable=False)]
