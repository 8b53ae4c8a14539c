"""Triage's view (a status by due date) gets its own index; the hub's plain foreign-key index goes, as every
hub index leads with the hub (issue 13)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('hubportal', '0024_database_jit_off'),
        ('intake', '0023_access_log_without_key_checks'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='inquiry',
            name='hub',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='inquiries', to='hubportal.hub'),
        ),
        migrations.AddIndex(
            model_name='inquiry',
            index=models.Index(condition=models.Q(('status', 'draft'), _negated=True), fields=['hub', 'status', 'triage_due_on', 'submitted_at', 'id'], name='inquiry_list_status_due'),
        ),
    ]
