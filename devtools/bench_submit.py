"""How many final submits a second? `bench_submit()` sends ready drafts through "Check your answers".

Issue 13's target: the final submit of an inquiry (the POST from the check-your-answers page) sustains
at least 3x django-helpdesk 2.6.1's public form POST rate on the same box (the issue measured 85
POSTs/s; docs/benchmarks.md says how to measure helpdesk on the machine at hand, with a copy of this
harness), through gunicorn with 2 sync workers, DEBUG off, persistent database connections and 20
concurrent connections.

    from devtools.bench_submit import bench_submit
    bench_submit(posts=2000, concurrency=20, http=True)     # {"posts_per_s": ..., "median_ms": ...}
    python -m devtools.bench_submit --posts 2000 [--in-process] [--profile] [--database-url URL]

The figures only mean something on PostgreSQL with production settings, and the caller may have
Django configured on another database (`make bench` does), so the work happens in a child process
with its own environment: DATABASE_URL (a database of its own, hp_submit_bench unless told, created
if missing), DEBUG off, a throwaway SECRET_KEY, and a filesystem Celery broker in a temporary folder
(no worker runs: the tasks the submits enqueue are only published, so nothing is sent and no other
suite's worker can pick them up). The child:

1. migrates, loads the demo hubs and the demo directory (partners, resources, routing rules: the
   matcher has something to match) and one webhook endpoint per hub for new inquiries;
2. makes `posts` ready-to-send drafts, each of its own submitter with a session as the emailed-link
   sign-in leaves it (signed in with ModelBackend), and a CSRF cookie, written straight to the database;
3. over HTTP: starts gunicorn (2 sync workers, hubportal/gunicorn.conf.py) on a free loopback port,
   warms it up, then POSTs every draft's check-your-answers page from `concurrency` threads, as
   HTTPS behind a proxy (X-Forwarded-Proto) with an Origin, as a browser would;
   in process (http=False): POSTs through django.test.Client one after another, timing each request's
   wall clock and CPU, optionally under cProfile, and splits the CPU time by the parts of the submit;
4. checks every POST redirected to its confirmation page, every draft is now submitted, and each got
   exactly one acknowledgement row in the outbox; counts the queries of one more submit.

The dict returned always has posts_per_s, median_ms, p95_ms and queries (what `make bench` prints),
plus ok, failures, load averages and, in process, cpu_ms_median and the profile's split.
"""

import argparse
import datetime as dt
import json
import math
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/hp_submit_bench"
BASE_DIR = Path(__file__).resolve().parent.parent
WARM_UP = 40

# Where the time of a submit goes: (label, function name as cProfile names it, its file's tail).
# Cumulative CPU time of this process in each, per request; they nest (the matcher is inside the
# acknowledgement, everything inside the handler). PostgreSQL's time is not in them.
PARTS = [
    ("whole request (Django handler)", "get_response", "django/core/handlers/base.py"),
    ("session load", "load", "sessions/backends/db.py"),
    ("user load (request.user)", "get_user", "django/contrib/auth/__init__.py"),
    ("the view inquiry_check", "inquiry_check", "intake/views.py"),
    ("row reads (QuerySet.get: session, user, the draft under its lock)", "get", "django/db/models/query.py"),
    ("row updates (QuerySet.update)", "update", "django/db/models/query.py"),
    ("inquiry_submit (the transaction's work)", "inquiry_submit", "intake/services.py"),
    ("reference counter (_next_reference)", "_next_reference", "intake/services.py"),
    ("search document (inquiry_index_text)", "inquiry_index_text", "intake/services.py"),
    ("reminder planning (plan_triage)", "plan_triage", "intake/reminders.py"),
    ("timeline event (_event)", "_event", "intake/services.py"),
    ("follow-up row (plan_submitted_follow_up)", "plan_submitted_follow_up", "intake/reminders.py"),
    ("acknowledgement row (emails.acknowledgement)", "acknowledgement", "intake/emails.py"),
    ("matcher (instant_signposting)", "instant_signposting", "signposting/selectors.py"),
    ("webhook fan-out (inquiry_webhook_emit)", "inquiry_webhook_emit", "intake/webhooks.py"),
    ("after-commit work in the request (run_and_clear_commit_hooks)", "run_and_clear_commit_hooks",
     "django/db/backends/base/base.py"),
    ("commit", "commit", "django/db/backends/base/base.py"),
    ("redirect", "redirect", "django/shortcuts.py"),
    ("session save", "save", "sessions/backends/db.py"),
    ("SQL execution (client side, all statements)", "_execute", "django/db/backends/utils.py"),
]


