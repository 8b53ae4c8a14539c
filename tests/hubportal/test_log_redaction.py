"""Emailed links carry tokens in their paths; no log may keep one (hubportal.logs)."""

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hubportal.logs import redact
from hubportal.services import email_link_create

TOKEN = "s3cr3t-Token_value-0123456789abcdefghijklmnopq"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", [
    f"/sign-in/link/{TOKEN}/", f"/partner/sign-in/link/{TOKEN}/", f"/staff/invitation/link/{TOKEN}/",
    f"/partner/referrals/5f0c2d1e-0000-4000-8000-000000000000/link/{TOKEN}/new/",
    f"/digests/unsubscribe/{TOKEN}/", f'"POST /sign-in/link/{TOKEN}/ HTTP/1.1" 410',
])
def test_it_redacts_the_token_of_every_link_url(path):
    assert TOKEN not in redact(path)
    assert "[redacted]" in redact(path)


def test_it_leaves_other_paths_alone():
    assert redact("/staff/dorset/inquiries/DOR-2026-00001/") == "/staff/dorset/inquiries/DOR-2026-00001/"


@pytest.mark.django_db
def test_a_refused_link_leaves_no_token_in_djangos_logs(client, caplog):
    used = email_link_create(purpose="sign_in", email="jo.bloggs@nhs.net")
    with caplog.at_level(logging.INFO):
        assert client.post(f"/sign-in/link/{TOKEN}/").status_code == 404          # made up
        assert client.post(f"/sign-in/link/{used.raw_token}/").status_code == 302  # used once
        assert client.post(f"/sign-in/link/{used.raw_token}/").status_code == 410  # used again
        assert client.get(f"/digests/unsubscribe/{TOKEN}/").status_code == 404
    # What handlers write: the formatted messages and every JSON-friendly extra field. (django.request
    # also attaches the request object itself, for handlers such as AdminEmailHandler; none is configured.)
    logged = caplog.text + " ".join(
        f"{record.getMessage()} {[v for k, v in record.__dict__.items() if k != 'request']}"
        for record in caplog.records)
    assert "Not Found: /sign-in/link/[redacted]/" in caplog.text
    assert "Gone: /sign-in/link/[redacted]/" in caplog.text
    assert TOKEN not in logged and used.raw_token not in logged


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorns_access_log_keeps_no_token(tmp_path):
    """The real gunicorn, started as the Procfile starts it, with a request to a link URL."""
    port = _free_port()
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
           "VAR_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    log = (tmp_path / "gunicorn.log").open("w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "hubportal.wsgi:application", "-c", "hubportal/gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in/link/{TOKEN}/", timeout=5)
            except urllib.error.HTTPError:
                break  # any answer: the request was served and logged
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
            else:
                break
        time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=10)
    log.seek(0)
    text = log.read()
    assert "/sign-in/link/[redacted]/" in text, text
    assert TOKEN not in text, text
