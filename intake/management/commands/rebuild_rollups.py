"""`manage.py rebuild_rollups`: recount the metrics rollups from the inquiries (after a bulk load with the
triggers off, or to repair); `--compact` only folds the pending delta rows, as beat does every minute."""

from django.core.management.base import BaseCommand

from intake.rollups import rollups_available, rollups_compact, rollups_rebuild


class Command(BaseCommand):
    help = "Recount the metrics rollups from the inquiries (PostgreSQL; nothing to do on SQLite)."

    def add_arguments(self, parser):
        parser.add_argument("--compact", action="store_true", help="Only fold the pending delta rows")

    def handle(self, *args, compact=False, **options):
        if not rollups_available():
            self.stdout.write("This database counts the figures live: no rollups to rebuild.")
            return
        if compact:
            self.stdout.write(f"Folded the deltas of {rollups_compact() or 0} keys.")
            return
        self.stdout.write(f"Rebuilt the rollups: {rollups_rebuild():,} rows.")
