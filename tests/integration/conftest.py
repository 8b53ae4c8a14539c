"""A real Celery worker on a real Redis, for tests that cross the process boundary.

Unit tests run tasks eagerly, in the test process. The tests in this folder start the worker the
Procfile starts (`celery -A hubportal worker`) as a subprocess on Redis, pointed at the test
database, with emails written to files in a temporary folder; the test process publishes to the same
Redis through the same Celery app, switched off eager mode for the module.

Redis: the server in REDIS_URL (else 127.0.0.1:6379), always on database 15, a number of its own, so
a developer's data is never touched. That database is flushed before the worker starts. Only one worker at a
time uses a given Redis database: a file lock serialises pytest-xdist workers and concurrent runs,
which would otherwise take each other's tasks off the shared queue and run them on the wrong
database.
"""

import contextlib
import ctypes
import email
import email.policy
import fcntl
import hashlib
import os
import runpy
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import skip_or_fail

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
TESTS_REDIS_DB = 15


def tests_redis_url():
    """REDIS_URL's server, but database 15 whatever REDIS_URL names: the tests flush it."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{TESTS_REDIS_DB}", parts.query, ""))
WORKER_READY_SECONDS = 30
WORKER_STOP_SECONDS = 10
# Waiting for another run (or xdist worker) to finish with the same Redis database.
REDIS_LOCK_SECONDS = 180
# kombu's Redis transport: the default queue's lists and the hash of delivered, unacknowledged messages.
QUEUE_NAME = "celery"
QUEUE_NAMES = ("urgent", QUEUE_NAME)  # the worker's queues (-Q urgent,celery)
UNACKED_KEY = "unacked"
# What Django's file-based email backend writes after each message.
MESSAGE_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


# --- Reporting ------------------------------------------------------------------------------------

@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Attach the worker's log (from this test's start) to the report of a failed test."""
    report = yield
    funcargs = getattr(item, "funcargs", {})
    worker = funcargs.get("celery_worker_on_redis")
    if report.failed and isinstance(worker, CeleryWorker):
        report.sections.append((f"Celery worker log ({report.when})", worker.log_since_test_start()))
    rig = funcargs.get("email_fault_rig")
    if report.failed and isinstance(rig, EmailFaultRig):
        for number, rig_worker in enumerate(rig.workers_of_this_test, start=1):
            report.sections.append((f"Celery worker {number} log ({report.when})",
                                    rig_worker.log_since_test_start()))
    return report


# --- Helpers --------------------------------------------------------------------------------------

