"""The retention schedule (issue 12): each rule at its boundary day, idempotence, legal hold, files
deleted from storage, metrics unchanged, and the command's dry run."""

import datetime as dt
import os
from io import StringIO

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from hubportal.models import EmailLink, OutboundEmail, StaffSignInFailure
from hubportal.personal_data import PLACEHOLDER_EMAIL
from hubportal.retention import retention_apply
from intake.metrics import hub_metrics, hub_metrics_rows
from intake.models import Attachment, InformationRequest, Inquiry, InquiryEvent, InquiryNote
from intake.services import inquiry_release_legal_hold, inquiry_set_legal_hold
from tests.factories import DraftFactory, SubmittedFactory

CLOSED_ON = dt.datetime(2024, 3, 5, 10, 0, tzinfo=dt.UTC)


def _closed(hub, submitter, **fields):
    inquiry = SubmittedFactory(hub=hub, submitter=submitter, status=Inquiry.Status.CLOSED, outcome="adopted",
                               outcome_reason="Jo's ward adopted it", closed_at=CLOSED_ON, phone="07700 900123",
                               submitted_at=CLOSED_ON - dt.timedelta(days=30),
                               first_response_at=CLOSED_ON - dt.timedelta(days=28),
                               decided_at=CLOSED_ON - dt.timedelta(days=20),
                               triage_due_on=(CLOSED_ON - dt.timedelta(days=23)).date(), **fields)
    return inquiry


def _attach(inquiry, name="plan.pdf"):
    attachment = Attachment(inquiry=inquiry, uploaded_by=inquiry.submitter, original_name=name,
                            stored_name=f"{inquiry.pk}-{name}", content_type="application/pdf", size=8)
    attachment.file.save(attachment.stored_name, ContentFile(b"%PDF-1.4"), save=True)
    return attachment


