"""The access log records a batch of inquiries seen at once (an export chunk) as one row listing them
(issue 13: a row per exported inquiry was a third of the export's time). On PostgreSQL a GIN index on
the list answers "who saw inquiry X"; SQLite scans (json_each). See InquiryAccess and docs/decisions.md."""

import django.db.models.deletion
import intake.models
from django.conf import settings
from django.db import migrations, models


# Partial: a single view's row has no list, and GIN would still index its NULL. fastupdate (the default)
# puts a batch's keys on the index's pending list, merged later in bulk, so the insert stays cheap.
FORWARD = ("CREATE INDEX IF NOT EXISTS inquiry_access_by_batch ON intake_inquiryaccess "
           "USING gin (inquiry_ids) WHERE inquiry_ids IS NOT NULL")
BACKWARD = "DROP INDEX IF EXISTS inquiry_access_by_batch"


def _on_postgresql(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0026_list_filters_index_only'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='inquiryaccess',
            name='inquiry_ids',
            field=intake.models.InquiryIdsField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='inquiryaccess',
            name='inquiry',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='intake.inquiry'),
        ),
        migrations.AddConstraint(
            model_name='inquiryaccess',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('inquiry__isnull', False), ('inquiry_ids__isnull', True)), models.Q(('inquiry__isnull', True), ('inquiry_ids__isnull', False)), _connector='OR'), name='inquiry_access_one_inquiry_or_a_batch'),
        ),
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD)),
    ]
