"""The portal through PgBouncer in transaction mode, as docker-compose and a scaled deployment run it.

A transaction pooler lends a server connection for one transaction, so nothing may outlive a
transaction on the server: the settings switch off server-side cursors (DATABASE_POOLER=transaction)
and the code holds no session state (no session-level SET, advisory lock, LISTEN, prepared statement
or temporary table; docs/deployment.md). Here a real pgbouncer is started on a free loopback port,
configured in a temporary folder, in front of the test database, and the default connection is pointed
at it: a submission (reference counter, outbox, acknowledgement after commit) and the CSV export
(streamed, after the view returned) each run in autocommit, many transactions, through it.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2
import pytest
from django.db import DatabaseError, connection, connections
from django.urls import reverse

from hubportal.models import OutboundEmail
from intake.models import Inquiry
from tests.conftest import sign_in_staff, skip_or_fail
from tests.factories import DraftFactory, SubmittedFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def pgbouncer():
    """A pgbouncer in transaction mode on a loopback port, in front of the test database's server."""
    binary = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None)
    if binary is None:
        skip_or_fail("pgbouncer is not installed (apt-get install pgbouncer)")
    if connection.vendor != "postgresql":
        skip_or_fail("PgBouncer sits in front of PostgreSQL: set DATABASE_URL to a PostgreSQL database")
    server = connection.settings_dict
    port = _free_port()
    password = f" password={server['PASSWORD']}" if server.get("PASSWORD") else ""
    # Not under pytest's tmp_path, whose parent only root may enter: pgbouncer may run as nobody.
    home = Path(tempfile.mkdtemp(prefix="hubportal-pgbouncer-"))
    (home / "userlist.txt").write_text(f'"{server["USER"]}" ""\n')
    (home / "pgbouncer.ini").write_text("\n".join([
        "[databases]",
        f"* = host={server.get('HOST') or '127.0.0.1'} port={server.get('PORT') or 5432} "
        f"user={server['USER']}{password}",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "unix_socket_dir =",
        # Clients on loopback only; the server side uses the test database's own credentials above.
        "auth_type = trust",
        f"auth_file = {home / 'userlist.txt'}",
        "pool_mode = transaction",
        # Few server connections for the many transactions below, so they really are shared.
        "default_pool_size = 2",
        # Strict: after every transaction the server connection forgets its session (cursors, SET,
        # prepared statements, LISTEN, advisory locks, temporary tables), so code that leaned on any of
        # it across transactions fails here every time, not only when pgbouncer happens to switch.
        "server_reset_query = DISCARD ALL",
        "server_reset_query_always = 1",
        f"admin_users = {server['USER']}",
        "logfile =",
        "pidfile =",
    ]) + "\n")
    # pgbouncer refuses to run as root; it then needs -u to drop to a user that can read its folder.
    as_user = ["-u", "nobody"] if os.geteuid() == 0 else []
    for path in (home, *home.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    log_path = home / "pgbouncer.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen([binary, *as_user, str(home / "pgbouncer.ini")], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.close()
                shutil.rmtree(home, ignore_errors=True)
                pytest.fail(f"pgbouncer did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.1)
    try:
        yield {"port": port, "user": server["USER"]}
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def _default_connection_through(pgbouncer, *, server_side_cursors):
    default = connections["default"]
    saved = {key: default.settings_dict.get(key) for key in ("HOST", "PORT", "DISABLE_SERVER_SIDE_CURSORS")}
    default.close()
    default.settings_dict.update(HOST="127.0.0.1", PORT=str(pgbouncer["port"]),
                                 DISABLE_SERVER_SIDE_CURSORS=not server_side_cursors)
    try:
        yield pgbouncer
    finally:
        default.close()
        default.settings_dict.update(saved)


@pytest.fixture
def through_pgbouncer(pgbouncer, transactional_db):
    """The default connection goes through pgbouncer, as with DATABASE_POOLER=transaction, for this test."""
    with _default_connection_through(pgbouncer, server_side_cursors=False):
        yield pgbouncer


def _servers_for(pgbouncer, database):
    """The server connections pgbouncer holds to `database`, from its admin console."""
    admin = psycopg2.connect(host="127.0.0.1", port=pgbouncer["port"], user=pgbouncer["user"], dbname="pgbouncer")
    admin.autocommit = True  # the console runs no transactions
    try:
        with admin.cursor() as cursor:
            cursor.execute("SHOW SERVERS")
            names = [column.name for column in cursor.description]
            return [row for row in cursor.fetchall() if dict(zip(names, row, strict=True))["database"] == database]
    finally:
        admin.close()


def test_a_submission_and_the_csv_export_work_through_pgbouncer_in_transaction_mode(
        through_pgbouncer, client, submitter, hub, hub_lead, outbox):
    assert connection.settings_dict["PORT"] == str(through_pgbouncer["port"])
    draft = DraftFactory(submitter=submitter, hub=hub, title="Virtual ward for frailty")
    SubmittedFactory.create_batch(3, hub=hub)

    client.force_login(submitter)
    response = client.post(reverse("intake:inquiry_check", args=[draft.public_id]))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Inquiry.Status.SUBMITTED and draft.reference.startswith("DOR-")
    # The acknowledgement went after commit, once, through the outbox.
    assert OutboundEmail.objects.get(key=f"inquiry:{draft.pk}:acknowledgement").status == "sent"
    assert [message.to for message in outbox] == [[submitter.email]]

    client.logout()
    sign_in_staff(client, hub_lead)
    export = client.get(reverse("intake:staff_inquiry_export", args=[hub.slug]))
    rows = b"".join(export.streaming_content).decode("utf-8-sig").strip().splitlines()

    assert export.status_code == 200
    assert len(rows) == 1 + 4 and any(draft.reference in row for row in rows)
    assert _servers_for(through_pgbouncer, connection.settings_dict["NAME"])


def test_without_the_pooler_setting_queryset_iterator_breaks_which_is_why_the_setting_exists(
        pgbouncer, transactional_db, hub):
    """Server-side cursors on (no DATABASE_POOLER=transaction): iterator() declares a cursor WITH HOLD in
    one transaction and fetches from it in the next, which may be another server connection; here,
    with the session reset after every transaction, it is gone every time. (The export used iterator().)"""
    SubmittedFactory.create_batch(3, hub=hub)
    with _default_connection_through(pgbouncer, server_side_cursors=True):
        # Django's error, or psycopg2's own from closing the vanished cursor while handling it.
        with pytest.raises((DatabaseError, psycopg2.Error), match="cursor .* does not exist"):
            list(Inquiry.objects.filter(hub=hub).values_list("pk", flat=True).iterator(chunk_size=2))
    with _default_connection_through(pgbouncer, server_side_cursors=False):
        assert len(list(Inquiry.objects.filter(hub=hub).values_list("pk", flat=True).iterator(chunk_size=2))) == 3
