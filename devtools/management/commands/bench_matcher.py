from django.core.management.base import BaseCommand

from devtools.bench_matcher import SIZES, bench_matcher


class Command(BaseCommand):
    help = ("Time the matcher on directories of 500 partners / 1,000 services / 2,000 resources and five "
            "times that (each built and rolled back).")

    def add_arguments(self, parser):
        parser.add_argument("--repeats", type=int, default=200)
        parser.add_argument("--size", choices=[s.name for s in SIZES], action="append",
                            help="Only this size (repeatable); default every size.")

    def handle(self, *args, **options):
        sizes = [s for s in SIZES if not options["size"] or s.name in options["size"]]
        for figures in bench_matcher(repeats=options["repeats"], sizes=sizes):
            self.stdout.write(f"Directory {figures['size']}:")
            for key, value in figures.items():
                self.stdout.write(f"{key:>26}: {value}")
            verdict = "within" if figures["median_ms"] <= figures["target_ms"] else "OVER"
            self.stdout.write(f"Matcher median {figures['median_ms']} ms: {verdict} the {figures['target_ms']} ms "
                              f"target at {figures['partners']} partners.")