@pytest.mark.django_db
class TestClosedInquiries:
    def test_it_keeps_a_closed_inquiry_on_the_day_before_its_24_months_end(self, hub, submitter):
        inquiry = _closed(hub, submitter)
        with time_machine.travel(dt.datetime(2026, 3, 4, 23, 59, tzinfo=dt.UTC), tick=False):
            retention_apply()
        inquiry.refresh_from_db()
        assert inquiry.anonymised_at is None
        assert inquiry.contact_name == "Jo Bloggs" and inquiry.submitter == submitter

    def test_it_anonymises_a_closed_inquiry_on_the_day_its_24_months_end(self, hub, submitter, hub_lead,
                                                                           django_capture_on_commit_callbacks):
        inquiry = _closed(hub, submitter, title="Jo's heart failure kit")
        attachment = _attach(inquiry)
        path = attachment.file.path
        InquiryNote.objects.create(inquiry=inquiry, author=hub_lead, body="Jo is a friend of the CEO")
        InformationRequest.objects.create(inquiry=inquiry, requested_by=hub_lead, question="Which ward, Jo?",
                                          answer="Ward 7, ask Jo", answered_at=CLOSED_ON)
        InquiryEvent.objects.create(inquiry=inquiry, kind="attachment_added", actor=submitter, description="plan.pdf")
        InquiryEvent.objects.create(inquiry=inquiry, kind="assigned", actor=hub_lead,
                                    description="Assigned to Sarah Whitfield")
        with (time_machine.travel(dt.datetime(2026, 3, 5, 0, 1, tzinfo=dt.UTC), tick=False),
              django_capture_on_commit_callbacks(execute=True)):
            outcomes = retention_apply()

        inquiry.refresh_from_db()
        assert inquiry.anonymised_at is not None
        assert (inquiry.contact_name, inquiry.role, inquiry.phone, inquiry.problem, inquiry.proposed_innovation,
                inquiry.who_benefits, inquiry.evidence, inquiry.outcome_reason) == ("",) * 8
        assert inquiry.title == "Anonymised inquiry"
        assert inquiry.submitter.email == PLACEHOLDER_EMAIL
        # What the figures count stays.
        assert (inquiry.reference, inquiry.status, inquiry.outcome, inquiry.organisation, inquiry.themes,
                inquiry.support_needed, inquiry.kind_of_help) == (
            inquiry.reference, "closed", "adopted", "Dorset County Hospital NHS Foundation Trust",
            ["health_inequalities"], ["evaluation", "funding"], "new_idea")
        assert not Attachment.objects.filter(pk=attachment.pk).exists()
        assert not os.path.exists(path)
        assert InquiryNote.objects.get(inquiry=inquiry).body == "Removed when the inquiry was anonymised."
        request = InformationRequest.objects.get(inquiry=inquiry)
        assert "Jo" not in request.question and request.answer == ""
        events = InquiryEvent.objects.filter(inquiry=inquiry)
        assert not events.filter(actor=submitter).exists()
        assert events.get(kind="attachment_added").description == ""
        # Staff names on the timeline stay (legitimate interest).
        assert events.get(kind="assigned").description == "Assigned to Sarah Whitfield"
        assert events.filter(kind="anonymised").count() == 1
        assert {(o.hub, o.rule, o.count) for o in outcomes} >= {(hub.name, "closed inquiries anonymised", 1)}

    def test_it_changes_nothing_more_when_run_twice(self, hub, submitter):
        _closed(hub, submitter)
        with time_machine.travel(dt.datetime(2026, 3, 6, tzinfo=dt.UTC), tick=False):
            first = sum(o.count for o in retention_apply())
            snapshot = list(Inquiry.objects.values())
            events = InquiryEvent.objects.count()
            second = sum(o.count for o in retention_apply())
        assert first >= 1 and second == 0
        assert list(Inquiry.objects.values()) == snapshot
        assert InquiryEvent.objects.count() == events

    def test_it_never_touches_an_inquiry_under_legal_hold(self, hub, submitter, hub_lead):
        inquiry = _closed(hub, submitter)
        with time_machine.travel(CLOSED_ON + dt.timedelta(days=1), tick=False):
            inquiry_set_legal_hold(inquiry=inquiry, by=hub_lead, reason="Complaint to the ombudsman open")
        with time_machine.travel(dt.datetime(2027, 1, 1, tzinfo=dt.UTC), tick=False):
            retention_apply()
            inquiry.refresh_from_db()
            assert inquiry.anonymised_at is None and inquiry.contact_name == "Jo Bloggs"
            inquiry_release_legal_hold(inquiry=inquiry, by=hub_lead)
            retention_apply()
        inquiry.refresh_from_db()
        assert inquiry.anonymised_at is not None
        assert list(InquiryEvent.objects.filter(inquiry=inquiry, kind__startswith="legal_hold")
                    .values_list("kind", flat=True)) == ["legal_hold_set", "legal_hold_released"]

    def test_it_follows_the_period_the_hub_set(self, hub, submitter):
        hub.retain_closed_months = 6
        hub.save()
        inquiry = _closed(hub, submitter)
        with time_machine.travel(dt.datetime(2024, 9, 4, 12, tzinfo=dt.UTC), tick=False):
            retention_apply()
            inquiry.refresh_from_db()
            assert inquiry.anonymised_at is None
        with time_machine.travel(dt.datetime(2024, 9, 5, 12, tzinfo=dt.UTC), tick=False):
            retention_apply()
        inquiry.refresh_from_db()
        assert inquiry.anonymised_at is not None

    def test_the_metrics_give_identical_figures_before_and_after(self, hub, submitter, other_submitter):
        for n in range(6):
            _closed(hub, submitter if n % 2 else other_submitter, organisation=f"Trust {n % 3}",
                    kind_of_help=["new_idea", "adopt_proven"][n % 2], stage="piloted", themes=["prevention"])
        SubmittedFactory(hub=hub, submitter=submitter, submitted_at=CLOSED_ON)  # open: never anonymised
        with time_machine.travel(dt.datetime(2026, 4, 1, tzinfo=dt.UTC), tick=False):
            period = {"date_from": dt.date(2023, 1, 1), "date_to": dt.date(2026, 3, 31)}
            before = hub_metrics_rows(hub_metrics(hub=hub, **period))
            assert sum(o.count for o in retention_apply()) == 6
            after = hub_metrics_rows(hub_metrics(hub=hub, **period))
        assert Inquiry.objects.filter(anonymised_at__isnull=False).count() == 6
        assert before == after


@pytest.mark.django_db
class TestDrafts:
    def _draft(self, hub, submitter):
        with time_machine.travel(dt.datetime(2025, 1, 10, 15, tzinfo=dt.UTC), tick=False):
            draft = DraftFactory(hub=hub, submitter=submitter)
            attachment = _attach(draft)
        return draft, attachment.file.path

    def test_it_keeps_a_draft_on_the_89th_day_without_a_change(self, hub, submitter):
        # 22:30 UTC is 23:30 in London (BST): still the 89th London day.
        draft, path = self._draft(hub, submitter)
        with time_machine.travel(dt.datetime(2025, 4, 9, 22, 30, tzinfo=dt.UTC), tick=False):
            retention_apply()
        assert Inquiry.objects.filter(pk=draft.pk).exists() and os.path.exists(path)

    def test_it_deletes_a_draft_and_its_files_on_the_90th_day_without_a_change(
            self, hub, submitter, django_capture_on_commit_callbacks):
        draft, path = self._draft(hub, submitter)
        with (time_machine.travel(dt.datetime(2025, 4, 10, 0, 30, tzinfo=dt.UTC), tick=False),
              django_capture_on_commit_callbacks(execute=True)):
            outcomes = retention_apply()
        assert not Inquiry.objects.filter(pk=draft.pk).exists()
        assert not Attachment.objects.filter(inquiry_id=draft.pk).exists()
        assert not os.path.exists(path)
        assert (hub.name, "unfinished drafts deleted", 1) in {(o.hub, o.rule, o.count) for o in outcomes}

    def test_a_draft_with_no_hub_yet_follows_the_deployment_period(self, submitter, settings):
        settings.RETENTION_DRAFT_DAYS = 10
        with time_machine.travel(dt.datetime(2025, 1, 10, tzinfo=dt.UTC), tick=False):
            draft = DraftFactory(hub=None, submitter=submitter)
        with time_machine.travel(dt.datetime(2025, 1, 19, 12, tzinfo=dt.UTC), tick=False):
            retention_apply()
            assert Inquiry.objects.filter(pk=draft.pk).exists()
        with time_machine.travel(dt.datetime(2025, 1, 20, 12, tzinfo=dt.UTC), tick=False):
            retention_apply()
        assert not Inquiry.objects.filter(pk=draft.pk).exists()

    def test_a_draft_under_legal_hold_is_kept(self, hub, submitter, hub_lead):
        draft, path = self._draft(hub, submitter)
        Inquiry.objects.filter(pk=draft.pk).update(legal_hold_reason="Investigation")
        with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick=False):
            retention_apply()
        assert Inquiry.objects.filter(pk=draft.pk).exists() and os.path.exists(path)


