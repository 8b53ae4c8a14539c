"""Rollups of the hub's sent inquiries, kept by PostgreSQL triggers (issue 13; docs/decisions.md).

`intake_inquiry_rollup_keys(row)` lists the (hub, London day sent, dimension, value) keys one inquiry
counts under; the triggers append the difference between the old row's keys and the new row's as
+1/-1 rows to intake_inquiryrollupdelta, in the transaction that made the change. On other databases
the tables exist but stay empty: intake.metrics counts the inquiries themselves there.

The install step fills the rollups from the inquiries already there (intake.rollups.rollups_rebuild),
and the last schedules the compaction every minute.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TZ = settings.TIME_ZONE  # the London day, as TruncDate and __date read it

# Every column below must also be in the UPDATE trigger's WHEN list, or a change to it would be missed.
KEYS = f"""
CREATE OR REPLACE FUNCTION intake_inquiry_rollup_keys(r intake_inquiry)
RETURNS TABLE (hub_id bigint, dimension text, day date, value text)
LANGUAGE sql STABLE AS $$
  SELECT r.hub_id, k.dimension, (r.submitted_at AT TIME ZONE '{TZ}')::date, k.value
  FROM (
    SELECT 'status_outcome', r.status || '|' || r.outcome
    UNION ALL SELECT 'kind_of_help', r.kind_of_help
    UNION ALL SELECT 'stage', r.stage
    UNION ALL SELECT 'sector', r.sector
    UNION ALL SELECT 'source', r.source
    UNION ALL SELECT 'organisation', r.organisation
    UNION ALL SELECT 'first_response', ((r.first_response_at AT TIME ZONE '{TZ}')::date)::text
      WHERE r.first_response_at IS NOT NULL
    UNION ALL SELECT 'decision', ((r.decided_at AT TIME ZONE '{TZ}')::date)::text WHERE r.decided_at IS NOT NULL
    UNION ALL SELECT 'target', CASE WHEN (r.first_response_at AT TIME ZONE '{TZ}')::date <= r.triage_due_on
                                    THEN 'within' ELSE 'late' END
      WHERE r.first_response_at IS NOT NULL AND r.triage_due_on IS NOT NULL
    -- Judged against today when read: missed once the due date has passed.
    UNION ALL SELECT 'awaiting_due', r.triage_due_on::text
      WHERE r.first_response_at IS NULL AND r.triage_due_on IS NOT NULL
    -- Each code once, as jsonb containment (the live count and the list filter) counts it.
    UNION ALL SELECT DISTINCT 'themes', t.code FROM jsonb_array_elements_text(
      CASE WHEN jsonb_typeof(r.themes) = 'array' THEN r.themes ELSE '[]'::jsonb END) AS t(code)
    UNION ALL SELECT DISTINCT 'support_needed', t.code FROM jsonb_array_elements_text(
      CASE WHEN jsonb_typeof(r.support_needed) = 'array' THEN r.support_needed ELSE '[]'::jsonb END) AS t(code)
  ) AS k(dimension, value)
  WHERE r.hub_id IS NOT NULL AND r.status <> 'draft' AND r.submitted_at IS NOT NULL
$$;
"""

TRIGGER = """
CREATE OR REPLACE FUNCTION intake_inquiry_rollup_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- OLD is NULL on INSERT and NEW on DELETE: their keys are then empty.
  INSERT INTO intake_inquiryrollupdelta (hub_id, dimension, day, value, n)
  SELECT k.hub_id, k.dimension, k.day, k.value, sum(k.n)
  FROM (
    SELECT o.*, -1 AS n FROM intake_inquiry_rollup_keys(OLD) AS o WHERE TG_OP <> 'INSERT'
    UNION ALL
    SELECT w.*, 1 AS n FROM intake_inquiry_rollup_keys(NEW) AS w WHERE TG_OP <> 'DELETE'
  ) AS k
  GROUP BY 1, 2, 3, 4
  HAVING sum(k.n) <> 0;
  RETURN NULL;
END
$$;

CREATE TRIGGER intake_inquiry_rollup_insert_delete
AFTER INSERT OR DELETE ON intake_inquiry
FOR EACH ROW EXECUTE FUNCTION intake_inquiry_rollup_trigger();

-- Most updates (a note, an assignee, the search vector, the version) change no figure: skip them.
CREATE TRIGGER intake_inquiry_rollup_update
AFTER UPDATE ON intake_inquiry
FOR EACH ROW
WHEN ((OLD.hub_id, OLD.status, OLD.outcome, OLD.kind_of_help, OLD.stage, OLD.sector, OLD.source,
       OLD.organisation, OLD.first_response_at, OLD.decided_at, OLD.triage_due_on, OLD.submitted_at,
       OLD.themes, OLD.support_needed)
      IS DISTINCT FROM
      (NEW.hub_id, NEW.status, NEW.outcome, NEW.kind_of_help, NEW.stage, NEW.sector, NEW.source,
       NEW.organisation, NEW.first_response_at, NEW.decided_at, NEW.triage_due_on, NEW.submitted_at,
       NEW.themes, NEW.support_needed))
EXECUTE FUNCTION intake_inquiry_rollup_trigger();
"""

DROP = """
DROP TRIGGER IF EXISTS intake_inquiry_rollup_update ON intake_inquiry;
DROP TRIGGER IF EXISTS intake_inquiry_rollup_insert_delete ON intake_inquiry;
DROP FUNCTION IF EXISTS intake_inquiry_rollup_trigger();
DROP FUNCTION IF EXISTS intake_inquiry_rollup_keys(intake_inquiry);
"""

COMPACT_TASK = "intake.tasks.compact_rollups"


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(KEYS)
    schema_editor.execute(TRIGGER)
    # Count the inquiries already there (the day rows in SQL, the months' working days in Python).
    from intake.rollups import rollups_rebuild

    rollups_rebuild(using=schema_editor.connection.alias)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(name="Compact the metrics rollups", defaults={
        "task": COMPACT_TASK, "interval": every_minute,
        "description": "Fold the rollup delta rows into one row per key (intake.rollups.rollups_compact)."})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=COMPACT_TASK).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('hubportal', '0024_database_jit_off'),
        ('intake', '0020_search_hub_word'),
        ('django_celery_beat', '0019_alter_periodictasks_options'),
    ]

    operations = [
        migrations.CreateModel(
            name='InquiryRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('dimension', models.CharField(max_length=30)),
                ('day', models.DateField()),
                ('value', models.TextField(blank=True)),
                ('n', models.BigIntegerField()),
                ('hub', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='hubportal.hub')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('hub', 'dimension', 'day', 'value'), include=('n',), name='inquiry_rollup_key')],
            },
        ),
        migrations.CreateModel(
            name='InquiryRollupDelta',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('dimension', models.CharField(max_length=30)),
                ('day', models.DateField()),
                ('value', models.TextField(blank=True)),
                ('n', models.BigIntegerField()),
                ('hub', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='hubportal.hub')),
            ],
            options={
                'indexes': [models.Index(fields=['hub', 'dimension', 'day'], include=('value', 'n'), name='inquiry_rollup_delta_key')],
            },
        ),
        migrations.CreateModel(
            name='InquiryRollupMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('dimension', models.CharField(max_length=30)),
                ('month', models.DateField()),
                ('value', models.TextField(blank=True)),
                ('n', models.BigIntegerField()),
                ('hub', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='hubportal.hub')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('hub', 'dimension', 'month', 'value'), include=('n',), name='inquiry_rollup_month_key')],
            },
        ),
        migrations.RunPython(install, uninstall),
        migrations.RunPython(schedule, unschedule),
    ]
