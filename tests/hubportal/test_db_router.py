"""Report pages read from the replica; everything else, and every write, from default.

The test settings have a second alias, "replica", that mirrors default (TEST MIRROR: the same test
database through a second connection), so each alias's queries can be counted. A mirror is a second
connection, which cannot see rows a test's open transaction wrote: these tests commit (transaction=True).
REPORTS_DATABASE is "default" in the test settings, as in a deployment without DATABASE_REPLICA_URL;
the `replica` fixture sets it as DATABASE_REPLICA_URL does.
"""

import datetime as dt

import pytest
import time_machine
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hubportal.api_tokens import api_token_create
from hubportal.db_router import STICKY_COOKIE, ReportsReplicaRouter, replica_reads
from hubportal.models import HubMembership, NetworkLead
from hubportal.workdays import LONDON
from intake.access_log import access_log_for_inquiry
from intake.models import Inquiry
from tests.conftest import sign_in_staff
from tests.factories import SubmittedFactory, UserFactory

both_databases = pytest.mark.django_db(transaction=True, databases=["default", "replica"])
NOW = dt.datetime(2026, 6, 10, 12, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def replica(settings):
    settings.REPORTS_DATABASE = "replica"


@pytest.fixture
def inquiries(hub):
    return SubmittedFactory.create_batch(3, hub=hub)


class Queries:
    """The SQL each alias ran inside the block."""

    def __enter__(self):
        self._captures = {alias: CaptureQueriesContext(connections[alias]) for alias in ("default", "replica")}
        for capture in self._captures.values():
            capture.__enter__()
        return self

    def __exit__(self, *exc):
        for capture in self._captures.values():
            capture.__exit__(*exc)

    def on(self, alias):
        return [query["sql"] for query in self._captures[alias].captured_queries]

    def touching(self, alias, table):
        return [sql for sql in self.on(alias) if f'"{table}"' in sql]


def _writes(statements):
    return [sql for sql in statements if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


# --- With a replica --------------------------------------------------------------------------------

@both_databases
def test_the_metrics_page_reads_the_inquiries_from_the_replica_and_who_you_are_from_default(
        client, hub, hub_lead, inquiries, replica):
    sign_in_staff(client, hub_lead)

    with Queries() as queries:
        response = client.get(reverse("intake:staff_metrics", args=[hub.slug]))

    assert response.status_code == 200
    assert response.context["metrics"].total == 3
    assert queries.touching("replica", "intake_inquiry")
    assert queries.touching("default", "intake_inquiry") == []
    # The session and the membership, which decide access, never come from a replica that may lag.
    assert queries.touching("default", "django_session") and queries.touching("default", "hubportal_hubmembership")
    assert queries.touching("replica", "django_session") == []
    assert _writes(queries.on("replica")) == []


@both_databases
def test_the_export_reads_the_replica_while_its_access_log_is_written_to_default(
        client, hub, hub_lead, inquiries, replica):
    sign_in_staff(client, hub_lead)

    with Queries() as queries:
        response = client.get(reverse("intake:staff_inquiry_export", args=[hub.slug]))
        body = b"".join(response.streaming_content).decode("utf-8-sig")

    assert len(body.strip().splitlines()) == 1 + 3
    # The rows are read while the response streams, after the view returned: still from the replica.
    assert queries.touching("replica", "intake_inquiry")
    assert queries.touching("default", "intake_inquiry") == []
    # The same request's write (who saw which inquiry) goes to default, and is there.
    assert _writes(queries.touching("default", "intake_inquiryaccess"))
    assert _writes(queries.on("replica")) == []
    assert all([access.what for access in access_log_for_inquiry(inquiry)] == ["CSV export"]
               for inquiry in inquiries)


@both_databases
def test_the_figures_api_reads_the_replica_and_records_the_tokens_use_on_default(client, hub, hub_lead, inquiries,
                                                                               replica):
    raw = api_token_create(hub=hub, name="ICS Power BI", days=90, by=hub_lead).raw_token

    with Queries() as queries:
        response = client.get(f"/api/v1/hubs/{hub.slug}/metrics", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 200 and response.json()["inquiries_sent"] == 3
    # The figures: from the inquiries (SQLite) or from their rollups (PostgreSQL, read with SQL text in which
    # the table names are not quoted), on the replica either way.
    figures = [sql for sql in queries.on("replica") if "intake_inquiry" in sql]
    assert figures
    assert [sql for sql in queries.on("default") if "intake_inquiry" in sql] == []
    assert _writes(queries.on("default"))  # the token's last use and its event
    assert _writes(queries.on("replica")) == []


@both_databases
def test_the_value_report_and_the_network_view_read_the_replica(client, hub, hub_lead, inquiries, replica, settings):
    # Each page works its figures out (a snapshot of the first would otherwise serve the second: same hub).
    settings.VALUE_REPORT_MAX_AGE_MINUTES = 0
    lead = UserFactory(email="network.lead@example.nhs.uk")
    NetworkLead.objects.create(user=lead, network_name="South West").hubs.add(hub)
    for user, url in ((hub_lead, reverse("adoption:value_report", args=[hub.slug])),
                      (lead, reverse("adoption:network_report"))):
        client.logout()
        sign_in_staff(client, user)
        with Queries() as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        assert queries.touching("replica", "intake_inquiry"), url
        assert queries.touching("default", "intake_inquiry") == [], url
        assert _writes(queries.on("replica")) == [], url


@both_databases
def test_pages_that_are_not_reports_read_default(client, hub, hub_lead, inquiries, replica):
    sign_in_staff(client, hub_lead)

    with Queries() as queries:
        response = client.get(reverse("intake:staff_inquiry_list", args=[hub.slug]))

    assert response.status_code == 200
    assert queries.touching("default", "intake_inquiry")
    assert queries.on("replica") == []


@both_databases
def test_after_a_change_that_browser_reads_its_reports_from_default_for_a_while(
        client, hub, hub_lead, inquiries, replica, settings):
    settings.DATABASE_REPLICA_STICKY_SECONDS = 10
    sign_in_staff(client, hub_lead)
    metrics = reverse("intake:staff_metrics", args=[hub.slug])

    saved = client.post(reverse("adoption:value_report_narrative", args=[hub.slug]),
                        {"date_from": "2025-06-11", "date_to": "2026-06-10", "text": "A good year."})
    assert saved.status_code == 302 and STICKY_COOKIE in saved.cookies
    with Queries() as queries:
        client.get(metrics)
    assert queries.touching("default", "intake_inquiry") and queries.on("replica") == []

    with time_machine.travel(NOW + dt.timedelta(seconds=11), tick=False):
        with Queries() as queries:
            client.get(metrics)
    assert queries.touching("replica", "intake_inquiry")


@both_databases
def test_a_transaction_opened_inside_a_report_reads_and_writes_default(hub, inquiries, replica):
    with replica_reads(), Queries() as queries:
        assert Inquiry.objects.filter(hub=hub).count() == 3
        with transaction.atomic():
            locked = Inquiry.objects.select_for_update().get(pk=inquiries[0].pk)
            Inquiry.objects.filter(pk=locked.pk).update(title="Changed")

    assert len(queries.touching("replica", "intake_inquiry")) == 1
    locked_reads = [sql for sql in queries.touching("default", "intake_inquiry") if sql.lstrip().startswith("SELECT")]
    assert locked_reads  # the read inside the transaction went to default
    if connections["default"].vendor == "postgresql":  # SQLite has no row locks: Django leaves FOR UPDATE out there
        assert any("FOR UPDATE" in sql for sql in locked_reads)
    assert _writes(queries.on("default")) and _writes(queries.on("replica")) == []


def test_migrations_run_on_default_only_and_writes_always_go_there(settings):
    settings.REPORTS_DATABASE = "replica"
    router = ReportsReplicaRouter()
    assert router.allow_migrate("default", "intake") is True
    assert router.allow_migrate("replica", "intake") is False
    with replica_reads():
        assert router.db_for_write(Inquiry) == "default"
        assert router.db_for_read(Inquiry) == "replica"
    assert router.db_for_read(Inquiry) == "default"
    assert router.allow_relation(Inquiry(), HubMembership()) is True


# --- Without a replica (REPORTS_DATABASE is default, as with no DATABASE_REPLICA_URL) ----------------

@both_databases
def test_with_no_replica_configured_reports_read_default_as_before(client, hub, hub_lead, inquiries, settings):
    assert settings.REPORTS_DATABASE == "default"
    sign_in_staff(client, hub_lead)

    with Queries() as queries:
        metrics = client.get(reverse("intake:staff_metrics", args=[hub.slug]))
        export = client.get(reverse("intake:staff_inquiry_export", args=[hub.slug]))
        b"".join(export.streaming_content)
        saved = client.post(reverse("adoption:value_report_narrative", args=[hub.slug]),
                            {"date_from": "2025-06-11", "date_to": "2026-06-10", "text": "A good year."})

    assert metrics.status_code == 200 and metrics.context["metrics"].total == 3
    assert queries.touching("default", "intake_inquiry")
    assert queries.on("replica") == []
    # No replica, no stickiness cookie either.
    assert saved.status_code == 302 and STICKY_COOKIE not in saved.cookies


def test_the_settings_add_a_replica_alias_from_database_replica_url(tmp_path):
    """DATABASE_REPLICA_URL adds the alias and points reports at it; without it there is none."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    probe = ("import json, django; django.setup(); from django.conf import settings as s;"
             "print(json.dumps({'aliases': sorted(s.DATABASES), 'reports': s.REPORTS_DATABASE,"
             "'replica': s.DATABASES.get('replica', {}).get('HOST'),"
             "'cursors': [s.DATABASES[a].get('DISABLE_SERVER_SIDE_CURSORS', False) for a in sorted(s.DATABASES)]}))")
    base = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(root), "DJANGO_SETTINGS_MODULE": "hubportal.settings",
            "DEBUG": "1", "VAR_DIR": str(tmp_path), "DATABASE_URL": "postgres://app@primary:5432/hubportal"}

    def seen(**extra):
        result = subprocess.run([sys.executable, "-c", probe], env={**base, **extra}, cwd=root,
                                capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    assert seen() == {"aliases": ["default"], "reports": "default", "replica": None, "cursors": [False]}
    assert seen(DATABASE_REPLICA_URL="postgres://app@standby:5432/hubportal", DATABASE_POOLER="transaction") == {
        "aliases": ["default", "replica"], "reports": "replica", "replica": "standby", "cursors": [True, True]}