def wait_for(predicate, *, timeout, interval=0.1, message="condition"):
    """Call `predicate` until it returns something truthy; return that, or fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            pytest.fail(f"Timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


def _database_url_for_worker():
    """DATABASE_URL for the test database this process is using (pytest-django has renamed it)."""
    db = connection.settings_dict
    engine = db["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            pytest.fail("The test database is in memory; a worker process cannot see it.")
        return f"sqlite:///{Path(name).resolve()}"
    if engine in ("django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis"):
        auth = quote(db.get("USER") or "", safe="")
        if db.get("PASSWORD"):
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = db.get("HOST") or ""
        # An empty host means the local socket; a path is a socket folder; IPv6 needs brackets.
        host = quote(host, safe="") if host.startswith("/") else (f"[{host}]" if ":" in host else host)
        port = f":{db['PORT']}" if db.get("PORT") else ""
        url = f"postgres://{auth}{'@' if auth else ''}{host}{port}/{quote(db['NAME'], safe='')}"
        options = {k: v for k, v in (db.get("OPTIONS") or {}).items() if isinstance(v, str | int)}
        return f"{url}?{urlencode(options)}" if options else url
    pytest.fail(f"No worker DATABASE_URL for the database engine {engine}")


@contextlib.contextmanager
def _exclusive_use_of(redis_url):
    """Hold a machine-wide lock on one Redis database for as long as our worker uses it."""
    digest = hashlib.sha256(redis_url.encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"hubportal-celery-integration-{digest}.lock"
    with open(path, "a") as lock_file:
        deadline = time.monotonic() + REDIS_LOCK_SECONDS
        while True:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    pytest.fail(f"Another test run kept {redis_url} busy for {REDIS_LOCK_SECONDS} s "
                                f"(lock file {path})")
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _redis_transport_options(redis_url):
    """CELERY_BROKER_TRANSPORT_OPTIONS exactly as hubportal/settings.py computes them for a Redis broker.

    The test run's own settings were computed for the filesystem broker; a hand-kept copy of the
    Redis options here would drift from production (how long a publish waits for a dead broker is
    one of them), so the settings file is read again with CELERY_BROKER_URL set.
    """
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CELERY_BROKER_URL", redis_url)
        values = runpy.run_path(str(Path(settings.BASE_DIR) / "hubportal" / "settings.py"))
    return dict(values["CELERY_BROKER_TRANSPORT_OPTIONS"])


@contextlib.contextmanager
def _celery_app_on(redis_url):
    """Point the in-process Celery app at `redis_url`, not eager; put everything back afterwards."""
    from hubportal.celery import app

    conf = app.conf  # reading it loads the Django settings into the app first
    # Celery 5.6 reads the namespaced key (CELERY_TASK_ALWAYS_EAGER, as loaded from Django's
    # settings) before the plain one, so both are set here, and both put back.
    names = ("broker_url", "task_always_eager", "broker_transport_options")
    names = (*names, *(f"CELERY_{name.upper()}" for name in names))
    saved = {name: conf[name] for name in names if name in conf}
    # app.pool (connections) and app.amqp.producer_pool are built from the broker URL the first
    # time they are used, then cached: without dropping them the app keeps publishing to the old
    # broker. Celery drops the same two after a fork (Celery._after_fork). The pools themselves
    # stay in kombu's global registry (kombu.pools), which hands the same objects out again for the
    # same URL, so none is closed here: a closed pool raises "Acquire on closed pool" and a
    # force-emptied one blocks its next acquire for ever. The Redis pool's idle connections end
    # with the process.
    saved_pools = (app._pool, app.amqp._producer_pool)

    # Celery prefers these variables to its configuration (celery.app.utils.Settings.broker_url).
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("CELERY_BROKER_URL", redis_url)
    monkeypatch.delenv("CELERY_BROKER_READ_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    app._pool = app.amqp._producer_pool = None
    # Transport options as hubportal/settings.py configures a Redis broker (the worker gets the same).
    for name, value in (("broker_url", redis_url), ("task_always_eager", False),
                        ("broker_transport_options", _redis_transport_options(redis_url))):
        conf[name] = conf[f"CELERY_{name.upper()}"] = value
    try:
        yield app
    finally:
        app._pool, app.amqp._producer_pool = saved_pools
        for name, value in saved.items():
            conf[name] = value
        monkeypatch.undo()


def _die_with_parent():
    """In the worker, before exec: ask Linux for SIGTERM when the test process dies.

    A test run killed outright (a CI time limit, kill -9) runs no teardown; an orphaned worker
    would go on taking tasks off the shared queue and running them on a database now gone.
    """
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class CeleryWorker:
    """A `celery -A hubportal worker` subprocess and what it leaves behind: its log and its emails."""

    def __init__(self, *, redis_url, redis_client, folder):
        self.redis_url = redis_url
        self.redis = redis_client
        self.var_dir = folder / "var"
        self.mail_dir = self.var_dir / "mail"
        self.log_path = folder / "worker.log"
        self.process = None
        self._test_log_offset = 0

    # Process

    def start(self, *, database_url, env=None, pool="solo", concurrency=1, queues="urgent,celery"):
        """Start the worker; `env` adds or overrides environment variables (say, an SMTP backend).

        `queues` in the order the Procfile gives them: urgent first.
        """
        self.var_dir.mkdir(parents=True, exist_ok=True)
        extra_env = env or {}
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "hubportal.settings",
            "CELERY_BROKER_URL": self.redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "DATABASE_URL": database_url,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            # settings derive EMAIL_FILE_PATH (VAR_DIR/mail), media and the broker folder from it.
            "VAR_DIR": str(self.var_dir),
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "tests-only-not-secret-long-enough-for-the-production-key-rule",
            "DEBUG": "0",
            "SITE_URL": "http://testserver",
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL", "MEDIA_ROOT"):
            env.pop(name, None)
        env.update(extra_env)
        # The celery script of the interpreter running the tests (.venv/bin/celery).
        celery = Path(sys.executable).parent / "celery"
        command = [str(celery) if celery.exists() else sys.executable,
                   *([] if celery.exists() else ["-m", "celery"]),
                   "-A", "hubportal", "worker", "--pool", pool, "--concurrency", str(concurrency),
                   "-Q", queues,
                   "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info"]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own command line
                command, cwd=settings.BASE_DIR, env=env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + WORKER_READY_SECONDS
        while " ready." not in self.log():
            if self.process.poll() is not None:
                pytest.fail(f"The Celery worker exited with {self.process.returncode} before it was "
                            f"ready. Its log:\n{self.log()}")
            if time.monotonic() >= deadline:
                pytest.fail(f"The Celery worker was not ready after {WORKER_READY_SECONDS} s. "
                            f"Its log:\n{self.log()}")
            time.sleep(0.1)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # warm shutdown: finishes the task in hand
        try:
            self.process.wait(WORKER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()  # the solo pool has no children of its own
            self.process.wait(5)

    def kill(self):
        """SIGKILL, as the kernel's OOM killer or a lost machine would: no warm shutdown, no acks."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # the solo pool runs tasks in this one process
            self.process.wait(5)

    def is_running(self):
        return self.process is not None and self.process.poll() is None

    def assert_running(self):
        if self.process.poll() is not None:
            pytest.fail(f"The Celery worker has exited ({self.process.returncode}). Its log:\n{self.log()}")

    # Log

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_since_test_start(self):
        return self.log()[self._test_log_offset:]

    def mark_test_start(self):
        self._test_log_offset = len(self.log())

    def task_outcomes(self, task_name):
        """Return values the worker logged for `task_name` since this test started, in order."""
        marker = f"Task {task_name}["
        return [line.rsplit(": ", 1)[-1].strip()
                for line in self.log_since_test_start().splitlines()
                if marker in line and "] succeeded in " in line]

    # Queue

    def pending_messages(self):
        """Messages on the queue plus messages delivered to the worker and not yet acknowledged."""
        queued = sum(self.redis.llen(key) for name in QUEUE_NAMES for key in self.redis.scan_iter(match=f"{name}*")
                     if self.redis.type(key) == b"list")
        return queued + self.redis.hlen(UNACKED_KEY)

    def wait_until_idle(self, timeout=20):
        """Wait until the worker has taken and acknowledged every message (acks are late)."""
        wait_for(lambda: self.pending_messages() == 0, timeout=timeout,
                 message="the Celery worker to drain its queue")

    # Emails

    def clear_mail(self):
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        for path in self.mail_dir.iterdir():
            path.unlink()

    def emails(self):
        """Every message the worker's email backend wrote, parsed, oldest file first."""
        messages = []
        for path in sorted(self.mail_dir.iterdir()) if self.mail_dir.exists() else []:
            for chunk in path.read_bytes().split(MESSAGE_SEPARATOR):
                if chunk.strip():
                    messages.append(email.message_from_bytes(chunk, policy=email.policy.default))
        return messages


