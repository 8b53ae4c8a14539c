import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubportal.settings")

app = Celery("hubportal")
# Every CELERY_* setting in hubportal/settings.py configures the app.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
