"""Print the access table (hubportal/access.py) as Markdown: `manage.py access_table > docs/access.md`."""

from django.core.management.base import BaseCommand

from hubportal import access


def access_table_markdown() -> str:
    lines = [
        "# Access table",
        "",
        "Who may use each URL, and what everyone else gets. Printed from `hubportal/access.py` by",
        "`manage.py access_table`; `tests/test_access_matrix.py` requests every URL as every kind of actor",
        "and checks each answer against it. Someone without the session a page needs is sent to that",
        "sign-in page; someone of the right kind but the wrong person, hub or organisation gets 404.",
        "",
        "| URL name | who may | " + " | ".join(access.ACTORS) + " |",
        "| --- | --- | " + " | ".join("---" for _ in access.ACTORS) + " |",
    ]
    for name, rule in sorted(access.ACCESS.items()):
        answers = " | ".join(rule.expected(actor) for actor in access.ACTORS)
        lines.append(f"| `{name}` | {rule.who} | {answers} |")
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Print the access table as Markdown (docs/access.md)."

    def handle(self, *args, **options):
        self.stdout.write(access_table_markdown(), ending="")
