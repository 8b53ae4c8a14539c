"""`make bench`: the staff pages, submission and the matcher at up to 1,000,000 inquiries (issue 13).

    python manage.py bench [--inquiries 100000] [--hubs 4] [--http] [--repeats 30] [--hub B01]
                           [--pages dashboard,list,...] [--database-url URL] [--no-digests]

The figures only mean something on PostgreSQL with production settings, so the command runs itself
again in a child process with a controlled environment: DEBUG off, the test server's host allowed,
and a database of its own for each data size, `hubportal_bench_<inquiries>_<hubs>` on DATABASE_URL's
PostgreSQL server (else on postgres://postgres@127.0.0.1:5432/; --database-url overrides), so runs at
different sizes never mix and a second run at the same size seeds nothing. The child migrates, seeds
the difference with seed_demo(inquiries=..., hubs=...), signs the lead of the hub with the most
inquiries in, and measures (devtools.bench_pages):

- in process, through django.test.Client: each page's median, p95, query count, and the share of its
  time spent in SQL, in templates and in other Python; the export's rows a second and its memory;
- with --http, the same pages over HTTP through gunicorn (2 sync workers, DEBUG off, persistent
  database connections; devtools.bench_http), one request after another, with the session cookie of
  the same signed-in lead;
- submission (devtools.bench_submit) and the matcher (devtools.bench_matcher), owned by their modules,
  when they can be imported.

The load average is printed before and after. The output ends with one `BENCH page=... key=value`
line per page and mode (devtools.bench_pages.parse_bench_line reads them). docs/benchmarks.md has the
figures and says what each column means.
"""

import datetime as dt
import inspect
import os
import platform
import subprocess
import sys
import time
import warnings

import dj_database_url
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from devtools.bench_pages import (
    EXPORT_REPEATS,
    EXPORT_ROWS,
    EXTRA_PAGES,
    PAGES,
    bench_line,
    bench_urls,
    format_bench_line,
    format_table,
    measure_http,
    measure_inprocess,
)

DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/"
CHILD = "HUBPORTAL_BENCH_CHILD"
MAX_INQUIRIES = 1_000_000
DEFAULT_HUBS = 4  # the demo's four hubs: about 25,000 inquiries each at 100,000
OTHER_PAGES = ("submit", "matcher")  # measured by other modules; they say their own figures


def bench_database_url(*, inquiries, hubs, database_url=None, current=None):
    """The bench database for this data size: never the one DATABASE_URL names (a developer's, or CI's)."""
    if database_url:
        return database_url
    current = current if current is not None else os.environ.get("DATABASE_URL", "")
    server = current.rsplit("/", 1)[0] + "/" if current.startswith(("postgres://", "postgresql://")) \
        else DEFAULT_SERVER_URL
    return f"{server}hubportal_bench_{inquiries}_{hubs}"


def _child_environment(url):
    env = dict(os.environ)
    env.update({
        CHILD: "1", "DATABASE_URL": url, "DEBUG": "0",
        "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
        # Requests are made as HTTPS (secure=True, or X-Forwarded-Proto); static files are named, never collected.
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "CELERY_TASK_ALWAYS_EAGER": "1",
    })
    env.setdefault("SECRET_KEY", "bench-only-not-secret-long-enough-for-the-production-key-rule")
    return env


def _ensure_database(url):
    """Create the PostgreSQL database named in `url` if it does not exist. True if it was created."""
    import psycopg2
    from psycopg2 import sql

    config = dj_database_url.parse(url)
    server = psycopg2.connect(dbname="postgres", user=config.get("USER") or None,
                              password=config.get("PASSWORD") or None, host=config.get("HOST") or None,
                              port=config.get("PORT") or None)
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
                return True
    finally:
        server.close()
    return False


def _machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "")
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        database = cursor.fetchone()[0].split(" on ")[0]
    import django

    return (f"{os.cpu_count()} CPU ({cpu or platform.machine()}), Python {platform.python_version()}, "
            f"Django {django.get_version()}, {database}")


