import re

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from hubportal.models import OutboundEmail
from intake import services
from intake.models import Inquiry, InquiryEvent
from tests.factories import DraftFactory


def _send(client, draft):
    return client.post(reverse("intake:inquiry_check", args=[draft.public_id]))


@pytest.mark.django_db
def test_sending_gives_a_reference_a_confirmation_page_and_one_acknowledgement(
        submitter_client, submitter, hub, outbox, django_capture_on_commit_callbacks):
    draft = DraftFactory(submitter=submitter, hub=hub, title="Virtual ward for frailty")
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(submitter_client, draft)
    assert response["Location"] == reverse("intake:inquiry_submitted", args=[draft.public_id])
    draft.refresh_from_db()
    year = timezone.localdate().year
    assert draft.reference == f"DOR-{year}-00001"
    assert draft.status == Inquiry.Status.SUBMITTED
    assert draft.submitted_at is not None
    page = submitter_client.get(response["Location"]).content.decode()
    assert draft.reference in page
    assert "Inquiry sent" in page

    assert len(outbox) == 1
    message = outbox[0]
    assert message.to == ["jo.bloggs@nhs.net"]
    assert draft.reference in message.subject
    link = f"http://testserver/inquiries/{draft.public_id}/"
    assert link in message.body
    assert f'href="{link}"' in message.alternatives[0][0]
    # A link, not the content: nothing the person wrote is in either part.
    for part in (message.subject, message.body, message.alternatives[0][0]):
        assert "Virtual ward for frailty" not in part
        assert draft.problem not in part
    assert message.reply_to == [hub.email]
    assert OutboundEmail.objects.get().key == f"inquiry:{draft.pk}:acknowledgement"


@pytest.mark.django_db
def test_references_count_up_per_hub_and_year(submitter, hub, other_hub):
    year = timezone.localdate().year
    refs = [services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=h), by=submitter).reference
            for h in (hub, hub, other_hub, hub)]
    assert refs == [f"DOR-{year}-00001", f"DOR-{year}-00002", f"MAN-{year}-00001", f"DOR-{year}-00003"]


@pytest.mark.django_db
def test_sending_twice_sends_once(submitter_client, submitter, outbox, django_capture_on_commit_callbacks):
    draft = DraftFactory(submitter=submitter)
    with django_capture_on_commit_callbacks(execute=True):
        _send(submitter_client, draft)
        second = _send(submitter_client, draft)
    assert second.status_code == 302
    assert second["Location"] == reverse("intake:inquiry_detail", args=[draft.public_id])
    assert Inquiry.objects.get(pk=draft.pk).reference.endswith("00001")
    assert InquiryEvent.objects.filter(inquiry=draft, kind=InquiryEvent.Kind.SUBMITTED).count() == 1
    assert len(outbox) == 1


@pytest.mark.django_db
def test_a_sent_inquiry_can_no_longer_be_changed_through_the_journey(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter, title="Original")
    services.inquiry_submit(inquiry=draft, by=submitter)
    response = submitter_client.post(f"/inquiries/{draft.public_id}/questions/title/", {"title": "Changed"})
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:inquiry_detail", args=[draft.public_id])
    assert Inquiry.objects.get(pk=draft.pk).title == "Original"


@pytest.mark.django_db
def test_a_draft_sent_from_another_tab_is_not_overwritten(submitter):
    draft = DraftFactory(submitter=submitter, title="Original")
    stale_copy = Inquiry.objects.get(pk=draft.pk)
    services.inquiry_submit(inquiry=draft, by=submitter)
    with pytest.raises(services.InquiryNotEditable):
        services.inquiry_update_draft(inquiry=stale_copy, answers={"title": "Changed"})
    assert Inquiry.objects.get(pk=draft.pk).title == "Original"


@pytest.mark.django_db
def test_sending_someone_elses_draft_is_a_404_and_changes_nothing(other_submitter_client, submitter, outbox):
    draft = DraftFactory(submitter=submitter)
    response = _send(other_submitter_client, draft)
    assert response.status_code == 404
    assert Inquiry.objects.get(pk=draft.pk).status == Inquiry.Status.DRAFT
    assert not OutboundEmail.objects.exists()
    assert not InquiryEvent.objects.filter(inquiry=draft).exists()


@pytest.mark.django_db
def test_by_public_id_it_finds_only_the_senders_own_draft(submitter, other_submitter):
    draft = DraftFactory(submitter=submitter)
    with pytest.raises(Inquiry.DoesNotExist):
        services.inquiry_submit(public_id=draft.public_id, by=other_submitter)
    sent = services.inquiry_submit(public_id=draft.public_id, by=submitter)
    assert sent.pk == draft.pk
    assert Inquiry.objects.get(pk=draft.pk).status == Inquiry.Status.SUBMITTED
    with pytest.raises(services.InquiryNotEditable):
        services.inquiry_submit(public_id=draft.public_id, by=submitter)


