"""Does a Celery worker survive Redis being killed (-9) while it holds tasks? Count it over rounds.

    .venv/bin/python tests/integration/redis_kill_rounds.py --rounds 6 [--pool solo|prefork]

Each round: a private redis-server on a free loopback port (append-only file, fsync always, so the
queue comes back after the kill the way a persistent Redis would), a worker of a small Celery app
configured as hubportal/settings.py configures a Redis broker (late acks, prefetch 1, the same
transport options), N tasks published, kill -9 Redis once the worker is busy, start it again on
the same port, then check that the worker process is still alive and drains the queue.

No Django and no database: this isolates Celery, kombu and redis-py, so the script runs unchanged in
a scratch virtualenv with other versions (which is how the pins in pyproject.toml were chosen).
Prints one line per round and a summary; exits 1 if any round's worker died.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

APP = textwrap.dedent('''
    import os, time
    from celery import Celery

    app = Celery("killrounds", broker=os.environ["BROKER"])
    app.conf.update(
        task_acks_late=True, worker_prefetch_multiplier=1, task_ignore_result=True,
        broker_connection_retry_on_startup=True, broker_connection_timeout=3,
        broker_transport_options={"visibility_timeout": 3 * 60 * 60, "max_retries": 0},
    )

    @app.task
    def work(number):
        time.sleep(float(os.environ["TASK_SECONDS"]))
        # O_APPEND writes of one short line are atomic: prefork children may share the file.
        with open(os.environ["DONE_FILE"], "a") as done:
            done.write(f"{number}\\n")
''')


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(port, folder):
    process = subprocess.Popen(  # noqa: S603
        [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "yes", "--appendfsync", "always", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return process
        except OSError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def done_numbers(path):
    return path.read_text().split() if path.exists() else []


def one_round(args, number):
    folder = Path(tempfile.mkdtemp(prefix="killround-"))
    (folder / "killrounds.py").write_text(APP)
    port = free_port()
    done_file = folder / "done.txt"
    env = {**os.environ, "BROKER": f"redis://127.0.0.1:{port}/0", "DONE_FILE": str(done_file),
           "PYTHONPATH": str(folder), "TASK_SECONDS": str(args.task_seconds)}
    redis = start_redis(port, folder)
    log_path = folder / "worker.log"
    celery = Path(sys.executable).parent / "celery"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(  # noqa: S603
            [str(celery), "-A", "killrounds", "worker", "--pool", args.pool, "--concurrency",
             str(args.concurrency), "--without-heartbeat", "--without-gossip", "--without-mingle",
             "-l", "info"], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        while " ready." not in log_path.read_text(errors="replace"):
            if worker.poll() is not None:
                raise SystemExit(log_path.read_text())
            time.sleep(0.1)
        publish = subprocess.run(  # noqa: S603
            [sys.executable, "-c", f"from killrounds import work\nfor n in range({args.tasks}): work.delay(n)"],
            cwd=folder, env=env, check=True)
        assert publish.returncode == 0
        # Busy: it has taken some tasks and holds one (unacknowledged) right now.
        while len(done_numbers(done_file)) < args.kill_after:
            time.sleep(0.005)
        redis.send_signal(signal.SIGKILL)
        redis.wait()
        time.sleep(args.down_seconds)
        redis = start_redis(port, folder)
        deadline = time.monotonic() + args.drain_seconds
        while time.monotonic() < deadline and worker.poll() is None:
            if len(set(done_numbers(done_file))) >= args.tasks:
                break
            time.sleep(0.2)
        time.sleep(0.5)
        log = log_path.read_text(errors="replace")
        alive = worker.poll() is None
        done = done_numbers(done_file)
        result = {"round": number, "alive": alive, "done": len(set(done)), "runs": len(done),
                  "of": args.tasks, "unrecoverable": "Unrecoverable error" in log}
        if "Unrecoverable error" in log:
            line = next(line for line in log.splitlines() if "Unrecoverable error" in line)
            result["error"] = line.split("Unrecoverable error: ", 1)[-1][:120]
        print(result, flush=True)
        return result
    finally:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(10)
            except subprocess.TimeoutExpired:
                worker.kill()
        redis.kill()
        redis.wait()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--kill-after", type=int, default=20)
    parser.add_argument("--down-seconds", type=float, default=2.0)
    parser.add_argument("--drain-seconds", type=float, default=60.0)
    parser.add_argument("--pool", default="solo")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--task-seconds", type=float, default=0.02)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    import celery
    import kombu
    import redis
    print(f"celery {celery.__version__}, kombu {kombu.__version__}, redis-py {redis.__version__}, "
          f"pool {args.pool}", flush=True)
    results = [one_round(args, number) for number in range(1, args.rounds + 1)]
    survived = sum(r["alive"] for r in results)
    drained = sum(r["alive"] and r["done"] >= r["of"] for r in results)
    print(f"survived {survived}/{len(results)}, drained {drained}/{len(results)}")
    sys.exit(0 if survived == len(results) else 1)


if __name__ == "__main__":
    main()
