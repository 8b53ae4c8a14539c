"""The partner's secure link: single use, expiring, hashed, bound to one referral and one contact."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hubportal.models import EmailLink
from signposting import services
from signposting.models import Referral
from tests.factories import SubmittedFactory

from .helpers import emails_to, referral_link_path


@pytest.fixture
def referral(inquiry, partner, partner_contact, hub_lead, django_capture_on_commit_callbacks, outbox):
    with django_capture_on_commit_callbacks(execute=True):
        return services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead, message="Please evaluate")


@pytest.fixture
def link_path(referral):
    return referral_link_path("priya@wessex.example.org")


@pytest.mark.django_db
def test_opening_the_link_shows_a_button_and_uses_nothing(client, referral, link_path):
    response = client.get(link_path)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Open the referral from Dorset Innovation Hub" in body
    assert "DOR-2026-00001" in body and "priya@wessex.example.org" in body
    assert "Virtual ward pilot" not in body  # nothing of the inquiry before the button
    assert EmailLink.objects.filter(purpose="referral", used_at__isnull=False).count() == 0
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT


@pytest.mark.django_db
def test_the_button_uses_the_link_marks_it_viewed_and_shows_the_referral(client, referral, link_path):
    response = client.post(link_path)
    assert response.status_code == 302
    assert response["Location"] == f"/partner/referrals/{referral.public_id}/"
    referral.refresh_from_db()
    assert referral.status == Referral.Status.VIEWED
    assert EmailLink.objects.get(email="priya@wessex.example.org").used_at is not None
    page = client.get(response["Location"]).content.decode()
    assert "Virtual ward pilot" in page and "Please evaluate" in page
    assert "Accept the referral" in page


@pytest.mark.django_db
def test_a_link_used_twice_is_refused_with_a_way_to_get_a_new_one(client, referral, link_path, outbox,
                                                                  django_capture_on_commit_callbacks):
    client.post(link_path)
    again = client.post(link_path)
    assert again.status_code == 410
    body = again.content.decode()
    assert "This link has already been used" in body and "Email me a new link" in body
    assert "Virtual ward pilot" not in body
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        renewed = client.post(link_path + "new/")
    assert renewed.status_code == 200
    assert "we have emailed a new link to the address the referral was sent to" in renewed.content.decode()
    [message] = outbox
    assert message.to == ["priya@wessex.example.org"]
    assert message.subject == "A new link to referral DOR-2026-00001"
    new_path = referral_link_path("priya@wessex.example.org")
    assert new_path != link_path
    assert client.get(new_path).status_code == 200


@pytest.mark.django_db
def test_an_expired_link_is_refused(client, referral, link_path):
    EmailLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(link_path)
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT
    assert client.get(f"/partner/referrals/{referral.public_id}/").status_code == 302  # to sign in


@pytest.mark.django_db
def test_a_link_for_another_referral_is_refused_and_stays_unused(client, referral, link_path, partner, hub_lead,
                                                                 submitter, hub):
    other_inquiry = SubmittedFactory(submitter=submitter, hub=hub, reference="DOR-2026-00002", title="Secret plan")
    other = services.referral_send(inquiry=other_inquiry, partner=partner, by=hub_lead)
    token = link_path.rstrip("/").split("/")[-1]
    wrong = f"/partner/referrals/{other.public_id}/link/{token}/"
    for method in ("get", "post"):
        response = getattr(client, method)(wrong)
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()
        assert "Secret plan" not in response.content.decode()
    assert EmailLink.objects.filter(used_at__isnull=False).count() == 0
    other.refresh_from_db()
    assert other.status == Referral.Status.SENT
    assert client.get(f"/partner/referrals/{other.public_id}/").status_code == 302
    # A new link is never sent for a mismatched one.
    assert services.referral_link_renew(raw_token=token, referral_public_id=other.public_id) is None


@pytest.mark.django_db
def test_a_made_up_token_is_refused_as_unknown(client, referral):
    response = client.get(f"/partner/referrals/{referral.public_id}/link/not-a-real-token/")
    assert response.status_code == 404
    assert "Email me a new link" not in response.content.decode()
    assert client.post(f"/partner/referrals/{referral.public_id}/link/not-a-real-token/new/").status_code == 200
    assert EmailLink.objects.count() == 1


@pytest.mark.django_db
def test_a_link_stops_working_when_its_contact_is_made_inactive(client, referral, link_path, partner_contact):
    partner_contact.is_active = False
    partner_contact.save()
    assert client.post(link_path).status_code == 404
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT


@pytest.mark.django_db
def test_a_new_link_is_not_sent_while_the_old_one_works_or_once_the_referral_is_over(
        client, referral, link_path, partner_contact, outbox):
    token = link_path.rstrip("/").split("/")[-1]
    assert services.referral_link_renew(raw_token=token, referral_public_id=referral.public_id) is None
    client.post(link_path)
    services.referral_decline(referral=referral, contact=partner_contact, reason="out_of_scope")
    assert services.referral_link_renew(raw_token=token, referral_public_id=referral.public_id) is None


@pytest.mark.django_db
def test_new_links_are_limited_to_three_an_hour(client, referral, link_path):
    token = link_path.rstrip("/").split("/")[-1]
    client.post(link_path)
    sent = [services.referral_link_renew(raw_token=token, referral_public_id=referral.public_id) for _ in range(4)]
    # The first link counts towards the hour: two more, then no more.
    assert [bool(s) for s in sent] == [True, True, False, False]


@pytest.mark.django_db
def test_the_link_only_lets_this_browser_see_that_one_referral(client, referral, link_path, partner, hub_lead,
                                                               submitter, hub):
    other_inquiry = SubmittedFactory(submitter=submitter, hub=hub, reference="DOR-2026-00003", title="Another idea")
    other = services.referral_send(inquiry=other_inquiry, partner=partner, by=hub_lead)
    client.post(link_path)
    # Same organisation, but this browser only holds the link for the first referral and is not signed in.
    assert client.get(f"/partner/referrals/{other.public_id}/").status_code == 302
    assert client.get("/partner/").status_code == 302
    assert emails_to("priya@wessex.example.org")


@pytest.mark.django_db
def test_using_the_link_gives_this_browser_a_new_session_id(client, referral, link_path):
    from django.contrib.sessions.backends.db import SessionStore

    client.get(link_path)
    client.post("/sign-in/", {"email": "someone@nhs.net"})  # anything that starts a session first
    before = client.session.session_key
    assert before
    client.post(link_path)
    after = client.session.session_key
    assert after and after != before
    assert not SessionStore().exists(before)  # a planted id is worth nothing afterwards
    assert client.get(f"/partner/referrals/{referral.public_id}/").status_code == 200


@pytest.mark.django_db
def test_signing_out_as_a_partner_ends_the_grants_of_referral_links(client, referral, link_path):
    client.post(link_path)
    assert client.get(f"/partner/referrals/{referral.public_id}/").status_code == 200
    client.post("/partner/sign-out/")
    assert client.get(f"/partner/referrals/{referral.public_id}/").status_code == 302


def test_no_app_names_another_apps_session_key():
    """Each actor's session key is written and read only in its own home (DESIGN: who is acting)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    homes = {"partner_session": "partners/permissions.py", "referral_grants": "signposting/permissions.py",
             "staff_pending": "hubportal/staff_views.py", "email_link_sent": "hubportal/links.py"}
    for key, home in homes.items():
        users = sorted(str(path.relative_to(root)) for app in ("hubportal", "partners", "signposting", "intake")
                       for path in (root / app).rglob("*.py") if f'"{key}"' in path.read_text())
        assert users == [home], (key, users)


@pytest.mark.django_db
def test_a_partner_who_arrives_by_the_link_gets_the_signed_in_header(client, referral, link_path):
    client.post(link_path)
    page = client.get(f"/partner/referrals/{referral.public_id}/").content.decode()
    header = page[page.index('<header class="nhsuk-header"'):page.index("</header>")]
    assert "priya@wessex.example.org" in header
    assert "Your organisation's referrals" in header
    assert 'action="/partner/sign-out/"' in header
    assert ">\n                Sign in\n" not in header
