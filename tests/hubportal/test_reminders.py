import datetime as dt
import threading

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from hubportal.celery import app
from hubportal.models import Reminder
from hubportal.reminders import reminders_send
from hubportal.workdays import LONDON
from intake import services
from intake.models import Inquiry
from intake.reminders import unpark_at
from tests.factories import DraftFactory

# A Friday: the hub's 5 working days end on the next Friday, and Monday 23 is a normal day.
FRIDAY = dt.datetime(2026, 11, 20, 14, 0, tzinfo=LONDON)


@pytest.fixture
def sent(hub, submitter, hub_lead, django_capture_on_commit_callbacks):
    # With its after-commit follow-up, which plans the triage reminders (intake.reminders.handle_submitted).
    with time_machine.travel(FRIDAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        return services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=hub), by=submitter)


def at(day, hour=9):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


def sweep(moment, outbox=None, django_capture_on_commit_callbacks=None):
    return reminders_send(now=moment)


@pytest.mark.django_db
def test_sending_an_inquiry_plans_its_triage_reminders_in_working_days(sent):
    planned = {r.stage: r.due_at.astimezone(LONDON) for r in Reminder.objects.filter(kind="inquiry.triage")}
    assert planned == {"due": at(dt.date(2026, 11, 27)), "overdue": at(dt.date(2026, 11, 30))}


@pytest.mark.django_db
def test_the_hub_leads_are_reminded_on_the_due_day_once_however_often_the_sweep_runs(
        sent, hub_lead, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(now=at(dt.date(2026, 11, 26))) == []  # not yet
        first = reminders_send(now=at(dt.date(2026, 11, 27), 10))
        second = reminders_send(now=at(dt.date(2026, 11, 27), 11))
    assert [(r.stage, outcome) for r, outcome in first] == [("due", "sent to 1")]
    assert second == []
    assert [m.to for m in outbox] == [[hub_lead.email]]
    assert f"Triage of {sent.reference} is due today" == outbox[0].subject
    assert "/staff/dorset/inquiries/" in outbox[0].body


@pytest.mark.django_db
def test_the_assignee_is_reminded_instead_of_the_leads_and_again_when_overdue(
        sent, hub_lead, hub_member, outbox, django_capture_on_commit_callbacks):
    services.inquiry_assign(inquiry=sent, by=hub_lead, assignee=hub_member, version=sent.version)
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(now=at(dt.date(2026, 12, 1)))
    assert [(m.to, m.subject) for m in outbox] == [
        ([hub_member.email], f"Triage of {sent.reference} is due today"),
        ([hub_member.email], f"Triage of {sent.reference} is overdue"),
    ]


@pytest.mark.django_db
def test_a_reminder_that_no_longer_applies_sends_nothing(sent, hub_lead, outbox, django_capture_on_commit_callbacks):
    services.inquiry_start_review(inquiry=sent, by=hub_lead, version=sent.version)
    with django_capture_on_commit_callbacks(execute=True):
        results = reminders_send(now=at(dt.date(2026, 12, 1)))
    assert [outcome for _, outcome in results] == ["no longer applies", "no longer applies"]
    assert outbox == []


@pytest.mark.django_db
def test_an_unanswered_question_reminds_the_submitter_then_tells_the_lead(
        sent, hub_lead, submitter, outbox, django_capture_on_commit_callbacks):
    with time_machine.travel(at(dt.date(2026, 11, 23), 10), tick=False):
        services.inquiry_request_info(inquiry=sent, by=hub_lead, question="Which wards?", version=sent.version)
    planned = {r.stage: r.due_at.astimezone(LONDON).date() for r in Reminder.objects.filter(kind="inquiry.info")}
    # 10 working days from Monday 23 November, then 5 more (no bank holidays in between).
    assert planned == {"remind": dt.date(2026, 12, 7), "close_suggestion": dt.date(2026, 12, 14)}
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(now=at(dt.date(2026, 12, 7), 10))
    assert [m.to for m in outbox] == [[submitter.email]]
    assert "Which wards" not in outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(now=at(dt.date(2026, 12, 14), 10))
    assert outbox[-1].to == [hub_lead.email]
    assert "it can be closed" in outbox[-1].subject


@pytest.mark.django_db
def test_answering_the_question_cancels_its_reminders(sent, hub_lead, submitter, outbox,
                                                     django_capture_on_commit_callbacks):
    services.inquiry_request_info(inquiry=sent, by=hub_lead, question="?", version=sent.version)
    services.inquiry_answer_info(inquiry=sent, by=submitter, answer="Here")
    assert set(Reminder.objects.filter(kind="inquiry.info").values_list("outcome", flat=True)) == {"cancelled"}
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(now=timezone.now() + dt.timedelta(days=60))
    assert all("question" not in m.subject for m in outbox)


@pytest.mark.django_db
def test_a_parked_inquiry_comes_back_to_the_hub_lead_on_its_date(
        sent, hub_lead, outbox, django_capture_on_commit_callbacks):
    until = timezone.localdate() + dt.timedelta(days=10)
    services.inquiry_start_review(inquiry=sent, by=hub_lead, version=sent.version)
    sent.refresh_from_db()
    services.inquiry_park(inquiry=sent, by=hub_lead, until=until, reason="", version=sent.version)
    outbox.clear()
    back = unpark_at(until)  # that date, or the next working day when it falls on a weekend or bank holiday
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(now=back - dt.timedelta(minutes=1))
        assert Inquiry.objects.get(pk=sent.pk).parked_until == until
        results = reminders_send(now=back)
    assert [outcome for r, outcome in results if r.kind == "inquiry.parked"] == ["unparked; sent to 1"]
    assert Inquiry.objects.get(pk=sent.pk).parked_until is None
    assert any(m.subject == f"{sent.reference} is back from parking" for m in outbox)


@pytest.mark.django_db
def test_reminders_stay_at_nine_in_london_across_the_clock_change(hub, submitter, django_capture_on_commit_callbacks):
    # Sent on Friday 23 October 2026 (BST); due the Friday after the clocks went back (GMT).
    with (time_machine.travel(dt.datetime(2026, 10, 23, 16, 0, tzinfo=LONDON), tick=False),
          django_capture_on_commit_callbacks(execute=True)):
        inquiry = services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=hub), by=submitter)
    due = Reminder.objects.get(subject=f"intake.inquiry:{inquiry.pk}", stage="due").due_at
    assert due.astimezone(LONDON) == at(dt.date(2026, 10, 30))
    assert due.astimezone(dt.UTC).hour == 9  # GMT by then


