"""`manage.py subject_access_export EMAIL --output FILE`: a subject access request that came by letter.

The same archive a person downloads from their account (JSON plus their files), for any person:
a submitter, a partner contact or a staff member. The export is recorded (DataExport, via letter).
"""

from django.core.management.base import BaseCommand, CommandError

from hubportal.personal_data import data_export_letter


class Command(BaseCommand):
    help = "Write everything held about one person (by email address) to a ZIP file."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--output", required=True, help="The ZIP file to write")

    def handle(self, *args, email, output, **options):
        if "@" not in email:
            raise CommandError("Give the person's email address")
        with open(output, "wb") as handle:
            counts = data_export_letter(email=email, output=handle)
        summary = ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Wrote {output}: {summary}"))