def bench_submit(*, posts=1000, concurrency=20, http=True, database_url=None, workers=2, profile=False,
                 timeout=1800):
    """Run the benchmark in a child process and return its figures (see the module docstring)."""
    args = {"posts": posts, "concurrency": concurrency, "http": http, "workers": workers, "profile": profile}
    env = {**os.environ, **_child_env(database_url or DEFAULT_DATABASE_URL)}
    done = subprocess.run([sys.executable, "-m", "devtools.bench_submit", "--child", json.dumps(args)],  # noqa: S603
                          cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise RuntimeError(f"bench_submit's child failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                           f"{done.stderr[-5000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def _child_env(database_url):
    var_dir = tempfile.mkdtemp(prefix="bench_submit_")
    return {
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "hubportal.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        # Persistent connections, kept for longer than a slow run lasts so the same backends serve it all.
        "DATABASE_CONN_MAX_AGE": "600",
        "VAR_DIR": var_dir,
        "CELERY_BROKER_URL": "filesystem://",
        "REDIS_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "SITE_URL": "https://127.0.0.1",
    }


def _ensure_database(database_url):
    """Create the bench database on its server when it does not exist yet."""
    import dj_database_url
    import psycopg2

    config = dj_database_url.parse(database_url)
    name = config["NAME"]
    admin = psycopg2.connect(host=config["HOST"] or "127.0.0.1", port=config["PORT"] or 5432,
                             user=config["USER"] or "postgres", password=config["PASSWORD"] or None,
                             dbname="postgres")
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if not cursor.fetchone():
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()


# --- In the child: data ---------------------------------------------------------------------------

def _prepare_site():
    """Migrate; the demo hubs, directory and a webhook endpoint per hub (each step skipped once done)."""
    import io

    from django.core.management import call_command

    from hubportal.models import Hub, User, WebhookEndpoint
    from signposting.models import Resource

    call_command("migrate", verbosity=0)
    if not Hub.objects.exists():
        call_command("load_demo", stdout=io.StringIO())
    if not Resource.objects.exists():
        from devtools import demo_directory

        demo_directory.load()
    lead = User.objects.filter(hub_memberships__role="lead").first()
    for hub in Hub.objects.filter(is_active=True):
        if not WebhookEndpoint.objects.filter(hub=hub).exists():
            WebhookEndpoint.objects.create(hub=hub, name="Bench channel", kind=WebhookEndpoint.Kind.JSON,
                                           url="https://example.org/hooks/bench", events=["inquiry.submitted"],
                                           secret=secrets.token_hex(32), created_by=lead)
    return list(Hub.objects.filter(is_active=True).order_by("code"))


def _prepare_drafts(count, hubs):
    """`count` ready drafts, each of its own submitter signed in; returns [(session_key, csrf, public_id)]."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from hubportal.models import User
    from intake.models import Inquiry

    run = secrets.token_hex(4)
    needs = [["evaluation", "funding"], ["regulatory"], ["adoption", "evidence"], ["funding"]]
    stages = ["idea", "prototype", "piloted", "in_use"]
    with transaction.atomic():
        users = User.objects.bulk_create(User(email=f"bench.{run}.{n}@nhs.net", full_name=f"Bench Submitter {n}")
                                         for n in range(count))
        for user in users:
            user.set_unusable_password()
        User.objects.bulk_update(users, ["password"])
        drafts = Inquiry.objects.bulk_create(
            Inquiry(submitter=user, hub=hubs[n % len(hubs)], kind_of_help="new_idea",
                    title=f"Remote monitoring for heart failure {run} {n}",
                    problem="Patients wait in hospital for observations that could be done at home.",
                    proposed_innovation="A remote monitoring kit with a clinician dashboard.",
                    who_benefits="Patients with heart failure and ward staff.", innovation_type="digital",
                    stage=stages[n % len(stages)], evidence="A three-month pilot on one ward.",
                    support_needed=needs[n % len(needs)], themes=["health_inequalities"],
                    contact_name=user.full_name, organisation="Dorset County Hospital NHS Foundation Trust",
                    role="Ward manager", consent_share_with_partners=True, consent_contact=True)
            for n, user in enumerate(users))
        store = SessionStore()
        expire = timezone.now() + dt.timedelta(hours=8)
        sessions, plan = [], []
        for user, draft in zip(users, drafts, strict=True):
            key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
            # As the emailed-link sign-in leaves it: django.contrib.auth.login with ModelBackend.
            data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                    HASH_SESSION_KEY: user.get_session_auth_hash()}
            sessions.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
            plan.append((key, get_random_string(32), str(draft.public_id)))
        Session.objects.bulk_create(sessions)
    return plan


def _check(plan, responses):
    """Every POST went to its confirmation page, every draft was sent, one acknowledgement each."""
    from django.db.models import Count
    from django.urls import reverse

    from hubportal.models import OutboundEmail
    from intake.models import Inquiry

    failures = []
    for (_, _, public_id), (status, location) in zip(plan, responses, strict=True):
        wanted = reverse("intake:inquiry_submitted", args=[public_id])
        if status != 302 or not location.endswith(wanted):
            failures.append(f"{public_id}: {status} {location}")
    public_ids = [p for _, _, p in plan]
    inquiries = dict(Inquiry.objects.filter(public_id__in=public_ids).values_list("pk", "status"))
    not_sent = [pk for pk, status in inquiries.items() if status != Inquiry.Status.SUBMITTED]
    keys = [f"inquiry:{pk}:acknowledgement" for pk in inquiries]
    rows = dict(OutboundEmail.objects.filter(key__in=keys).values_list("key").annotate(n=Count("pk")))
    wrong_acks = [key for key in keys if rows.get(key) != 1]
    return {"failures": failures[:20], "failed_posts": len(failures), "not_submitted": len(not_sent),
            "acknowledgements_not_exactly_one": len(wrong_acks),
            "ok": not failures and not not_sent and not wrong_acks and len(inquiries) == len(plan)}


def _count_queries(plan_one):
    """Queries of one submit, through django.test.Client (not timed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(plan_one)
    with CaptureQueriesContext(connection) as queries:
        response = _post_in_process(client, plan_one)
    return len(queries), [q["sql"][:160] for q in queries], response


def _client(item):
    from django.conf import settings
    from django.test import Client

    session_key, csrf, _ = item
    client = Client(enforce_csrf_checks=True, HTTP_ORIGIN="https://testserver")
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    client.cookies[settings.CSRF_COOKIE_NAME] = csrf
    return client


def _post_in_process(client, item):
    from django.urls import reverse

    _, csrf, public_id = item
    response = client.post(reverse("intake:inquiry_check", args=[public_id]), {"csrfmiddlewaretoken": csrf},
                           secure=True)
    return response.status_code, response.get("Location", "")


# --- In the child: the two modes ------------------------------------------------------------------

def _percentile(values, share):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else None


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _http_post(port, item):
    """One POST on its own connection (gunicorn's sync workers close each after the response)."""
    session_key, csrf, public_id = item
    body = f"csrfmiddlewaretoken={csrf}".encode()
    request = (f"POST /inquiries/{public_id}/check-your-answers/ HTTP/1.1\r\n"
               f"Host: 127.0.0.1:{port}\r\nX-Forwarded-Proto: https\r\nOrigin: https://127.0.0.1:{port}\r\n"
               f"Cookie: sessionid={session_key}; csrftoken={csrf}\r\n"
               f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
               f"Connection: close\r\n\r\n").encode() + body
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head = b"".join(chunks).split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    location = next((line.split(":", 1)[1].strip() for line in head[1:] if line.lower().startswith("location:")), "")
    return status, location


def _start_gunicorn(port, workers):
    command = [sys.executable, "-m", "gunicorn", "hubportal.wsgi:application", "-c", "hubportal/gunicorn.conf.py",
               "--workers", str(workers), "--worker-class", "sync", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(command, cwd=BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,  # noqa: S603
                              start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {server.stderr.read().decode()[-3000:]}") from None
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start within 60 s")


def _fire(port, plan, concurrency):
    """POST every draft from `concurrency` threads; returns (seconds, [latency ms], [(status, location)])."""
    results = [None] * len(plan)
    latencies = [0.0] * len(plan)
    next_index = iter(range(len(plan)))
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            started = time.perf_counter()
            try:
                results[index] = _http_post(port, plan[index])
            except OSError as error:
                results[index] = (0, f"{type(error).__name__}: {error}")
            latencies[index] = (time.perf_counter() - started) * 1000

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, results


def _cpu_seconds(pids):
    """{pid: user + system CPU seconds used so far} for those of these processes still running (Linux /proc)."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return used


def _cpu_used(before, after):
    """CPU seconds between two _cpu_seconds readings, over the processes present in both."""
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys())


def _worker_pids(master_pid):
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master_pid:
                children.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return children


def _database_backend_pids():
    """The PostgreSQL backends serving the bench database, other than this process's own (same machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return [pid for (pid,) in cursor.fetchall()]


def _run_http(plan, *, concurrency, workers):
    """Fire the plan at a gunicorn of our own. Besides the rate, the CPU each POST cost in gunicorn's workers,
    in their PostgreSQL backends and in this client: on a machine other work shares, that is the steadier
    figure (2 cores / CPU per POST is what the box would do alone)."""
    port = _free_port()
    server = _start_gunicorn(port, workers)
    try:
        warm, plan = plan[:WARM_UP], plan[WARM_UP:]
        _fire(port, warm, min(concurrency, 4))
        web, database = _worker_pids(server.pid), _database_backend_pids()
        cpu_before = (_cpu_seconds(web), _cpu_seconds(database), time.process_time())
        load_before = os.getloadavg()
        seconds, latencies, responses = _fire(port, plan, concurrency)
        load_after = os.getloadavg()
        cpu_after = (_cpu_seconds(web), _cpu_seconds(database), time.process_time())
        cpu_used = (_cpu_used(cpu_before[0], cpu_after[0]), _cpu_used(cpu_before[1], cpu_after[1]),
                    cpu_after[2] - cpu_before[2])
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    return plan, responses, {
        "mode": "http", "workers": workers, "concurrency": concurrency, "posts": len(plan),
        "seconds": round(seconds, 3), "posts_per_s": round(len(plan) / seconds, 1),
        "median_ms": round(statistics.median(latencies), 1), "p95_ms": round(_percentile(latencies, 0.95), 1),
        "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in load_after],
        "cpu_ms_per_post": {part: round(used * 1000 / len(plan), 2) for part, used
                            in zip(("gunicorn workers", "postgresql backends", "client"), cpu_used, strict=True)},
    }


def _profile_split(profiler, requests):
    import pstats

    stats = pstats.Stats(profiler).stats
    split = {}
    for label, name, tail in PARTS:
        total = sum(cumulative for (path, _line, func), (_cc, _nc, _tt, cumulative, _callers) in stats.items()
                    if func == name and path.endswith(tail))
        # Functions that recurse (get_response through the middleware) are counted once by cProfile.
        split[label] = round(total * 1000 / requests, 2)
    return split


def _run_in_process(plan, *, profile):
    import cProfile

    warm, plan = plan[:WARM_UP], plan[WARM_UP:]
    clients = [_client(item) for item in [*warm, *plan]]
    # One handler for every client, as a gunicorn worker has one: a handler loads the middleware on its
    # first request, and WhiteNoise's scan of the static files would otherwise be in every timed POST.
    for client in clients[1:]:
        client.handler = clients[0].handler
    for client, item in zip(clients[:len(warm)], warm, strict=True):
        _post_in_process(client, item)
    clients = clients[len(warm):]
    load_before = os.getloadavg()
    walls, cpus, responses = [], [], []
    # CPU time, not the wall clock: with other work on the machine the wall clock mostly measures the wait
    # for a core, and PostgreSQL's own work is in another process (its share shows as the wall-clock gap).
    profiler = cProfile.Profile(time.process_time) if profile else None
    started = time.perf_counter()
    for client, item in zip(clients, plan, strict=True):
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        responses.append(_post_in_process(client, item))
        if profiler:
            profiler.disable()
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    seconds = time.perf_counter() - started
    figures = {
        "mode": "in_process", "posts": len(plan), "seconds": round(seconds, 3),
        "posts_per_s": round(len(plan) / seconds, 1), "profiled": bool(profile),
        "median_ms": round(statistics.median(walls), 2), "p95_ms": round(_percentile(walls, 0.95), 2),
        "cpu_ms_median": round(statistics.median(cpus), 2), "cpu_ms_mean": round(statistics.fmean(cpus), 2),
        "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    if profiler:
        figures["profile_ms_per_request"] = _profile_split(profiler, len(plan))
        out = Path(os.environ.get("BENCH_SUBMIT_PROFILE", Path(tempfile.gettempdir()) / "bench_submit.prof"))
        profiler.dump_stats(out)
        figures["profile_file"] = str(out)
    return plan, responses, figures


def _child(args):
    _ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    hubs = _prepare_site()
    plan = _prepare_drafts(args["posts"] + WARM_UP + 1, hubs)
    plan, counted = plan[:-1], plan[-1]
    if args["http"]:
        plan, responses, figures = _run_http(plan, concurrency=args["concurrency"], workers=args["workers"])
    else:
        plan, responses, figures = _run_in_process(plan, profile=args["profile"])
    figures["queries"], figures["query_list"], response = _count_queries(counted)
    figures.update(_check(plan + [counted], responses + [response]))
    print("RESULT " + json.dumps(figures))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--in-process", action="store_true", help="django.test.Client, one after another")
    parser.add_argument("--profile", action="store_true", help="in process, under cProfile")
    parser.add_argument("--database-url", default=None)
    options = parser.parse_args(argv)
    if options.child:
        _child(json.loads(options.child))
        return
    figures = bench_submit(posts=options.posts, concurrency=options.concurrency, http=not options.in_process,
                           database_url=options.database_url, workers=options.workers, profile=options.profile)
    figures.pop("query_list", None) if not options.profile else None
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
