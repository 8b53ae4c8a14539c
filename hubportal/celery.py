import os

from celery import Celery
from celery.signals import worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubportal.settings")

app = Celery("hubportal")
# Every CELERY_* setting in hubportal/settings.py configures the app.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_heartbeat_stop = None


@worker_ready.connect
def _start_worker_heartbeat(**kwargs):
    # In the worker's main process (not a pool child, not beat, not the web): see hubportal/heartbeats.py.
    global _heartbeat_stop
    from hubportal.heartbeats import worker_heartbeat_start

    _heartbeat_stop = worker_heartbeat_start()


@worker_shutdown.connect
def _stop_worker_heartbeat(**kwargs):
    if _heartbeat_stop is not None:
        _heartbeat_stop.set()
