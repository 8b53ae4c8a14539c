import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from hubportal.digests import digests_send, unsubscribe_url
from hubportal.models import Reminder
from hubportal.reminders import reminders_send
from hubportal.workdays import LONDON
from partners.models import PartnerContact
from signposting import services
from tests.partners.factories import PartnerContactFactory

MONDAY_NOV_2 = dt.datetime(2026, 11, 2, 10, 0, tzinfo=LONDON)


def at(day):
    return dt.datetime.combine(day, dt.time(9), tzinfo=LONDON)


@pytest.fixture
def referral(inquiry, partner, partner_contact, hub_lead):
    with time_machine.travel(MONDAY_NOV_2, tick=False):
        return services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)


@pytest.fixture
def colleague(partner):
    """A contact at the same partner who receives referrals but does not lead."""
    return PartnerContactFactory(partner=partner, name="Sam Lee", email="sam@wessex.example.org", is_lead=False)


@pytest.mark.django_db
def test_a_referral_plans_a_reminder_at_3_and_an_escalation_at_7_working_days(referral):
    planned = {r.stage: r.due_at.astimezone(LONDON).date()
               for r in Reminder.objects.filter(kind="referral.response")}
    assert planned == {"remind": dt.date(2026, 11, 5), "escalate": dt.date(2026, 11, 11)}


@pytest.mark.django_db
def test_the_partner_contacts_are_reminded_then_their_lead_and_the_hub_lead_told(
        referral, partner_contact, colleague, hub_lead, outbox, django_capture_on_commit_callbacks):
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(now=at(dt.date(2026, 11, 5)))
    assert sorted(m.to[0] for m in outbox) == sorted([colleague.email, partner_contact.email])
    assert all("is waiting for your answer" in m.subject for m in outbox)
    # No secure link in a reminder: it goes through partner sign-in.
    assert all("/partner/sign-in/?next=/partner/referrals/" in m.body for m in outbox)
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(now=at(dt.date(2026, 11, 11)))
    assert sorted(m.to[0] for m in outbox) == sorted([hub_lead.email, partner_contact.email])  # the lead, not Sam
    hub_email = next(m for m in outbox if m.to == [hub_lead.email])
    assert "has not answered the referral" in hub_email.subject
    assert f"/staff/dorset/inquiries/{referral.inquiry.reference}/" in hub_email.body


@pytest.mark.django_db
def test_no_reminder_once_the_partner_has_answered(referral, partner_contact, outbox,
                                                   django_capture_on_commit_callbacks):
    services.referral_view(referral=referral, contact=partner_contact)
    services.referral_accept(referral=referral, contact=partner_contact)
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        results = reminders_send(now=at(dt.date(2026, 11, 11)))
    assert {outcome for r, outcome in results if r.kind == "referral.response"} == {"no longer applies"}
    assert outbox == []


@pytest.mark.django_db
def test_partner_contacts_get_a_weekly_digest_of_referrals_waiting_and_overdue(
        referral, partner_contact, outbox, django_capture_on_commit_callbacks):
    monday_nov_16 = dt.datetime(2026, 11, 16, 7, 0, tzinfo=LONDON)
    # The clock stays on the 16th while the digests are sent after commit (an email is due when queued).
    with time_machine.travel(monday_nov_16, tick=False), django_capture_on_commit_callbacks(execute=True):
        sent = digests_send(frequency="weekly", today=monday_nov_16.date(), audiences=["partner"])
    assert [(audience, person) for audience, person, _ in sent] == [("partner", partner_contact)]
    [message] = [m for m in outbox if m.to == [partner_contact.email]]
    assert message.subject.startswith("Referrals waiting for Health Innovation Wessex: 1")
    assert referral.inquiry.reference in message.body
    assert "OVERDUE" in message.body  # sent on 2 November: past the 5-working-day target by the 16th
    assert "Virtual ward pilot" not in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.django_db
def test_a_partner_contact_unsubscribes_from_the_digest_in_one_click(client, referral, partner_contact):
    url = unsubscribe_url(partner_contact, "partner").replace("http://testserver", "")
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert PartnerContact.objects.get(pk=partner_contact.pk).receives_digest is False
    assert digests_send(frequency="weekly", today=timezone.localdate(), audiences=["partner"], dry_run=True) == []


@pytest.mark.django_db
def test_no_partner_digest_when_nothing_is_waiting(partner_contact):
    assert digests_send(frequency="weekly", today=timezone.localdate(), audiences=["partner"], dry_run=True) == []


@pytest.mark.django_db
def test_an_unsubscribe_link_for_a_partner_contact_never_touches_a_user_with_the_same_id(
        client, referral, partner_contact, hub_lead):
    url = unsubscribe_url(partner_contact, "partner").replace("http://testserver", "")
    client.post(url)
    hub_lead.refresh_from_db()
    assert hub_lead.digest_frequency == ""
    assert reverse("hubportal:account")  # the account page still governs users' digests


@pytest.mark.django_db
def test_a_partner_contact_turns_the_weekly_email_off_and_on_from_their_page(partner_client, partner_contact):
    home = partner_client.get(reverse("signposting:partner_home")).content.decode()
    assert 'id="digest-yes" name="receives_digest" type="radio" value="yes" checked' in home
    response = partner_client.post(reverse("partners:digest_choice"), {"receives_digest": "no"}, follow=True)
    assert "We will not send you the weekly email" in response.content.decode()
    assert PartnerContact.objects.get(pk=partner_contact.pk).receives_digest is False
    partner_client.post(reverse("partners:digest_choice"), {"receives_digest": "maybe"})
    assert PartnerContact.objects.get(pk=partner_contact.pk).receives_digest is False
    partner_client.post(reverse("partners:digest_choice"), {"receives_digest": "yes"})
    assert PartnerContact.objects.get(pk=partner_contact.pk).receives_digest is True


@pytest.mark.django_db
def test_someone_not_signed_in_as_a_partner_cannot_change_a_digest(submitter_client, partner_contact):
    anonymous = submitter_client.__class__()
    for visitor in (anonymous, submitter_client):
        response = visitor.post(reverse("partners:digest_choice"), {"receives_digest": "no"})
        assert response.status_code == 302
        assert response["Location"].startswith("/partner/sign-in/")
    assert PartnerContact.objects.get(pk=partner_contact.pk).receives_digest is True
