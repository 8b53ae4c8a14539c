import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hubportal.digests import digest_period, digests_send, unsubscribe_url
from hubportal.models import HubMembership, OutboundEmail, User
from intake import services
from intake.models import Inquiry
from tests.factories import DraftFactory, UserFactory

MONDAY = dt.date(2026, 11, 23)


def submit_during_last_week(hub, **answers):
    draft = DraftFactory(hub=hub, **answers)
    with time_machine.travel(timezone.make_aware(dt.datetime(2026, 11, 18, 11, 0)), tick=False):
        return services.inquiry_submit(inquiry=draft, by=draft.submitter)


def test_the_weekly_period_is_the_seven_days_before_today_and_named_by_its_iso_week():
    period = digest_period("weekly", MONDAY)
    assert (period.start.date(), period.end.date(), period.key) == (dt.date(2026, 11, 16), MONDAY, "2026-W47")
    daily = digest_period("daily", MONDAY)
    assert (daily.start.date(), daily.key) == (dt.date(2026, 11, 22), "2026-11-22")


@pytest.mark.django_db
def test_hub_staff_get_a_weekly_digest_with_the_figures_and_links(
        hub, hub_lead, outbox, django_capture_on_commit_callbacks):
    inquiry = submit_during_last_week(hub, title="Sepsis screening app")
    with django_capture_on_commit_callbacks(execute=True):
        sent = digests_send(frequency="weekly", today=MONDAY)
    assert [(audience, user) for audience, user, _ in sent] == [("staff", hub_lead)]
    message = outbox[0]
    assert message.to == [hub_lead.email]
    assert message.subject.startswith("Your weekly innovation hub digest")
    assert "New inquiries: 1" in message.body
    assert f"{inquiry.reference}: Sepsis screening app" in message.body
    html = message.alternatives[0][0]
    assert "Sepsis screening app" in html and "/staff/dorset/" in html
    assert message.extra_headers["List-Unsubscribe"].startswith("<http://testserver/digests/unsubscribe/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.reply_to == [hub.email]


@pytest.mark.django_db
def test_a_sensitive_hub_sends_counts_and_links_only(hub, hub_lead, outbox, django_capture_on_commit_callbacks):
    hub.is_sensitive = True
    hub.save()
    submit_during_last_week(hub, title="Sepsis screening app")
    with django_capture_on_commit_callbacks(execute=True):
        digests_send(frequency="weekly", today=MONDAY)
    assert "New inquiries: 1" in outbox[0].body
    assert "Sepsis" not in outbox[0].body and "Sepsis" not in outbox[0].alternatives[0][0]


@pytest.mark.django_db
def test_no_digest_is_sent_when_there_is_nothing_to_say(hub, hub_lead, outbox):
    assert digests_send(frequency="weekly", today=MONDAY) == []
    assert OutboundEmail.objects.count() == 0


@pytest.mark.django_db
def test_running_a_period_twice_sends_nothing_new(hub, hub_lead, outbox, django_capture_on_commit_callbacks):
    submit_during_last_week(hub)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests", "--frequency", "weekly", "--date", MONDAY.isoformat())
        call_command("send_digests", "--frequency", "weekly", "--date", MONDAY.isoformat())
    assert len([m for m in outbox if "digest" in m.subject]) == 1


@pytest.mark.django_db
def test_each_person_gets_the_frequency_they_chose(hub, hub_lead, hub_member, outbox):
    User.objects.filter(pk=hub_member.pk).update(digest_frequency="daily")
    submit_during_last_week(hub)
    weekly = {user for _, user, _ in digests_send(frequency="weekly", today=MONDAY, dry_run=True)}
    assert weekly == {hub_lead}
    draft = DraftFactory(hub=hub)
    services.inquiry_submit(inquiry=draft, by=draft.submitter)
    daily = {user for _, user, _ in digests_send(frequency="daily", today=timezone.localdate() + dt.timedelta(days=1),
                                                 dry_run=True)}
    assert daily == {hub_member}


@pytest.mark.django_db
def test_submitters_who_opt_in_get_a_weekly_note_of_what_changed_without_content(
        hub, hub_lead, submitter, outbox, django_capture_on_commit_callbacks):
    inquiry = submit_during_last_week(hub, submitter=submitter, title="Private idea")
    User.objects.filter(pk=submitter.pk).update(digest_frequency="weekly")
    with django_capture_on_commit_callbacks(execute=True):
        digests_send(frequency="weekly", today=MONDAY)
    mine = [m for m in outbox if m.to == [submitter.email]]
    assert len(mine) == 1
    assert inquiry.reference in mine[0].body
    assert "Inquiry sent to the hub" in mine[0].body
    assert "Private idea" not in mine[0].body


@pytest.mark.django_db
def test_one_click_unsubscribe_stops_digests(client, hub_lead):
    url = unsubscribe_url(hub_lead).replace("http://testserver", "")
    page = client.get(url)
    assert "Stop sending you digest emails?" in page.content.decode()
    assert User.objects.get(pk=hub_lead.pk).digest_frequency == ""
    response = client.post(url, {"List-Unsubscribe": "One-Click"})  # what a mail client sends, no CSRF token
    assert response.status_code == 200
    assert User.objects.get(pk=hub_lead.pk).digest_frequency == "none"


@pytest.mark.django_db
def test_a_tampered_unsubscribe_link_does_nothing(client, hub_lead, other_hub_lead):
    url = unsubscribe_url(hub_lead).replace("http://testserver", "")
    tampered = url[:-3] + ("aaa/" if not url.endswith("aaa/") else "bbb/")
    assert client.post(tampered).status_code == 404
    assert User.objects.get(pk=hub_lead.pk).digest_frequency == ""


@pytest.mark.django_db
def test_the_account_page_saves_the_digest_preference(lead_client, hub_lead):
    response = lead_client.post(reverse("hubportal:account"), {"digest_frequency": "daily"})
    assert response.status_code == 302
    assert User.objects.get(pk=hub_lead.pk).digest_frequency == "daily"
    bad = lead_client.post(reverse("hubportal:account"), {"digest_frequency": "hourly"})
    assert "Select one of the options" in bad.content.decode()


@pytest.mark.django_db
def test_a_submitter_can_only_choose_weekly_or_none(submitter_client, submitter):
    response = submitter_client.post(reverse("hubportal:account"), {"digest_frequency": "daily"})
    assert response.status_code == 400
    submitter_client.post(reverse("hubportal:account"), {"digest_frequency": "weekly"})
    assert User.objects.get(pk=submitter.pk).digest_frequency == "weekly"


@pytest.mark.django_db
def test_the_account_page_needs_sign_in(client):
    assert client.get(reverse("hubportal:account"))["Location"].startswith("/sign-in/")


def _staff(hub, n):
    people = [UserFactory() for _ in range(n)]
    HubMembership.objects.bulk_create(HubMembership(hub=hub, user=p) for p in people)
    return people


@pytest.mark.django_db
def test_a_digest_run_costs_a_bounded_number_of_queries_per_recipient(hub, other_hub):
    _staff(hub, 5)
    _staff(other_hub, 5)
    for h in (hub, other_hub):
        submit_during_last_week(h)
    with CaptureQueriesContext(connection) as small:
        assert len(digests_send(frequency="weekly", today=MONDAY)) == 10
    OutboundEmail.objects.all().delete()
    _staff(hub, 20)
    _staff(other_hub, 20)
    with CaptureQueriesContext(connection) as large:
        assert len(digests_send(frequency="weekly", today=MONDAY)) == 50
    per_extra_recipient = (len(large) - len(small)) / 40
    # The outbox row's get_or_create (select, savepoint, insert, release); nothing that grows with data.
    assert per_extra_recipient <= 4, per_extra_recipient
    assert Inquiry.objects.count() == 2
