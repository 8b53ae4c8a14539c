"""gunicorn for `make bench --http`: the web process as production runs it, on a free loopback port.

`gunicorn_server()` starts `gunicorn hubportal.wsgi:application -c hubportal/gunicorn.conf.py` with 2
sync workers (the Procfile's default), DEBUG off and persistent database connections
(DATABASE_CONN_MAX_AGE), waits until it answers, and stops it when the block ends, whatever happened
inside (a failed page, Ctrl-C). Its output (the access log) goes to a file, not into the figures.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.test import Client

from hubportal.testing import sign_in_staff

WORKERS = 2
CONN_MAX_AGE = 600  # seconds: every request of a run reuses the worker's connection
START_TIMEOUT_S = 60


@dataclass
class Server:
    host: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def worker_pids(self) -> list[int]:
        """The workers: the processes whose parent is gunicorn's master."""
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                # "pid (name) state ppid ...": the name may hold spaces, so split after its ")".
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return sorted(pids)

    def worker_memory(self) -> dict[int, float]:
        """Each worker's peak resident memory so far (VmHWM), in KiB."""
        peaks = {}
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks[pid] = float(line.split()[1])
            except OSError:
                continue
        return peaks

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (the kernel's choice). Another process could take it before
    gunicorn binds; then gunicorn fails to start and says so."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _answers(host: str, port: int) -> bool:
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        conn.close()


@contextmanager
def gunicorn_server(*, env: dict[str, str], workers: int = WORKERS, host: str = "127.0.0.1") -> Iterator[Server]:
    """A gunicorn serving the portal with `env` (the bench child's: DEBUG off, the bench database)."""
    port = free_port(host)
    env = {**env, "DEBUG": "0", "DATABASE_CONN_MAX_AGE": str(CONN_MAX_AGE)}
    hosts = [h for h in env.get("ALLOWED_HOSTS", "").split(",") if h]
    env["ALLOWED_HOSTS"] = ",".join(hosts if host in hosts else [*hosts, host])
    log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    argv = [sys.executable, "-m", "gunicorn", "hubportal.wsgi:application", "-c",
            str(settings.BASE_DIR / "hubportal" / "gunicorn.conf.py"), "--bind", f"{host}:{port}",
            "--workers", str(workers), "--worker-class", "sync"]
    # Its own process group, so stopping it reaches the workers even if the master is stuck.
    process = subprocess.Popen(argv, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,  # noqa: S603
                               start_new_session=True)
    server = Server(host=host, port=port, process=process, log_path=Path(log.name))
    log.close()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(host, port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start (exit status {process.poll()}):\n{server.log_tail()}")
            time.sleep(0.2)
        # Both workers up (the first answer can come before the second worker has booted).
        while len(server.worker_pids()) < workers and time.monotonic() < deadline:
            time.sleep(0.2)
        yield server
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM (gunicorn's graceful stop), then SIGKILL to the group after 15 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def staff_session_cookie(user: object) -> str:
    """A session key for `user`, signed in after both factors, as sign_in_staff makes it: stored in
    the session backend the gunicorn workers read (the database), so their requests carry it."""
    client = sign_in_staff(Client(), user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value
