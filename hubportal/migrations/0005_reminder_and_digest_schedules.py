"""Beat schedules for reminders and digests, editable in admin (django-celery-beat)."""

from django.db import migrations

SCHEDULES = [
    # (name, task, interval minutes or crontab (minute, hour), description)
    ("Send due reminders", "hubportal.tasks.send_reminders", 15, None,
     "Triage, unanswered questions, referrals and parked inquiries: each stage once."),
    ("Send digests", "hubportal.tasks.send_digests", None, ("0", "7"),
     "Daily digests every morning, weekly digests on Mondays (Europe/London)."),
]


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minutes, crontab, description in SCHEDULES:
        defaults = {"task": task, "description": description}
        if minutes:
            defaults["interval"], _ = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
        else:
            minute, hour = crontab
            defaults["crontab"], _ = CrontabSchedule.objects.get_or_create(
                minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*",
                timezone="Europe/London")
        PeriodicTask.objects.get_or_create(name=name, defaults=defaults)


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        task__in=[task for _, task, *_ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("hubportal", "0004_reminders_and_digests"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create, remove)]
