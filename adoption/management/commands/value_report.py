"""The value report without a browser: `manage.py value_report --hub DOR --from 2026-04-01 --to 2027-03-31
--format pdf --output dorset.pdf` (or --format csv; --output - writes CSV to standard output)."""

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError

from adoption.report import value_report
from adoption.report_views import value_report_csv_write
from hubportal.models import Hub


def _date(value):
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date like 2026-04-01") from None


class Command(BaseCommand):
    help = "Write a hub's value report for a period as CSV or PDF (the same figures as the page)."

    def add_arguments(self, parser):
        parser.add_argument("--hub", required=True, help="The hub's three-letter code, e.g. DOR")
        parser.add_argument("--from", dest="date_from", required=True, type=_date, help="First day, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, type=_date, help="Last day (included), YYYY-MM-DD")
        parser.add_argument("--format", choices=["csv", "pdf"], required=True)
        parser.add_argument("--output", required=True, help="File to write; - for standard output (CSV only)")

    def handle(self, *args, hub, date_from, date_to, format, output, **options):
        found = Hub.objects.filter(code__iexact=hub).first()
        if found is None:
            raise CommandError(f"No hub with the code {hub!r}")
        if date_to < date_from:
            raise CommandError("--to must be the same as or after --from")
        if format == "pdf" and output == "-":
            raise CommandError("A PDF needs a file: give --output report.pdf")
        report = value_report(hubs=[found], date_from=date_from, date_to=date_to)
        if format == "pdf":
            from adoption.report_pdf import value_report_pdf

            with open(output, "wb") as f:
                f.write(value_report_pdf(report, narrative=report.total.narrative))
        else:
            f = sys.stdout if output == "-" else open(output, "w", newline="", encoding="utf-8")
            try:
                value_report_csv_write(report, f)
            finally:
                if f is not sys.stdout:
                    f.close()
        if output != "-":
            self.stdout.write(f"Wrote the value report of {found.name} ({date_from} to {date_to}) to {output}")