@pytest.mark.django_db
class TestKernelRows:
    def test_email_content_is_removed_on_the_day_its_period_ends_and_the_row_stays(self, hub):
        with time_machine.travel(dt.datetime(2025, 1, 10, 9, tzinfo=dt.UTC), tick=False):
            sent = OutboundEmail.objects.create(key="k:1", to="jo.bloggs@nhs.net", template="inquiry_closed",
                                                context={"title": "Jo's idea"}, hub=hub, status="sent",
                                                sent_at=timezone.now())
            queued = OutboundEmail.objects.create(key="k:2", to="jo.bloggs@nhs.net", template="inquiry_closed",
                                                  context={"title": "Jo's idea"}, hub=hub)
        with time_machine.travel(dt.datetime(2025, 2, 8, 23, tzinfo=dt.UTC), tick=False):  # day 29
            retention_apply()
        sent.refresh_from_db()
        assert sent.context == {"title": "Jo's idea"}
        with time_machine.travel(dt.datetime(2025, 2, 9, 1, tzinfo=dt.UTC), tick=False):  # day 30
            retention_apply()
        sent.refresh_from_db()
        queued.refresh_from_db()
        assert sent.context == {} and sent.to == "jo.bloggs@nhs.net" and sent.status == "sent"
        assert queued.context == {"title": "Jo's idea"}  # still owed: never emptied

    def test_sign_in_links_and_failed_sign_ins_go_30_days_on(self, db):
        with time_machine.travel(dt.datetime(2025, 1, 10, 9, tzinfo=dt.UTC), tick=False):
            link = EmailLink.objects.create(purpose="sign_in", email="a@nhs.net", token_hash="x" * 64,
                                            expires_at=timezone.now() + dt.timedelta(minutes=30))
            failure = StaffSignInFailure.objects.create(email="lead@example.nhs.uk", ip="192.0.2.1")
        with time_machine.travel(dt.datetime(2025, 2, 8, 23, tzinfo=dt.UTC), tick=False):
            retention_apply()
        assert EmailLink.objects.filter(pk=link.pk).exists()
        assert StaffSignInFailure.objects.filter(pk=failure.pk).exists()
        with time_machine.travel(dt.datetime(2025, 2, 9, 0, 5, tzinfo=dt.UTC), tick=False):
            retention_apply()
        assert not EmailLink.objects.filter(pk=link.pk).exists()
        assert not StaffSignInFailure.objects.filter(pk=failure.pk).exists()


@pytest.mark.django_db
def test_the_command_dry_run_prints_what_it_would_do_per_hub_and_changes_nothing(hub, other_hub, submitter):
    inquiry = _closed(hub, submitter)
    out = StringIO()
    with time_machine.travel(dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC), tick=False):
        call_command("apply_retention", "--dry-run", stdout=out)
    text = out.getvalue()
    dorset, manchester = text.split("Manchester Innovation Hub\n")
    assert dorset.startswith("Dorset Innovation Hub\n")
    assert "  closed inquiries anonymised (24 months after closing): 1 would be\n" in dorset
    assert "  closed inquiries anonymised (24 months after closing): 0 would be\n" in manchester
    assert "No hub\n" in manchester
    inquiry.refresh_from_db()
    assert inquiry.anonymised_at is None
    with time_machine.travel(dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC), tick=False):
        call_command("apply_retention", "--batch-size", "1", stdout=StringIO())
    inquiry.refresh_from_db()
    assert inquiry.anonymised_at is not None


@pytest.mark.django_db
def test_the_beat_schedule_runs_the_retention_task_nightly():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="hubportal.tasks.apply_retention")
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("2", "30", "Europe/London")
