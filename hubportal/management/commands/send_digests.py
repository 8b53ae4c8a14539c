import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from hubportal.jobs import job_send_digests


class Command(BaseCommand):
    help = ("Send the digests for the period ending today (daily every day, weekly on Mondays). "
            "Running it again for the same period sends nothing new. --dry-run lists them.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--frequency", choices=["daily", "weekly"], action="append",
                            help="Only this frequency (repeatable). Default: daily, and weekly on Mondays.")
        parser.add_argument("--date", help="Act as if today were this date (YYYY-MM-DD).")

    def handle(self, *args, dry_run, frequency, date, **options):
        try:
            today = dt.date.fromisoformat(date) if date else None
        except ValueError:
            raise CommandError("--date must look like 2026-11-23") from None
        sent = job_send_digests(dry_run=dry_run, today=today, frequencies=frequency)
        for audience, user, _context in sent:
            self.stdout.write(f"{audience:10} {user.email}")
        self.stdout.write(f"{len(sent)} digest(s) {'would be sent' if dry_run else 'queued'}.")