def _load():
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def _call_with_accepted(function, **kwargs):
    """Call another helper's bench function with the keywords it accepts (its signature is its own)."""
    accepted = inspect.signature(function).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        return function(**kwargs)
    return function(**{key: value for key, value in kwargs.items() if key in accepted})


def _as_rows(figures):
    """A bench function's figures as a list of dicts (the matcher returns one per directory size)."""
    if isinstance(figures, dict):
        nested = [value for value in figures.values() if isinstance(value, dict)]
        return nested if nested and all("median_ms" in row for row in nested) else [figures]
    if isinstance(figures, list | tuple):
        return [row for row in figures if isinstance(row, dict)]
    return []


def _optional(module, function):
    """`module.function`, or None when that module is not there (yet: other helpers own it)."""
    import importlib

    try:
        return getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError):
        return None


class Command(BaseCommand):
    help = "Measure the staff pages (in process and over HTTP), submission and the matcher (make bench)."

    def add_arguments(self, parser):
        parser.add_argument("--inquiries", type=int, default=100_000,
                            help=f"Sent inquiries in the bench database, up to {MAX_INQUIRIES:,} (default 100,000)")
        parser.add_argument("--hubs", type=int, default=DEFAULT_HUBS,
                            help=f"Spread them over this many hubs (default {DEFAULT_HUBS})")
        parser.add_argument("--http", action="store_true",
                            help="Also measure the pages over HTTP through gunicorn (2 sync workers)")
        parser.add_argument("--repeats", type=int, default=30, help="Timed requests per page (default 30)")
        parser.add_argument("--export-repeats", type=int, default=EXPORT_REPEATS,
                            help=f"Timed requests of the export (default {EXPORT_REPEATS})")
        parser.add_argument("--export-rows", type=int, default=EXPORT_ROWS,
                            help=f"Rows to export (default {EXPORT_ROWS:,}, or all the hub has)")
        parser.add_argument("--pages", default=",".join(PAGES + OTHER_PAGES),
                            help="Comma-separated pages (default: all the issue's; also: "
                                 + ", ".join(EXTRA_PAGES) + ")")
        parser.add_argument("--hub", help="The hub's code (default: the hub with the most inquiries)")
        parser.add_argument("--database-url", help="PostgreSQL to use (default: hubportal_bench_<inquiries>_<hubs> "
                                                   "on DATABASE_URL's server)")
        parser.add_argument("--no-digests", action="store_true", help="Skip the weekly digest run's figures")

    def handle(self, *args, **options):
        if not 1 <= options["inquiries"] <= MAX_INQUIRIES:
            raise CommandError(f"--inquiries must be between 1 and {MAX_INQUIRIES:,}")
        if options["hubs"] < 1:
            raise CommandError("--hubs must be at least 1")
        pages = [page.strip() for page in options["pages"].split(",") if page.strip()]
        unknown = sorted(set(pages) - set(PAGES + EXTRA_PAGES + OTHER_PAGES))
        if unknown:
            raise CommandError(f"Unknown pages: {', '.join(unknown)}")
        options["pages"] = pages
        if os.environ.get(CHILD) != "1":
            return self._run_child(options)
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark needs PostgreSQL (set --database-url).")
        self._bench(options)

    def _run_child(self, options):
        url = bench_database_url(inquiries=options["inquiries"], hubs=options["hubs"],
                                 database_url=options["database_url"])
        if not url.startswith(("postgres://", "postgresql://")):
            raise CommandError(f"The benchmark needs PostgreSQL, not {url.split(':', 1)[0]}")
        try:
            if _ensure_database(url):
                self.stdout.write(f"Created the database {dj_database_url.parse(url)['NAME']}.")
        except Exception as error:  # say what is wrong in one line
            raise CommandError(f"Cannot reach PostgreSQL at {url}: {error}".strip()) from error
        self.stdout.write(f"Benchmarking against {url}")
        argv = [sys.executable, str(settings.BASE_DIR / "manage.py"), "bench",
                "--inquiries", str(options["inquiries"]), "--hubs", str(options["hubs"]),
                "--repeats", str(options["repeats"]), "--export-repeats", str(options["export_repeats"]),
                "--export-rows", str(options["export_rows"]), "--pages", ",".join(options["pages"]),
                "--database-url", url, "--verbosity", str(options["verbosity"])]
        argv += ["--hub", options["hub"]] if options["hub"] else []
        argv += ["--http"] if options["http"] else []
        argv += ["--no-digests"] if options["no_digests"] else []
        self.stdout.flush()
        # The child's command line is built above from our own arguments, not from user text.
        completed = subprocess.run(argv, env=_child_environment(url), check=False)  # noqa: S603
        if completed.returncode:
            raise CommandError(f"The benchmark failed (exit status {completed.returncode}).")

    def _seed(self, options):
        from devtools.management.commands.seed_demo import seed_demo
        from intake.models import Inquiry

        have = Inquiry.objects.exclude(status=Inquiry.Status.DRAFT).count()
        if have >= options["inquiries"]:
            return
        wanted = options["inquiries"] - have
        self.stdout.write(f"Seeding {wanted:,} inquiries over {options['hubs']} hubs ({have:,} exist)...")
        started = time.monotonic()

        def progress(done):
            if options["verbosity"] >= 2 or done % 20_000 == 0:
                self.stdout.write(f"  {done:,} of {wanted:,} ({time.monotonic() - started:.0f} s)")

        seed_demo(inquiries=wanted, hubs=options["hubs"], progress=progress)
        self.stdout.write(f"Seeded in {time.monotonic() - started:.0f} s.")

    def _bench(self, options):
        from hubportal.models import Hub, HubMembership
        from intake.models import Inquiry
        from intake.selectors import hub_inquiries

        # WhiteNoise warns that collectstatic has not run; the benchmark serves no static files.
        warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
        call_command("migrate", interactive=False, verbosity=0)
        self._seed(options)
        hubs = Hub.objects.filter(is_active=True)
        if options["hub"]:
            hub = hubs.filter(code=options["hub"].upper()).first()
            if hub is None:
                raise CommandError(f"There is no active hub with the code {options['hub']!r}")
        else:
            hub = max(hubs, key=lambda h: hub_inquiries(h).count())
        membership = (HubMembership.objects.filter(hub=hub).select_related("user")
                      .order_by("role", "created_at").first())  # "lead" sorts before "member"
        if membership is None:
            raise CommandError(f"{hub.name} has no members to sign in as")
        inquiries = Inquiry.objects.exclude(status=Inquiry.Status.DRAFT).count()
        size = {"inquiries": inquiries, "hubs": options["hubs"]}
        pages = tuple(p for p in options["pages"] if p not in OTHER_PAGES)

        self.stdout.write(f"\nMachine: {_machine()}")
        self.stdout.write(f"Data: {inquiries:,} sent inquiries over {options['hubs']} hubs; {hub.name} ({hub.code}) "
                          f"has {hub_inquiries(hub).count():,}. Signed in as {membership.user.email} "
                          f"({membership.get_role_display()}). {options['repeats']} requests per page "
                          f"({options['export_repeats']} for the export), {dt.datetime.now():%Y-%m-%d %H:%M}.")
        load_before = _load()
        self.stdout.write(f"Load average (1, 5, 15 min) before: {load_before}\n")

        lines = []
        results = measure_inprocess(hub=hub, user=membership.user, repeats=options["repeats"],
                                    export_rows=options["export_rows"], export_repeats=options["export_repeats"],
                                    pages=pages) if pages else []
        self.stdout.write("In process (django.test.Client):")
        self.stdout.write(format_table(results))
        for result in results:
            self.stdout.write(f"  {result.page}: {result.url}")
        lines += [bench_line(result, **size) for result in results]

        if options["http"] and pages:
            http_results = self._bench_http(hub, membership.user, options, pages)
            in_process = {result.url: result for result in results}
            for result in http_results:
                if result.url in in_process:  # counted in process on the same URL
                    result.queries, result.rows = in_process[result.url].queries, in_process[result.url].rows
            self.stdout.write("\nOver HTTP (gunicorn, 2 sync workers, one request after another):")
            self.stdout.write(format_table(http_results))
            lines += [bench_line(result, **size) for result in http_results]

        if "submit" in options["pages"]:
            lines += self._bench_submit(options, size)
        if "matcher" in options["pages"]:
            lines += self._bench_matcher(size)
        if not options["no_digests"]:
            from devtools.bench_digests import bench_digests, format_digest_figures

            self.stdout.write("")
            self.stdout.write(format_digest_figures(bench_digests()))

        # Other work on the machine slows every figure; the load average says how busy it was.
        self.stdout.write(f"\nLoad average (1, 5, 15 min) before: {load_before}; after: {_load()}")
        self.stdout.write("")
        for line in lines:
            self.stdout.write(line)

    def _bench_http(self, hub, user, options, pages):
        from devtools.bench_http import gunicorn_server, staff_session_cookie

        cookie = staff_session_cookie(user)
        urls = bench_urls(hub, export_rows=options["export_rows"], pages=pages)
        self.stdout.write("\nStarting gunicorn...")
        with gunicorn_server(env=dict(os.environ)) as server:
            self.stdout.write(f"gunicorn on {server.host}:{server.port}, workers {server.worker_pids()}, "
                              f"access log {server.log_path}")
            results = measure_http(host=server.host, port=server.port, session_cookie=cookie, urls=urls,
                                   repeats=options["repeats"], export_repeats=options["export_repeats"],
                                   worker_memory=server.worker_memory)
            if any(result.error for result in results):
                # A cut-off response is usually gunicorn's worker timeout (30 s): its log says so.
                self.stdout.write("gunicorn's log, its errors:\n" + "\n".join(
                    line for line in server.log_tail(2000).splitlines() if "CRITICAL" in line or "ERROR" in line))
            return results

    def _bench_submit(self, options, size):
        bench_submit = _optional("devtools.bench_submit", "bench_submit")
        mode = "http" if options["http"] else "inprocess"
        if bench_submit is None:
            self.stdout.write("\nSubmit: devtools.bench_submit is not there yet (another part of issue 13).")
            return [format_bench_line("submit", mode=mode, status="unavailable", **size)]
        try:
            figures = _call_with_accepted(bench_submit, http=options["http"])
        except Exception as error:  # another module's; report it, and keep the rest of the run
            self.stdout.write(f"\nSubmit: failed: {type(error).__name__}: {error}")
            return [format_bench_line("submit", mode=mode, status="error", **size)]
        self.stdout.write("\nSubmit (devtools.bench_submit):")
        self.stdout.write("\n".join(f"  {key}: {value}" for key, value in dict(figures).items()))
        return [format_bench_line("submit", mode=figures.get("mode", mode), median_ms=figures.get("median_ms"),
                                  p95_ms=figures.get("p95_ms"), queries=figures.get("queries"),
                                  posts_per_s=figures.get("posts_per_s"), status=200, **size)]

    def _bench_matcher(self, size):
        bench_matcher = _optional("devtools.bench_matcher", "bench_matcher")
        if bench_matcher is None:
            self.stdout.write("\nMatcher: devtools.bench_matcher is not there.")
            return [format_bench_line("matcher", mode="inprocess", status="unavailable", **size)]
        try:
            figures = bench_matcher()
        except Exception as error:  # another module's; report it, and keep the rest of the run
            self.stdout.write(f"\nMatcher: failed: {type(error).__name__}: {error}")
            return [format_bench_line("matcher", mode="inprocess", status="error", **size)]
        self.stdout.write("\nMatcher (devtools.bench_matcher):")
        lines = []
        for row in _as_rows(figures):
            self.stdout.write("  " + ", ".join(f"{key} {value}" for key, value in row.items()))
            lines.append(format_bench_line(
                "matcher", mode="inprocess", median_ms=row.get("median_ms"), p95_ms=row.get("p95_ms"),
                queries=row.get("queries", row.get("queries_per_call")), directory=row.get("size"),
                partners=row.get("partners"),
                services=row.get("services"), resources=row.get("resources"), status=200, **size))
        return lines
