"""The hub's own word in every sent inquiry's full-text document (intake.services.SEARCH_DOCUMENT).

A staff search asks for "these words AND this hub's word", which the GIN index answers alone; before,
PostgreSQL intersected the words' matches with all of the hub's rows (250,000 at a large hub). The
UPDATE rewrites each sent inquiry once: on a very large table run it in a quiet hour.
"""

from django.db import migrations

ADD = """
UPDATE intake_inquiry
   SET search_vector = search_vector || setweight(to_tsvector('simple', 'hubid' || hub_id::text), 'D')
 WHERE status <> 'draft' AND search_vector IS NOT NULL AND hub_id IS NOT NULL
"""
REMOVE = """
UPDATE intake_inquiry SET search_vector = ts_delete(search_vector, ARRAY['hubid' || hub_id::text])
 WHERE search_vector IS NOT NULL AND hub_id IS NOT NULL
"""


def add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE)


class Migration(migrations.Migration):
    dependencies = [("intake", "0019_list_and_queue_indexes")]

    operations = [migrations.RunPython(add, remove, elidable=False)]