@pytest.mark.django_db
def test_only_the_submitter_can_send_their_draft(submitter, other_submitter):
    draft = DraftFactory(submitter=submitter)
    with pytest.raises(services.InquiryNotEditable):
        services.inquiry_submit(inquiry=draft, by=other_submitter)
    assert Inquiry.objects.get(pk=draft.pk).status == Inquiry.Status.DRAFT


@pytest.mark.django_db(transaction=True)
def test_no_acknowledgement_is_written_when_the_submission_rolls_back(submitter, outbox):
    draft = DraftFactory(submitter=submitter)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.inquiry_submit(inquiry=draft, by=submitter)
        raise RuntimeError("something after the submission failed")
    assert OutboundEmail.objects.count() == 0
    assert outbox == []
    draft.refresh_from_db()
    assert draft.status == Inquiry.Status.DRAFT
    assert draft.reference is None


@pytest.mark.django_db
def test_your_inquiries_shows_the_reference_and_status_and_the_timeline(submitter_client, submitter, hub):
    draft = DraftFactory(submitter=submitter, hub=hub, title="Sepsis screening app")
    services.inquiry_submit(inquiry=draft, by=submitter)
    draft.refresh_from_db()
    listing = submitter_client.get("/inquiries/").content.decode()
    assert draft.reference in listing
    assert "Submitted" in listing
    detail = submitter_client.get(f"/inquiries/{draft.public_id}/").content.decode()
    assert "Sepsis screening app" in detail
    assert "You sent your inquiry to the hub" in detail
    assert re.search(r"Sent to Dorset Innovation Hub", detail)


# --- Issue 13: the submit request does only what must be in it; the rest follows after commit -------

@pytest.fixture
def funding_guide():
    from tests.partners.factories import ResourceFactory

    return ResourceFactory(title="Funding calls this quarter", url="https://example.org/funding",
                           support_needs=["funding"])


@pytest.fixture
def channel(hub, hub_lead):
    from hubportal.models import WebhookEndpoint

    return WebhookEndpoint.objects.create(hub=hub, name="Triage channel", kind=WebhookEndpoint.Kind.JSON,
                                          url="https://example.org/hooks/triage", events=["inquiry.submitted"],
                                          secret="s" * 64, created_by=hub_lead)


def _acknowledgement(draft):
    return OutboundEmail.objects.get(key=f"inquiry:{draft.pk}:acknowledgement")


@pytest.mark.django_db
def test_the_submit_makes_the_same_10_queries_whatever_the_hub_has_set_up(
        submitter_client, submitter, hub, hub_lead, channel, funding_guide, django_assert_num_queries):
    """Session, user; then (one transaction) the draft found under its lock, timeline, follow-up,
    reference, inquiry, acknowledgement, and the savepoint pair the test's transaction adds.
    A webhook channel and a directory to match used to add queries here; now the follow-up runs them."""
    draft = DraftFactory(submitter=submitter, hub=hub, support_needed=["funding"])
    with django_assert_num_queries(10):
        response = _send(submitter_client, draft)
    assert response["Location"] == reverse("intake:inquiry_submitted", args=[draft.public_id])
    more = DraftFactory(submitter=submitter, hub=hub, support_needed=["funding"])
    with django_assert_num_queries(10):
        _send(submitter_client, more)