@pytest.mark.django_db
def test_dry_run_lists_due_reminders_and_claims_nothing(sent, capsys, outbox):
    Reminder.objects.update(due_at=timezone.now() - dt.timedelta(minutes=1))
    call_command("send_reminders", "--dry-run")
    out = capsys.readouterr().out
    assert "inquiry.triage/due" in out and "2 reminder(s) would be sent" in out
    assert Reminder.objects.filter(done_at__isnull=True).count() == 2
    assert outbox == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL (CI runs it)")
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_reminder_once(hub, submitter, hub_lead, outbox):
    for _ in range(10):
        services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=hub), by=submitter)
    Reminder.objects.filter(stage="due").update(due_at=timezone.now() - dt.timedelta(minutes=1))
    outbox.clear()
    barrier = threading.Barrier(2)
    results = []

    def run():
        barrier.wait()
        results.append(reminders_send())
        connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(len(r) for r in results) == 10
    assert len(outbox) == 10
    assert len({m.extra_headers["Message-ID"] for m in outbox}) == 10


@pytest.mark.django_db
def test_beat_runs_the_reminder_and_digest_jobs_from_the_database(settings):
    tasks = dict(PeriodicTask.objects.values_list("task", "enabled"))
    for name in ("hubportal.tasks.send_reminders", "hubportal.tasks.send_digests",
                 "hubportal.tasks.requeue_stale_outbound_email"):
        assert tasks.get(name) is True
        assert name in app.tasks  # the scheduled name is a registered task
    digests = PeriodicTask.objects.get(task="hubportal.tasks.send_digests")
    assert (digests.crontab.hour, digests.crontab.minute, str(digests.crontab.timezone)) == ("7", "0", "Europe/London")
    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"


@pytest.mark.django_db
def test_a_reminder_whose_handler_raises_is_recorded_as_failed_and_the_others_still_go(
        sent, hub_lead, outbox, django_capture_on_commit_callbacks, monkeypatch):
    from hubportal import reminders

    def broken(reminder):
        # It queues an email first: that must roll back with the failure, not go out half-done.
        from hubportal.outbox import outbound_email_queue
        outbound_email_queue(key="broken:1", to="x@nhs.net", template="reminder", context={})
        raise ValueError("the thing it is about has no hub")

    monkeypatch.setitem(reminders._handlers, "test.broken", broken)
    moment = at(dt.date(2026, 11, 27), 10)
    bad = Reminder.objects.create(kind="test.broken", subject="x:1", stage="due", due_at=moment - dt.timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        results = reminders_send(now=moment)

    assert [(r.kind, outcome) for r, outcome in results] == [("test.broken", "failed"), ("inquiry.triage", "sent to 1")]
    bad.refresh_from_db()
    assert bad.outcome == "failed" and bad.done_at == moment
    assert bad.error == "ValueError: the thing it is about has no hub"
    assert [m.to for m in outbox] == [[hub_lead.email]]  # the other reminder went; the broken one's email did not
    from hubportal.models import OutboundEmail
    assert not OutboundEmail.objects.filter(key="broken:1").exists()
    assert reminders_send(now=moment + dt.timedelta(minutes=1)) == []  # not retried every minute


@pytest.mark.django_db
def test_administrators_see_failed_reminders_with_their_error_and_can_make_them_due_again(client):
    from hubportal.reminders import reminder_retry
    from tests.conftest import sign_in_staff
    from tests.factories import UserFactory

    failed = Reminder.objects.create(kind="inquiry.triage", subject="intake.inquiry:999", stage="due",
                                     due_at=timezone.now(), done_at=timezone.now(), outcome="failed",
                                     error="ValueError: boom")
    admin = sign_in_staff(client, UserFactory(email="admin@example.nhs.uk", is_staff=True, is_superuser=True))
    page = admin.get("/admin/hubportal/reminder/", {"outcome": "failed"})
    assert page.status_code == 200
    assert "intake.inquiry:999" in page.content.decode()
    assert "ValueError: boom" in admin.get(f"/admin/hubportal/reminder/{failed.pk}/change/").content.decode()

    response = admin.post("/admin/hubportal/reminder/", {"action": "retry", "_selected_action": [failed.pk]})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.done_at, failed.outcome, failed.error) == (None, "", "")
    assert reminder_retry(reminder_id=failed.pk) == 0  # only a failed one


@pytest.mark.django_db
def test_hub_staff_who_are_not_administrators_cannot_open_the_reminders_admin(lead_client):
    response = lead_client.get("/admin/hubportal/reminder/")
    assert response.status_code == 302 and "/login/" in response["Location"]
