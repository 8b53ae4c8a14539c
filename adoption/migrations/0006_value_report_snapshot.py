"""Snapshots of the value report's figures (issue 13: at most VALUE_REPORT_MAX_AGE_MINUTES old, shown with their time)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('adoption', '0005_case_rows_hub_required'),
    ]

    operations = [
        migrations.CreateModel(
            name='ValueReportSnapshot',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('hubs_key', models.CharField(max_length=500)),
                ('date_from', models.DateField()),
                ('date_to', models.DateField()),
                ('computed_on', models.DateField()),
                ('computed_at', models.DateTimeField()),
                ('figures', models.JSONField()),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('hubs_key', 'date_from', 'date_to'), name='value_report_snapshot_once')],
            },
        ),
    ]
