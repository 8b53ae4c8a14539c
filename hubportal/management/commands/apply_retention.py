"""`manage.py apply_retention [--dry-run]`: apply each hub's retention schedule now (beat runs it nightly)."""

import time

from django.core.management.base import BaseCommand

from hubportal.retention import retention_apply


class Command(BaseCommand):
    help = "Anonymise, delete and empty what each hub's retention schedule says is due; --dry-run only counts."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Say what would be done, per hub; change nothing")
        parser.add_argument("--batch-size", type=int, default=None, help="Rows per transaction")

    def handle(self, *args, dry_run, batch_size, **options):
        started = time.monotonic()
        outcomes = retention_apply(dry_run=dry_run, batch_size=batch_size)
        verb = "would be" if dry_run else "were"
        hub = None
        for outcome in outcomes:
            if outcome.hub != hub:
                hub = outcome.hub
                self.stdout.write(hub)
            period = f" ({outcome.period})" if outcome.period else ""
            self.stdout.write(f"  {outcome.rule}{period}: {outcome.count:,} {verb}")
        total = sum(o.count for o in outcomes)
        self.stdout.write(self.style.SUCCESS(
            f"{'Dry run: ' if dry_run else ''}{total:,} rows {verb} changed in {time.monotonic() - started:.1f} s"))
