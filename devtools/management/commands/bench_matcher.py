from django.core.management.base import BaseCommand

from devtools.bench_matcher import bench_matcher


class Command(BaseCommand):
    help = "Time the matcher on a directory of 500 partners and 2,000 resources (built and rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--repeats", type=int, default=200)

    def handle(self, *args, **options):
        figures = bench_matcher(repeats=options["repeats"])
        for key, value in figures.items():
            self.stdout.write(f"{key:>26}: {value}")
        verdict = "under" if figures["p95_ms"] < figures["target_ms"] else "OVER"
        self.stdout.write(f"Matcher p95 {figures['p95_ms']} ms: {verdict} the {figures['target_ms']} ms target.")
