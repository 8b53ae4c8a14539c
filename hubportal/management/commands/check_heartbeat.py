"""Exit 1 when a background process's heartbeat is stale: docker-compose's healthcheck for worker and beat.

    python manage.py check_heartbeat worker
    python manage.py check_heartbeat beat
"""

from django.core.management.base import BaseCommand, CommandError

from hubportal.heartbeats import BEAT, WORKER, job_heartbeats_stale


class Command(BaseCommand):
    help = "Exit 1 if the worker's (or beat's) last heartbeat is older than its limit (see /healthz)."

    def add_arguments(self, parser):
        parser.add_argument("name", choices=[WORKER, BEAT])

    def handle(self, *args, name, **options):
        if job_heartbeats_stale()[name]:
            raise CommandError(f"The {name} heartbeat is stale or missing")
        self.stdout.write(f"{name}: alive")