# --- Fixtures -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def _celery_worker_process(django_db_setup, tmp_path_factory):
    """One worker for the module (starting one takes a few seconds); see celery_worker_on_redis."""
    import redis

    redis_url = tests_redis_url()
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        client.close()
        skip_or_fail(f"Redis is not reachable at {redis_url} ({exc})")

    worker = CeleryWorker(redis_url=redis_url, redis_client=client,
                          folder=tmp_path_factory.mktemp("celery-worker"))
    try:
        with _exclusive_use_of(redis_url):
            client.flushdb()
            with _celery_app_on(redis_url):
                try:
                    worker.start(database_url=_database_url_for_worker())
                    yield worker
                finally:
                    worker.stop()
    finally:
        client.close()


@pytest.fixture
def celery_worker_on_redis(_celery_worker_process, transactional_db):
    """A real Celery worker on Redis, sharing this test's (committed) database; emails go to files.

    Needs transactional_db: the worker is another process and sees only committed rows. Each test
    starts with an empty queue and an empty mail folder; a failed test's report carries the
    worker's log from the test's start.
    """
    worker = _celery_worker_process
    worker.assert_running()
    worker.wait_until_idle()
    worker.clear_mail()
    worker.mark_test_start()
    yield worker
    # Let the worker finish with this test's rows before pytest-django empties the tables.
    if worker.process.poll() is None:
        with contextlib.suppress(pytest.fail.Exception):
            worker.wait_until_idle(timeout=10)


# --- A private Redis, a local SMTP server and workers that send through it: the fault tests -------
#
# tests/integration/test_email_faults.py stops Redis, kills workers and makes the mail server
# refuse. It must not do that to the shared Redis other runs use, so it gets a redis-server of its
# own on a free port (no lock needed: nobody else knows the port), and an SMTP server in this
# process (tests/integration/smtp_server.py) that the workers reach over TCP.

REDIS_READY_SECONDS = 10


class RedisServer:
    """A `redis-server` subprocess of the test's own, with nothing saved to disk; stop and start at will.

    It restarts on the same port, empty, as a Redis without persistence comes back after a crash.
    """

    def __init__(self, *, folder):
        from .smtp_server import free_port

        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = folder
        self.process = None

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1, socket_timeout=5)

    def is_running(self):
        return self.process is not None and self.process.poll() is None

    def start(self):
        import redis

        self.folder.mkdir(parents=True, exist_ok=True)
        binary = shutil.which("redis-server")
        with open(self.folder / "redis.log", "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own command line
                [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.folder), "--daemonize", "no"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        client = self.client()
        deadline = time.monotonic() + REDIS_READY_SECONDS
        try:
            while True:
                try:
                    client.ping()
                    return
                except (redis.RedisError, OSError):
                    if self.process.poll() is not None or time.monotonic() >= deadline:
                        pytest.fail(f"redis-server on port {self.port} did not start: "
                                    f"{(self.folder / 'redis.log').read_text(errors='replace')}")
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self):
        if self.is_running():
            self.process.terminate()
            self.process.wait(10)

    def kill(self):
        """SIGKILL, as a crash or the OOM killer would: clients see their connections reset."""
        if self.is_running():
            self.process.kill()
            self.process.wait(10)


