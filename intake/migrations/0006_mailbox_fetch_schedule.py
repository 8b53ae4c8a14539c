"""Beat schedule for the hubs' mailboxes, editable in admin (django-celery-beat)."""

from django.db import migrations

TASK = "intake.tasks.fetch_mailboxes"


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_two_minutes, _ = IntervalSchedule.objects.get_or_create(every=2, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Fetch the hubs' mailboxes (IMAP)",
        defaults={"task": TASK, "interval": every_two_minutes,
                  "description": "Imports new emails into each hub's 'Arrived by email' queue."},
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0005_hub_mailbox"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create, remove)]