@pytest.mark.django_db
def test_the_request_writes_the_acknowledgement_and_the_follow_up_and_leaves_the_rest_for_after_commit(
        submitter_client, submitter, hub, channel, funding_guide, django_capture_on_commit_callbacks):
    from hubportal.models import Reminder, WebhookDelivery

    draft = DraftFactory(submitter=submitter, hub=hub, support_needed=["funding"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _send(submitter_client, draft)
    assert len(callbacks) == 1  # one task published: the follow-up (the acknowledgement waits for it)
    acknowledgement = _acknowledgement(draft)
    assert acknowledgement.status == OutboundEmail.Status.QUEUED
    assert acknowledgement.context["signposting_resources"] == []
    assert list(Reminder.objects.values_list("kind", "stage", "done_at")) == [("inquiry.submitted", "follow-up", None)]
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_the_follow_up_plans_triage_tells_the_channel_and_sends_the_acknowledgement_with_signposting(
        submitter_client, submitter, hub, channel, funding_guide, outbox, django_capture_on_commit_callbacks):
    from hubportal.models import Reminder, WebhookDelivery

    draft = DraftFactory(submitter=submitter, hub=hub, support_needed=["funding"])
    with django_capture_on_commit_callbacks(execute=True):
        _send(submitter_client, draft)
    assert set(Reminder.objects.filter(kind="inquiry.triage").values_list("stage", flat=True)) == {"due", "overdue"}
    assert Reminder.objects.get(kind="inquiry.submitted").outcome == "done"
    assert WebhookDelivery.objects.get().key == f"{channel.pk}:inquiry.submitted:intake.inquiry:{draft.pk}"
    assert _acknowledgement(draft).context["signposting_resources"] == [
        {"title": "Funding calls this quarter", "url": "https://example.org/funding"}]
    [message] = outbox
    assert "Funding calls this quarter" in message.body


@pytest.mark.django_db
def test_the_follow_up_run_twice_plans_and_sends_each_thing_once(
        submitter, hub, channel, funding_guide, outbox, django_capture_on_commit_callbacks):
    from hubportal.models import Reminder, WebhookDelivery
    from hubportal.reminders import reminder_send_now
    from intake.reminders import handle_submitted

    draft = DraftFactory(submitter=submitter, hub=hub, support_needed=["funding"])
    with django_capture_on_commit_callbacks(execute=False):
        services.inquiry_submit(inquiry=draft, by=submitter)  # the task is lost: nothing runs after commit
    follow_up = Reminder.objects.get(kind="inquiry.submitted")
    with django_capture_on_commit_callbacks(execute=True):
        assert reminder_send_now(reminder_id=follow_up.pk) == "done"
        assert reminder_send_now(reminder_id=follow_up.pk) is None  # the task delivered twice: claimed once
        handle_submitted(follow_up)  # a person retrying it from admin: every step is keyed or claimed
    assert Reminder.objects.filter(kind="inquiry.triage").count() == 2
    assert WebhookDelivery.objects.count() == 1
    assert OutboundEmail.objects.filter(key__startswith=f"inquiry:{draft.pk}:").count() == 1
    assert len(outbox) == 1


@pytest.mark.django_db
def test_a_lost_follow_up_is_run_by_the_reminder_sweep(
        submitter, hub, channel, funding_guide, outbox, django_capture_on_commit_callbacks):
    from hubportal.models import Reminder
    from hubportal.reminders import reminders_send

    draft = DraftFactory(submitter=submitter, hub=hub, support_needed=["funding"])
    with django_capture_on_commit_callbacks(execute=False):
        services.inquiry_submit(inquiry=draft, by=submitter)  # the broker was down at commit
    with django_capture_on_commit_callbacks(execute=True):
        results = reminders_send()
    assert [(r.kind, outcome) for r, outcome in results] == [("inquiry.submitted", "done")]
    assert Reminder.objects.filter(kind="inquiry.triage").count() == 2
    [message] = outbox
    assert "Funding calls this quarter" in message.body


@pytest.mark.django_db
def test_the_acknowledgement_goes_once_when_the_outbox_sweep_sends_it_before_the_follow_up(
        submitter, hub, funding_guide, outbox, django_capture_on_commit_callbacks):
    import datetime as dt

    from hubportal.outbox import outbound_email_requeue_stale
    from hubportal.reminders import reminders_send

    draft = DraftFactory(submitter=submitter, hub=hub, support_needed=["funding"])
    with django_capture_on_commit_callbacks(execute=False):
        services.inquiry_submit(inquiry=draft, by=submitter)
    with django_capture_on_commit_callbacks(execute=True):
        # Minutes later, the outbox sweep sends the acknowledgement as it stands (no signposting yet)...
        assert outbound_email_requeue_stale(now=timezone.now() + dt.timedelta(minutes=3)) == 1
        # ...and the follow-up, when it comes, neither rewrites it nor sends it again.
        reminders_send()
    assert len(outbox) == 1
    assert "Funding calls this quarter" not in outbox[0].body
    assert _acknowledgement(draft).status == OutboundEmail.Status.SENT


@pytest.mark.django_db
def test_the_submit_writes_the_same_search_document_as_inquiry_index_text(submitter, hub):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the search document is PostgreSQL's")
    draft = DraftFactory(submitter=submitter, hub=hub, title="Falls sensor for care homes",
                         evidence="A pilot in Poole")
    services.inquiry_submit(inquiry=draft, by=submitter)
    written = Inquiry.objects.values_list("search_vector", flat=True).get(pk=draft.pk)
    services.inquiry_index_text(inquiry=draft)
    assert written
    assert Inquiry.objects.values_list("search_vector", flat=True).get(pk=draft.pk) == written