class EmailFaultRig:
    """The private Redis, the SMTP server, and the Celery workers (solo pool) that send through it."""

    def __init__(self, *, redis_server, smtp, folder, database_url):
        self.redis_server = redis_server
        self.smtp = smtp
        self.folder = folder
        self.database_url = database_url
        self.redis = redis_server.client()
        self.workers = []
        self.workers_of_this_test = []

    @property
    def worker_env(self):
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.smtp.host,
            "EMAIL_PORT": str(self.smtp.port),
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": "0",
            "EMAIL_TIMEOUT": "10",
            # Short retries, so a refused send is retried within the test: 1 s, then 2 s; a
            # window of 5 s has no room for the 4 s after the third refusal, which marks it failed.
            "EMAIL_SEND_RETRY_DELAY": "1",
            "EMAIL_SEND_RETRY_WINDOW": "5",
            "WORKER_HEARTBEAT_SECONDS": "1",
        }

    def start_worker(self, env=None, **options):
        """Start one more worker; `env` overrides worker_env for it (say, a longer retry window)."""
        worker = CeleryWorker(redis_url=self.redis_server.url, redis_client=self.redis,
                              folder=self.folder / f"worker-{len(self.workers) + 1}")
        self.workers.append(worker)
        self.workers_of_this_test.append(worker)
        worker.start(database_url=self.database_url, env={**self.worker_env, **(env or {})}, **options)
        return worker

    def live_workers(self):
        return [worker for worker in self.workers if worker.is_running()]

    def pending_messages(self):
        return self.workers[0].pending_messages()

    def wait_until_idle(self, timeout=30):
        wait_for(lambda: self.pending_messages() == 0, timeout=timeout,
                 message="the Celery workers to drain the private Redis queue")

    def forget_unacknowledged(self):
        """Drop Redis' record of messages a killed worker took and never acknowledged.

        Redis would hand them out again only after the visibility timeout (3 hours); the fault test
        that kills a worker counts them first.
        """
        self.redis.delete(UNACKED_KEY, f"{UNACKED_KEY}_index")

    def prepare_for_test(self):
        if not self.redis_server.is_running():
            self.redis_server.start()  # a failed test may have left it stopped
        live = self.live_workers()
        for extra in live[1:]:
            extra.stop()
        self.workers_of_this_test = []
        if live:
            self.workers_of_this_test.append(live[0])
        else:
            self.start_worker()
        self.smtp.reset()
        self.wait_until_idle()
        for worker in self.workers_of_this_test:
            worker.mark_test_start()

    def stop(self):
        for worker in self.workers:
            worker.stop()
        self.redis.close()


@pytest.fixture(scope="module")
def _email_fault_rig_module(django_db_setup, tmp_path_factory):
    """One private Redis, SMTP server and worker for the module; see email_fault_rig."""
    from .smtp_server import ControllableSMTPServer

    if not shutil.which("redis-server"):
        skip_or_fail("redis-server is not installed (apt-get install redis-server)")
    folder = tmp_path_factory.mktemp("email-faults")
    redis_server = RedisServer(folder=folder / "redis")
    smtp = ControllableSMTPServer()
    redis_server.start()
    try:
        smtp.start()
        rig = EmailFaultRig(redis_server=redis_server, smtp=smtp, folder=folder,
                            database_url=_database_url_for_worker())
        try:
            with _celery_app_on(redis_server.url):
                rig.start_worker()
                yield rig
        finally:
            rig.stop()
            smtp.stop()
    finally:
        redis_server.stop()


@pytest.fixture
def email_fault_rig(_email_fault_rig_module, transactional_db):
    """A private Redis, a controllable SMTP server and one Celery worker sending through it.

    Each test starts with Redis up, one worker running and idle, and an SMTP server that accepts
    everything at once and has accepted nothing yet. Tests may stop Redis, kill the worker or start
    more (rig.start_worker()); the next test gets a clean rig again.
    """
    rig = _email_fault_rig_module
    rig.prepare_for_test()
    yield rig
    # Let the workers finish with this test's rows before pytest-django empties the tables.
    if rig.redis_server.is_running() and rig.live_workers():
        with contextlib.suppress(pytest.fail.Exception):
            rig.wait_until_idle(timeout=15)
