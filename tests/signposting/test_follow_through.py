"""Partners who said yes are followed through: progress updates at the hub's interval, chased once, then
the hub leads told; a partner may hand a referral back, and the hub may refer it elsewhere."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from hubportal.models import OutboundEmail, Reminder
from hubportal.reminders import reminders_send
from hubportal.workdays import LONDON
from intake.models import InquiryEvent
from signposting import lifecycle, services
from signposting.models import Referral, ReferralProgress
from tests.partners.conftest import sign_in_partner

MONDAY = dt.datetime(2026, 11, 2, 10, 0, tzinfo=LONDON)


def at(day, hour=9):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


@pytest.fixture
def accepted(inquiry, partner, partner_contact, hub_lead):
    with time_machine.travel(MONDAY, tick=False):
        referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
        return services.referral_accept(referral=referral, contact=partner_contact)


@pytest.mark.django_db
def test_accepting_plans_the_first_progress_request_at_the_hubs_interval(accepted):
    request = Reminder.objects.get(kind="referral.progress")
    # 30 days after Monday 2 November is Wednesday 2 December.
    assert (request.stage, request.due_at) == ("request-1", at(dt.date(2026, 12, 2)))


@pytest.mark.django_db
def test_the_interval_is_the_hubs_own(hub, inquiry, partner, partner_contact, hub_lead):
    hub.partner_progress_interval_days = 14
    hub.save()
    with time_machine.travel(MONDAY, tick=False):
        referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
        services.referral_accept(referral=referral, contact=partner_contact)
    assert Reminder.objects.get(kind="referral.progress").due_at == at(dt.date(2026, 11, 16))


@pytest.mark.django_db
def test_the_partner_is_asked_once_chased_once_and_then_the_hub_leads_are_told(
        accepted, partner_contact, hub_lead, outbox, django_capture_on_commit_callbacks):
    outbox.clear()
    with time_machine.travel(at(dt.date(2026, 12, 2), 10), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        asked = reminders_send()
        reminders_send(now=at(dt.date(2026, 12, 2), 11))
    assert [o for r, o in asked if r.kind == "referral.progress"] == ["asked for update 1"]
    progress = ReferralProgress.objects.get(referral=accepted)
    assert (progress.number, progress.answered_at) == (1, None)
    assert [m.to for m in outbox] == [[partner_contact.email]]
    assert outbox[0].subject == ("How is the referral of DOR-2026-00001 going? A progress update for "
                                 "Dorset Innovation Hub")
    assert f"/partner/referrals/{accepted.public_id}/link/" in outbox[0].body
    assert f"/partner/referrals/{accepted.public_id}/link/" in outbox[0].alternatives[0][0]
    # The emailed link opens the one-page progress update.
    link = re.search(r"(/partner/referrals/[^/]+/link/[^/\s]+/)", outbox[0].body).group(1)
    with time_machine.travel(at(dt.date(2026, 12, 2), 12), tick=False):
        opened = Client().post(link)
    assert opened.status_code == 302
    assert opened["Location"] == reverse("signposting:referral_progress", args=[accepted.public_id])
    # The next request is planned an interval after this one; the chase 5 working days on, then the leads 5 more.
    planned = {(r.kind, r.stage): r.due_at.date() for r in Reminder.objects.filter(done_at__isnull=True)}
    assert planned[("referral.progress", "request-2")] == dt.date(2027, 1, 4)  # 1 January is a bank holiday
    assert planned[("referral.progress_chase", "chase")] == dt.date(2026, 12, 9)
    assert planned[("referral.progress_chase", "escalate")] == dt.date(2026, 12, 16)
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        chase = reminders_send(now=at(dt.date(2026, 12, 9), 10))
        escalate = reminders_send(now=at(dt.date(2026, 12, 16), 10))
        reminders_send(now=at(dt.date(2026, 12, 17), 10))
    assert [o for _, o in chase] == ["sent to 1"] and [o for _, o in escalate] == ["sent to 1"]
    assert [m.to for m in outbox] == [[partner_contact.email], [hub_lead.email]]
    assert outbox[0].subject.startswith("Reminder: How is the referral")
    assert outbox[1].subject == "No progress update from Health Innovation Wessex on DOR-2026-00001"


@pytest.mark.django_db
def test_a_progress_update_answers_the_request_and_stops_its_chase(
        accepted, partner_contact, client, outbox, django_capture_on_commit_callbacks):
    with time_machine.travel(at(dt.date(2026, 12, 2), 10), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        reminders_send(now=at(dt.date(2026, 12, 2), 10))
    url = reverse("signposting:referral_progress", args=[accepted.public_id])
    # The partner signs in and answers that afternoon: the next request is planned from then.
    with time_machine.travel(at(dt.date(2026, 12, 2), 15), tick=False):
        sign_in_partner(client, partner_contact.email)
        assert client.get(url).status_code == 200
        bad = client.post(url, {"note": "", "expected_outcome_on": "2020-01-01"})
        assert bad.status_code == 400
        assert "Enter a short note on how it is going" in bad.content.decode()
        assert client.post(url, {"note": "Evaluation plan agreed", "milestone_reached": "Plan signed",
                                 "expected_outcome_on": "2099-03-01"}).status_code == 302
    progress = ReferralProgress.objects.get(referral=accepted)
    assert (progress.note, progress.milestone_reached, progress.expected_outcome_on, progress.answered_by) == (
        "Evaluation plan agreed", "Plan signed", dt.date(2099, 3, 1), partner_contact)
    assert accepted.inquiry.events.filter(kind=InquiryEvent.Kind.REFERRAL_PROGRESS).count() == 1
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(now=at(dt.date(2026, 12, 20), 10)) == []
    assert outbox == []


@pytest.mark.django_db
def test_the_partner_hands_the_referral_back_and_the_hub_is_told_once_on_commit_and_may_refer_elsewhere(
        accepted, partner_contact, other_partner, other_partner_contact, hub_lead, client, outbox,
        django_capture_on_commit_callbacks):
    sign_in_partner(client, partner_contact.email)
    url = reverse("signposting:referral_hand_back", args=[accepted.public_id])
    refused = client.post(url, {"reason": "no_capacity", "details": ""})
    assert refused.status_code == 400 and "Tell the hub why" in refused.content.decode()
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url, {"reason": "no_capacity", "details": "Our evaluator left"})
    assert response.status_code == 302
    assert len(callbacks) == 1
    accepted.refresh_from_db()
    assert (accepted.status, accepted.hand_back_reason, accepted.hand_back_details, accepted.handed_back_by) == (
        "handed_back", "no_capacity", "Our evaluator left", partner_contact)
    assert [m.to for m in outbox] == [[hub_lead.email]]
    assert outbox[0].subject == "Health Innovation Wessex handed back the referral of DOR-2026-00001"
    assert "We do not have capacity at the moment" in outbox[0].body
    assert OutboundEmail.objects.filter(template="referral_handed_back").count() == 1
    assert Reminder.objects.get(kind="referral.progress").outcome == "cancelled"
    assert not accepted.shares_inquiry
    assert "reroute" in lifecycle.referral_hub_actions(accepted, can_refer=True)
    rerouted = services.referral_reroute(referral=accepted, partner=other_partner, by=hub_lead)
    assert rerouted.rerouted_from == accepted
    # Handing back twice is refused by the table.
    with pytest.raises(services.ReferralTransitionNotAllowed):
        services.referral_hand_back(referral=accepted, contact=partner_contact, reason="other", details="x")


@pytest.mark.django_db
def test_only_an_accepted_referral_can_be_handed_back_or_updated(inquiry, partner, partner_contact, hub_lead):
    referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    assert "hand_back" not in lifecycle.referral_partner_actions(referral)
    with pytest.raises(services.ReferralTransitionNotAllowed):
        services.referral_hand_back(referral=referral, contact=partner_contact, reason="other", details="x")
    with pytest.raises(services.ReferralTransitionNotAllowed):
        services.referral_progress_record(referral=referral, contact=partner_contact, note="x")
    assert Referral.objects.get(pk=referral.pk).status == "sent"


@pytest.mark.django_db
def test_no_progress_request_goes_once_the_referral_is_completed(
        accepted, partner_contact, outbox, django_capture_on_commit_callbacks):
    services.referral_complete(referral=accepted, contact=partner_contact, outcome="support_given")
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        results = reminders_send(now=at(dt.date(2026, 12, 2), 10))
    assert [o for r, o in results if r.kind == "referral.progress"] == ["no longer applies"]
    assert outbox == [] and not ReferralProgress.objects.exists()


@pytest.mark.django_db
def test_the_inquiry_page_shows_the_hand_back_and_the_progress_updates(
        accepted, partner_contact, lead_client):
    services.referral_progress_record(referral=accepted, contact=partner_contact, note="Plan agreed",
                                      milestone_reached="Kick-off held")
    services.referral_hand_back(referral=accepted, contact=partner_contact, reason="no_capacity",
                                details="Evaluator left")
    body = lead_client.get(reverse("intake:staff_inquiry", args=["dorset", "DOR-2026-00001"])).content.decode()
    assert "Handed back" in body and "We do not have capacity at the moment (Evaluator left)" in body
    assert "Progress" in body and "Plan agreed" in body and "Milestone: Kick-off held" in body
    assert "Re-route" in body


@pytest.mark.django_db
def test_a_progress_update_records_in_kind_support_for_the_value_report(accepted, partner_contact, client):
    sign_in_partner(client, partner_contact.email)
    url = reverse("signposting:referral_progress", args=[accepted.public_id])
    bad = client.post(url, {"note": "Going well", "in_kind_hours": "-3", "in_kind_value": "lots"})
    assert bad.status_code == 400
    assert "Hours must be 0 or more" in bad.content.decode()
    assert "Enter the value in pounds as a number, like 1500" in bad.content.decode()
    assert not ReferralProgress.objects.filter(referral=accepted, answered_at__isnull=False).exists()
    assert client.post(url, {"note": "Going well", "in_kind_hours": "12.5", "in_kind_value": "1500",
                             "in_kind_description": "Evaluation support"}).status_code == 302
    progress = ReferralProgress.objects.get(referral=accepted)
    assert (progress.in_kind_hours, progress.in_kind_value, progress.in_kind_description) == (
        Decimal("12.5"), Decimal("1500"), "Evaluation support")
