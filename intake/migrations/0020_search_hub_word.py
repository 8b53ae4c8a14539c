"""Staff search's index: each inquiry's full-text document with its hub's own word (PostgreSQL only).

A staff search asks for "these words AND this hub's word" (intake.selectors.hub_search_document), which
this GIN index answers alone; before, PostgreSQL intersected the words' matches in every hub with all of
the hub's rows (250,000 at a large hub: most of a search's time). An expression index, so no row is
rewritten; it replaces the plain index on the document, which only that search used.
"""

from django.db import migrations

FORWARD = [
    "CREATE INDEX IF NOT EXISTS inquiry_search_hub_gin ON intake_inquiry USING gin ("
    "(search_vector || setweight(to_tsvector('simple'::regconfig, 'hubid'::text || (hub_id)::text), 'D')))",
    "DROP INDEX IF EXISTS inquiry_search_vector_gin",
]
BACKWARD = [
    "CREATE INDEX IF NOT EXISTS inquiry_search_vector_gin ON intake_inquiry USING gin (search_vector)",
    "DROP INDEX IF EXISTS inquiry_search_hub_gin",
]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return operation


class Migration(migrations.Migration):
    dependencies = [("intake", "0019_list_and_queue_indexes")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False)]
