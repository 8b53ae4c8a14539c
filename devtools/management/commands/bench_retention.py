"""`manage.py bench_retention [--months-ahead 42]`: time `apply_retention` over the seeded inquiries.

Runs the schedule as if it were `--months-ahead` months from now, so every seeded closed inquiry
(seed_demo spreads them over the last 18 months) is past its 24 months: first a dry run (the counts
alone), then the real run. It anonymises the database it runs on: use a seeded benchmark database.
"""

import datetime as dt
import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from hubportal.retention import retention_apply
from intake.models import Inquiry


class Command(BaseCommand):
    help = "Time apply_retention over the seeded inquiries (anonymises them: benchmark databases only)."

    def add_arguments(self, parser):
        parser.add_argument("--months-ahead", type=int, default=42)

    def handle(self, *args, months_ahead, **options):
        now = timezone.now() + dt.timedelta(days=round(months_ahead * 30.44))
        total = Inquiry.objects.count()
        started = time.monotonic()
        due = sum(o.count for o in retention_apply(now=now, dry_run=True))
        dry = time.monotonic() - started
        started = time.monotonic()
        done = sum(o.count for o in retention_apply(now=now))
        real = time.monotonic() - started
        started = time.monotonic()
        again = sum(o.count for o in retention_apply(now=now))
        second = time.monotonic() - started
        self.stdout.write(
            f"{connection.vendor}: {total:,} inquiries; dry run {dry:.2f} s ({due:,} rows due); "
            f"apply_retention {real:.1f} s ({done:,} rows changed); second run {second:.2f} s ({again} changed)")
