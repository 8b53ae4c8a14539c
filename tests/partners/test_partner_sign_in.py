"""Partner contacts sign in with an emailed link to see their organisation's referrals."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from hubportal.models import EmailLink
from partners.permissions import SESSION_KEY

SIGN_IN = "/partner/sign-in/"
LINK = re.compile(r"http://testserver(/partner/sign-in/link/[^/\s]+/)")


def _ask(client, email, capture):
    with capture(execute=True):
        return client.post(SIGN_IN, {"email": email})


def _link(message):
    path = LINK.search(message.body).group(1)
    assert path in message.alternatives[0][0]
    return path


@pytest.mark.django_db
def test_a_contact_is_emailed_a_link_that_signs_them_in(client, partner_contact, outbox,
                                                        django_capture_on_commit_callbacks):
    response = _ask(client, "Priya@Wessex.example.org", django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == "/partner/sign-in/check-your-email/"
    assert "priya@wessex.example.org" in client.get(response["Location"]).content.decode()
    [message] = outbox
    assert message.to == ["priya@wessex.example.org"]
    assert message.subject == "Your link to see your organisation's referrals"
    path = _link(message)

    confirm = client.get(path)
    assert confirm.status_code == 200 and "Continue to sign in" in confirm.content.decode()
    assert EmailLink.objects.get().used_at is None
    signed_in = client.post(path)
    assert signed_in.status_code == 302 and signed_in["Location"] == "/partner/"
    assert client.session[SESSION_KEY]["email"] == "priya@wessex.example.org"
    assert client.get("/partner/").status_code == 200


@pytest.mark.django_db
def test_an_unknown_address_gets_the_same_answer_and_no_email(client, partner_contact, outbox,
                                                              django_capture_on_commit_callbacks):
    known = _ask(client, "priya@wessex.example.org", django_capture_on_commit_callbacks)
    unknown = _ask(client, "nobody@example.org", django_capture_on_commit_callbacks)
    assert known["Location"] == unknown["Location"]
    assert [m.to for m in outbox] == [["priya@wessex.example.org"]]


@pytest.mark.django_db
def test_an_inactive_contact_is_not_emailed(client, partner_contact, outbox, django_capture_on_commit_callbacks):
    partner_contact.is_active = False
    partner_contact.save()
    _ask(client, partner_contact.email, django_capture_on_commit_callbacks)
    assert outbox == []


@pytest.mark.django_db
def test_a_bad_address_gets_a_specific_error(client):
    response = client.post(SIGN_IN, {"email": "not an address"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter an email address in the correct format, like name@example.org" in body
    assert 'value="not an address"' in body
    assert EmailLink.objects.count() == 0


@pytest.mark.django_db
def test_the_link_works_once(client, partner_contact, outbox, django_capture_on_commit_callbacks):
    _ask(client, partner_contact.email, django_capture_on_commit_callbacks)
    path = _link(outbox[0])
    client.post(path)
    again = client.post(path)
    assert again.status_code == 410
    assert "This link has already been used" in again.content.decode()


@pytest.mark.django_db
def test_an_expired_link_is_refused(client, partner_contact, outbox, django_capture_on_commit_callbacks):
    _ask(client, partner_contact.email, django_capture_on_commit_callbacks)
    EmailLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(_link(outbox[0]))
    assert response.status_code == 410 and "This link has expired" in response.content.decode()
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_a_link_is_refused_once_the_contact_is_made_inactive(client, partner_contact, outbox,
                                                             django_capture_on_commit_callbacks):
    _ask(client, partner_contact.email, django_capture_on_commit_callbacks)
    partner_contact.is_active = False
    partner_contact.save()
    response = client.post(_link(outbox[0]))
    assert response.status_code == 404
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_a_submitters_sign_in_link_does_not_sign_in_a_partner(client, partner_contact):
    from hubportal.services import email_link_create

    issued = email_link_create(purpose=EmailLink.Purpose.SIGN_IN, email=partner_contact.email)
    assert client.post(f"/partner/sign-in/link/{issued.raw_token}/").status_code == 404


@pytest.mark.django_db
def test_asking_too_often_is_refused(client, partner_contact, settings):
    settings.SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR = 2
    for _ in range(2):
        assert client.post(SIGN_IN, {"email": partner_contact.email}).status_code == 302
    response = client.post(SIGN_IN, {"email": partner_contact.email})
    assert response.status_code == 429 and "Too many sign-in links" in response.content.decode()


@pytest.mark.django_db
def test_signing_out_ends_the_partner_session(partner_client):
    assert partner_client.get("/partner/").status_code == 200
    response = partner_client.post("/partner/sign-out/")
    assert "You have signed out" in response.content.decode()
    assert partner_client.get("/partner/").status_code == 302


@pytest.mark.django_db
def test_a_partner_session_is_not_a_staff_or_submitter_session(partner_client):
    assert partner_client.get("/inquiries/").status_code == 302
    assert partner_client.get("/staff/dorset/referrals/").status_code == 302
