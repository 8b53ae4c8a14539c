"""A real Celery worker on a real Redis, for tests that cross the process boundary.

Unit tests run tasks eagerly, in the test process. The tests in this folder start the worker the
Procfile starts (`celery -A hubportal worker`) as a subprocess on Redis, pointed at the test
database, with emails written to files in a temporary folder; the test process publishes to the same
Redis through the same Celery app, switched off eager mode for the module.

Redis: REDIS_URL, else redis://127.0.0.1:6379/15 (a database number of its own, so a developer's
data is never touched). That database is flushed before the worker starts. Only one worker at a
time uses a given Redis database: a file lock serialises pytest-xdist workers and concurrent runs,
which would otherwise take each other's tasks off the shared queue and run them on the wrong
database.
"""

import contextlib
import email
import email.policy
import fcntl
import hashlib
import os
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
WORKER_READY_SECONDS = 30
WORKER_STOP_SECONDS = 10
# Waiting for another run (or xdist worker) to finish with the same Redis database.
REDIS_LOCK_SECONDS = 180
# kombu's Redis transport: the default queue's lists and the hash of delivered, unacknowledged messages.
QUEUE_NAME = "celery"
UNACKED_KEY = "unacked"
# What Django's file-based email backend writes after each message.
MESSAGE_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


# --- Reporting ------------------------------------------------------------------------------------

@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Attach the worker's log (from this test's start) to the report of a failed test."""
    report = yield
    worker = getattr(item, "funcargs", {}).get("celery_worker_on_redis")
    if report.failed and isinstance(worker, CeleryWorker):
        report.sections.append((f"Celery worker log ({report.when})", worker.log_since_test_start()))
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


@contextlib.contextmanager
def _celery_app_on(redis_url):
    """Point the in-process Celery app at `redis_url`, not eager; put everything back afterwards."""
    from hubportal.celery import app

    conf = app.conf  # reading it loads the Django settings into the app first
    saved = {name: conf[name] for name in ("broker_url", "task_always_eager", "broker_transport_options")}

    def drop_connection_pools():
        # app.pool (connections) and app.amqp.producer_pool are built from the broker URL the first
        # time they are used, then cached: without this the app keeps publishing to the old broker.
        # The same two attributes Celery itself resets after a fork (Celery._after_fork).
        producer_pool = app.amqp._producer_pool
        if producer_pool is not None:
            producer_pool.force_close_all()
        if app._pool is not None:
            app._pool.force_close_all()
        app.amqp._producer_pool = None
        app._pool = None

    # Celery prefers these variables to its configuration (celery.app.utils.Settings.broker_url).
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("CELERY_BROKER_URL", redis_url)
    monkeypatch.delenv("CELERY_BROKER_READ_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    drop_connection_pools()
    conf.broker_url = redis_url
    conf.task_always_eager = False
    # As hubportal/settings.py configures a Redis broker (the worker gets the same from its settings).
    conf.broker_transport_options = {"visibility_timeout": 3 * 60 * 60}
    try:
        yield app
    finally:
        drop_connection_pools()
        for name, value in saved.items():
            conf[name] = value
        monkeypatch.undo()


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

    def start(self, *, database_url):
        self.var_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "hubportal.settings",
            "CELERY_BROKER_URL": self.redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "DATABASE_URL": database_url,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            # settings derive EMAIL_FILE_PATH (VAR_DIR/mail), media and the broker folder from it.
            "VAR_DIR": str(self.var_dir),
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "tests-only-not-secret",
            "DEBUG": "0",
            "SITE_URL": "http://testserver",
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL", "MEDIA_ROOT"):
            env.pop(name, None)
        # The celery script of the interpreter running the tests (.venv/bin/celery).
        celery = Path(sys.executable).parent / "celery"
        command = [str(celery) if celery.exists() else sys.executable,
                   *([] if celery.exists() else ["-m", "celery"]),
                   "-A", "hubportal", "worker", "--pool", "solo", "--concurrency", "1",
                   "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info"]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own command line
                command, cwd=settings.BASE_DIR, env=env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
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
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

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
        queued = sum(self.redis.llen(key) for key in self.redis.scan_iter(match=f"{QUEUE_NAME}*")
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

    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
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
