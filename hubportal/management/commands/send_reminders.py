from django.core.management.base import BaseCommand

from hubportal.jobs import job_send_reminders


class Command(BaseCommand):
    help = "Send every reminder that is due (each stage once). --dry-run lists them and sends nothing."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run, **options):
        results = job_send_reminders(dry_run=dry_run)
        for reminder, outcome in results:
            self.stdout.write(f"{reminder.due_at:%Y-%m-%d %H:%M}  {reminder.kind}/{reminder.stage}  "
                              f"{reminder.subject}  {outcome}")
        self.stdout.write(f"{len(results)} reminder(s) {'would be sent' if dry_run else 'handled'}.")
