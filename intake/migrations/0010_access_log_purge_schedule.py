"""Beat schedule for the access log's retention purge, editable in admin (django-celery-beat)."""

from django.db import migrations

TASK = "intake.tasks.purge_access_log"


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # 03:30, when nobody is reading the log.
    crontab, _ = CrontabSchedule.objects.get_or_create(minute="30", hour="3", day_of_week="*", day_of_month="*",
                                                       month_of_year="*", timezone="Europe/London")
    PeriodicTask.objects.get_or_create(name="Purge the access log", defaults={
        "task": TASK, "crontab": crontab,
        "description": "Delete access log rows older than ACCESS_LOG_RETENTION_DAYS."})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0009_access_log_and_lay_review_checklists"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create, remove)]
