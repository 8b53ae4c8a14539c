"""PostgreSQL-only indexes for full-text search and trigram similarity (SQLite has neither)."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

FORWARD = [
    "CREATE INDEX IF NOT EXISTS inquiry_search_vector_gin ON intake_inquiry USING gin (search_vector)",
    # GiST, not GIN: it serves ORDER BY title <-> '...' LIMIT n (nearest first) as well as the % operator.
    "CREATE INDEX IF NOT EXISTS inquiry_title_trgm ON intake_inquiry USING gist (title gist_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS inquiry_support_gin ON intake_inquiry USING gin ((support_needed::jsonb))",
    "CREATE INDEX IF NOT EXISTS inquiry_themes_gin ON intake_inquiry USING gin ((themes::jsonb))",
]
BACKWARD = [
    "DROP INDEX IF EXISTS inquiry_search_vector_gin",
    "DROP INDEX IF EXISTS inquiry_title_trgm",
    "DROP INDEX IF EXISTS inquiry_support_gin",
    "DROP INDEX IF EXISTS inquiry_themes_gin",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("intake", "0002_triage")]
    operations = [
        TrigramExtension(),  # a no-op on databases other than PostgreSQL
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
