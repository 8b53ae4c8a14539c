"""Who saw what: the access log's rows, its cost, the hub lead's page, the submitter's selector and
the retention purge."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hubportal.testing import sign_in_staff
from intake.access_log import access_log_for_inquiry, access_log_for_submitter, inquiry_access_purge
from intake.models import InquiryAccess
from signposting import services as signposting_services
from tests.factories import SubmittedFactory
from tests.partners.factories import PartnerContactFactory, PartnerFactory

WHEN = dt.datetime(2026, 3, 10, 14, 30, tzinfo=dt.UTC)


@pytest.fixture
def inquiry(db, hub, submitter):
    return SubmittedFactory(hub=hub, submitter=submitter, reference="DOR-2026-00007", title="Falls sensor")


def _case(inquiry):
    return reverse("intake:staff_inquiry", args=[inquiry.hub.slug, inquiry.reference])


@time_machine.travel(WHEN, tick=False)
def test_it_records_who_when_what_and_from_where_when_staff_open_the_case_page(client, hub_member, inquiry):
    sign_in_staff(client, hub_member)
    assert client.get(_case(inquiry), REMOTE_ADDR="192.0.2.44").status_code == 200
    row = InquiryAccess.objects.get(inquiry=inquiry)
    assert (row.actor_kind, row.user, row.what, row.ip, row.created_at) == (
        "staff", hub_member, "case page", "192.0.2.44", WHEN)
    assert row.who == "Priya Patel (member.dorset@example.nhs.uk), Hub team member"


def test_it_takes_the_client_address_behind_a_trusted_proxy(client, settings, hub_member, inquiry):
    settings.TRUSTED_PROXY_COUNT = 1
    sign_in_staff(client, hub_member)
    client.get(_case(inquiry), REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    assert InquiryAccess.objects.get(inquiry=inquiry).ip == "198.51.100.7"


def test_the_case_page_pays_exactly_one_insert_for_the_log(client, hub_member, inquiry):
    sign_in_staff(client, hub_member)
    client.get(_case(inquiry))  # warm the session and caches
    with CaptureQueriesContext(connection) as queries:
        client.get(_case(inquiry))
    log_queries = [q["sql"] for q in queries.captured_queries if "intake_inquiryaccess" in q["sql"]]
    assert len(log_queries) == 1 and log_queries[0].startswith("INSERT")


def test_list_pages_write_nothing_to_the_log_and_no_query_about_it(client, hub_member, inquiry):
    sign_in_staff(client, hub_member)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("intake:staff_inquiry_list", args=["dorset"])).status_code == 200
        assert client.get(reverse("intake:staff_dashboard", args=["dorset"])).status_code == 200
    assert not [q for q in queries.captured_queries if "intake_inquiryaccess" in q["sql"]]
    assert InquiryAccess.objects.count() == 0


def test_an_attachment_download_is_recorded_with_its_name(client, hub_member, inquiry, submitter):
    from django.core.files.base import ContentFile

    from intake.models import Attachment

    attachment = Attachment(inquiry=inquiry, uploaded_by=submitter, original_name="trial.pdf", stored_name="t.pdf",
                            content_type="application/pdf", size=8)
    attachment.file.save("t.pdf", ContentFile(b"%PDF-1.4"), save=True)
    sign_in_staff(client, hub_member)
    client.get(reverse("intake:staff_attachment_download", args=["dorset", inquiry.reference, attachment.public_id]))
    assert list(InquiryAccess.objects.values_list("what", flat=True)) == ["attachment trial.pdf"]


@time_machine.travel(WHEN, tick=False)
def test_a_csv_export_records_its_inquiries_in_one_row_that_each_ones_log_shows(client, hub_member, hub):
    inquiries = [SubmittedFactory(hub=hub) for _ in range(3)]
    sign_in_staff(client, hub_member)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("intake:staff_inquiry_export", args=["dorset"]), REMOTE_ADDR="192.0.2.44")
        b"".join(response.streaming_content)
    assert len([q for q in queries.captured_queries if "intake_inquiryaccess" in q["sql"]]) == 1
    [row] = InquiryAccess.objects.all()
    assert (row.inquiry_id, sorted(row.inquiry_ids)) == (None, sorted(i.pk for i in inquiries))
    for inquiry in inquiries:
        [seen] = access_log_for_inquiry(inquiry)
        assert (seen.actor_kind, seen.user, seen.what, seen.ip, seen.created_at) == (
            "staff", hub_member, "CSV export", "192.0.2.44", WHEN)
        assert seen.who == "Priya Patel (member.dorset@example.nhs.uk), Hub team member"


def test_an_export_chunk_is_one_row_and_an_inquiry_of_another_chunk_or_hub_is_not_in_it(
        client, hub_lead, hub, other_hub, monkeypatch):
    from intake import staff_views

    monkeypatch.setattr(staff_views, "EXPORT_CHUNK", 2)
    exported = SubmittedFactory.create_batch(5, hub=hub)
    elsewhere = SubmittedFactory(hub=other_hub)
    sign_in_staff(client, hub_lead)
    b"".join(client.get(reverse("intake:staff_inquiry_export", args=["dorset"])).streaming_content)
    assert sorted(len(ids) for ids in InquiryAccess.objects.values_list("inquiry_ids", flat=True)) == [1, 2, 2]
    assert [len(access_log_for_inquiry(inquiry)) for inquiry in exported] == [1] * 5
    assert access_log_for_inquiry(elsewhere) == []


def test_the_hub_leads_page_shows_an_export_beside_single_views_newest_first(client, hub_lead, hub, inquiry):
    with time_machine.travel(WHEN, tick=False):
        InquiryAccess.objects.create(inquiry=inquiry, actor_kind="partner", who="Priya Natarajan, Wessex",
                                     what="referral to Wessex", ip="192.0.2.9")
    other = SubmittedFactory(hub=hub)
    with time_machine.travel(WHEN + dt.timedelta(days=1), tick=False):
        InquiryAccess.objects.create(inquiry_ids=[other.pk, inquiry.pk], actor_kind="staff", user=hub_lead,
                                     who="Sarah Whitfield (lead)", what="CSV export", ip="192.0.2.10")
    assert [row.what for row in access_log_for_inquiry(inquiry)] == ["CSV export", "referral to Wessex"]
    sign_in_staff(client, hub_lead)
    body = client.get(reverse("intake:staff_inquiry_access_log", args=["dorset", inquiry.reference])).content.decode()
    assert body.index("Sarah Whitfield (lead)") < body.index("Priya Natarajan, Wessex")
    assert "CSV export" in body and "192.0.2.10" in body


def test_a_row_names_one_inquiry_or_a_batch_never_both_nor_neither(inquiry):
    from django.db import IntegrityError, transaction

    for wrong in ({"inquiry": inquiry, "inquiry_ids": [inquiry.pk]}, {}):
        with pytest.raises(IntegrityError), transaction.atomic():
            InquiryAccess.objects.create(actor_kind="staff", who="A", what="case page", **wrong)


def test_it_records_a_partner_contact_opening_the_referral(client, hub, hub_lead, inquiry):
    from tests.partners.conftest import sign_in_partner

    wessex = PartnerFactory(name="Health Innovation Wessex", hubs=[hub])
    contact = PartnerContactFactory(partner=wessex, name="Priya Natarajan", email="priya@wessex.example.org")
    referral = signposting_services.referral_send(inquiry=inquiry, partner=wessex, by=hub_lead)
    sign_in_partner(client, contact.email)
    assert client.get(reverse("signposting:partner_referral", args=[referral.public_id])).status_code == 200
    row = InquiryAccess.objects.get(inquiry=inquiry)
    assert (row.actor_kind, row.user, row.what) == ("partner", None, "referral to Health Innovation Wessex")
    assert row.who == "Priya Natarajan (priya@wessex.example.org), Health Innovation Wessex"


def test_a_hub_lead_sees_who_saw_the_inquiry_and_a_team_member_does_not(client, hub_lead, hub_member, inquiry):
    InquiryAccess.objects.create(inquiry=inquiry, actor_kind="partner", who="Priya Natarajan, Wessex",
                                 what="referral to Wessex", ip="192.0.2.9")
    url = reverse("intake:staff_inquiry_access_log", args=["dorset", inquiry.reference])
    sign_in_staff(client, hub_member)
    assert client.get(url).status_code == 404
    assert b"Who saw this inquiry" not in client.get(_case(inquiry)).content
    sign_in_staff(client, hub_lead)
    assert b"Who saw this inquiry" in client.get(_case(inquiry)).content
    body = client.get(url).content.decode()
    assert "Priya Natarajan, Wessex" in body and "192.0.2.9" in body
    # The member's and the lead's own views of the case page are on it too.
    assert "Priya Patel (member.dorset@example.nhs.uk)" in body and "Sarah Whitfield" in body


def test_the_submitters_selector_lists_views_of_their_inquiries_only(hub, submitter, other_submitter, inquiry):
    theirs = InquiryAccess.objects.create(inquiry=inquiry, actor_kind="staff", who="A", what="case page")
    other = SubmittedFactory(hub=hub, submitter=other_submitter)
    InquiryAccess.objects.create(inquiry=other, actor_kind="staff", who="B", what="case page")
    assert [(seen.inquiry, seen.access) for seen in access_log_for_submitter(submitter)] == [(inquiry, theirs)]


def test_the_submitters_selector_lists_an_export_once_for_each_of_their_inquiries_it_held(
        hub, submitter, other_submitter, inquiry):
    second = SubmittedFactory(hub=hub, submitter=submitter)
    other = SubmittedFactory(hub=hub, submitter=other_submitter)
    with time_machine.travel(WHEN, tick=False):
        viewed = InquiryAccess.objects.create(inquiry=second, actor_kind="staff", who="A", what="case page")
    with time_machine.travel(WHEN + dt.timedelta(hours=1), tick=False):
        export = InquiryAccess.objects.create(inquiry_ids=[other.pk, inquiry.pk, second.pk], actor_kind="staff",
                                              who="B", what="CSV export")
        InquiryAccess.objects.create(inquiry_ids=[other.pk], actor_kind="staff", who="C", what="CSV export")
    assert [(seen.inquiry, seen.access) for seen in access_log_for_submitter(submitter)] == [
        (inquiry, export), (second, export), (second, viewed)]
    assert access_log_for_submitter(submitter)[0].inquiry.reference == "DOR-2026-00007"


def test_the_purge_deletes_rows_older_than_the_retention_period_and_only_those(settings, inquiry):
    settings.ACCESS_LOG_RETENTION_DAYS = 2190
    now = timezone.now()
    old = InquiryAccess.objects.create(inquiry=inquiry, actor_kind="staff", who="A", what="case page",
                                       created_at=now - dt.timedelta(days=2190, seconds=1))
    kept = InquiryAccess.objects.create(inquiry=inquiry, actor_kind="staff", who="A", what="case page",
                                        created_at=now - dt.timedelta(days=2189, hours=23))
    with time_machine.travel(now, tick=False):
        assert inquiry_access_purge(batch_size=1) == 1
        assert inquiry_access_purge() == 0  # twice changes nothing more
    assert list(InquiryAccess.objects.all()) == [kept]
    assert not InquiryAccess.objects.filter(pk=old.pk).exists()


def test_the_purge_deletes_an_old_export_row_and_with_it_that_export_from_every_inquirys_log(settings, hub, inquiry):
    settings.ACCESS_LOG_RETENTION_DAYS = 2190
    other = SubmittedFactory(hub=hub)
    now = timezone.now()
    InquiryAccess.objects.create(inquiry_ids=[inquiry.pk, other.pk], actor_kind="staff", who="A", what="CSV export",
                                 created_at=now - dt.timedelta(days=2191))
    recent = InquiryAccess.objects.create(inquiry_ids=[other.pk], actor_kind="staff", who="A", what="CSV export",
                                          created_at=now - dt.timedelta(days=1))
    with time_machine.travel(now, tick=False):
        assert inquiry_access_purge() == 1
    assert access_log_for_inquiry(inquiry) == []
    assert access_log_for_inquiry(other) == [recent]


def test_a_retention_shorter_than_six_months_is_refused(monkeypatch):
    import subprocess
    import sys

    env = {**__import__("os").environ, "ACCESS_LOG_RETENTION_DAYS": "90", "DJANGO_SETTINGS_MODULE": "hubportal.settings"}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True,
                            text=True)
    assert result.returncode != 0 and "ACCESS_LOG_RETENTION_DAYS must be at least 183" in result.stderr


def test_beat_runs_the_purge_daily_and_the_task_purges(inquiry):
    from django_celery_beat.models import PeriodicTask

    from intake.tasks import purge_access_log

    task = PeriodicTask.objects.get(task="intake.tasks.purge_access_log")
    assert task.enabled and (task.crontab.hour, task.crontab.minute) == ("3", "30")
    InquiryAccess.objects.create(inquiry=inquiry, actor_kind="staff", who="A", what="case page",
                                 created_at=timezone.now() - dt.timedelta(days=10 * 365))
    assert purge_access_log() == 1


def test_deleting_an_inquiry_or_a_user_still_reaches_their_rows_without_database_keys(client, hub_member, inquiry):
    # The keys carry no database constraint (the export's cost, intake 0023): Django's collector does
    # what the constraint's ON DELETE would have done.
    sign_in_staff(client, hub_member)
    client.get(_case(inquiry))
    [row] = InquiryAccess.objects.filter(inquiry=inquiry)
    assert row.user_id == hub_member.pk
    client.logout()
    hub_member.delete()
    row.refresh_from_db()
    assert row.user_id is None and row.who  # the row still says who it was
    other = SubmittedFactory(hub=inquiry.hub)
    InquiryAccess.objects.create(inquiry=other, actor_kind=InquiryAccess.Actor.STAFF, who="Someone", what="case page")
    other.delete()
    assert not InquiryAccess.objects.filter(inquiry_id=other.pk).exists()
    assert InquiryAccess.objects.filter(pk=row.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the batches' GIN index is PostgreSQL's")
def test_who_saw_an_inquiry_is_answered_from_its_two_indexes_without_a_limit(inquiry):
    from django.db import transaction

    InquiryAccess.objects.create(inquiry_ids=[inquiry.pk], actor_kind="staff", who="A", what="CSV export")
    with CaptureQueriesContext(connection) as queries:
        assert len(access_log_for_inquiry(inquiry)) == 1
    [sql] = [q["sql"] for q in queries.captured_queries]
    # With a LIMIT the planner may walk the age index over the whole log instead (see the selector).
    assert "LIMIT" not in sql
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test table is tiny: make the planner show it can
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "inquiry_access_by_batch" in plan and "inquiry_access_by_inquiry" in plan
