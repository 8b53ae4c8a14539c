"""Heartbeats of the background processes, so /healthz and compose can tell a dead worker or beat.

The worker writes WORKER every WORKER_HEARTBEAT_SECONDS from a thread of its main process, started
when it is ready (hubportal/celery.py): it needs no task and no beat, so a worker that died, or
never started, goes stale whatever beat does. Beat's heartbeat is the outbox sweep it schedules
every minute (hubportal.tasks.requeue_stale_outbound_email): stale means beat stopped scheduling
(or no worker runs what it schedules, which WORKER also shows).
"""

import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from .models import JobHeartbeat

log = logging.getLogger(__name__)

WORKER = "worker"
BEAT = "beat"


def job_heartbeat_record(*, name: str, now: datetime | None = None) -> None:
    """Say `name` is alive now: one row per name, overwritten (several workers share WORKER)."""
    JobHeartbeat.objects.update_or_create(name=name, defaults={"beat_at": now or timezone.now()})


def job_heartbeats_stale(*, now: datetime | None = None) -> dict[str, bool]:
    """{name: True if its last heartbeat is missing or older than its limit} for worker and beat."""
    now = now or timezone.now()
    limits = {WORKER: timedelta(seconds=settings.WORKER_STALE_SECONDS),
              BEAT: timedelta(seconds=settings.BEAT_STALE_SECONDS)}
    last = dict(JobHeartbeat.objects.filter(name__in=limits).values_list("name", "beat_at"))
    return {name: name not in last or now - last[name] > limit for name, limit in limits.items()}


def _beat_for_ever(stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            close_old_connections()
            job_heartbeat_record(name=WORKER)
        except Exception:  # noqa: BLE001 - the database is down: the heartbeat goes stale, as it should
            log.warning("Could not write the worker heartbeat", exc_info=True)
            connection.close()
        stop.wait(settings.WORKER_HEARTBEAT_SECONDS)


def worker_heartbeat_start() -> threading.Event:
    """Start the worker's heartbeat thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=_beat_for_ever, args=(stop,), name="worker-heartbeat", daemon=True).start()
    return stop
