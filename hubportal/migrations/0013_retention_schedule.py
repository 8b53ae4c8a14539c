"""Beat schedule for the retention job (issue 12), editable in admin (django-celery-beat)."""

from django.db import migrations

NAME = "Apply the retention schedule"
TASK = "hubportal.tasks.apply_retention"


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # 02:30 London: after the evening's work, before the 07:00 digests.
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Europe/London")
    PeriodicTask.objects.get_or_create(name=NAME, defaults={
        "task": TASK, "crontab": crontab,
        "description": "Each hub's retention schedule: closed inquiries anonymised, drafts deleted, email "
                       "content removed; sign-in rows and expired data downloads deleted."})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("hubportal", "0012_data_protection"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create, remove)]
