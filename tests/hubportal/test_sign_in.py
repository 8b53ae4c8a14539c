import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from hubportal.models import EmailLink, OutboundEmail, User, hash_token

SIGN_IN = "/sign-in/"


def _ask(client, email, **extra):
    return client.post(SIGN_IN, {"email": email, **extra})


def _link_from(message):
    return re.search(r"http://testserver(/sign-in/link/[^/\s]+/)", message.body).group(1)


@pytest.mark.django_db
def test_it_emails_a_link_and_shows_check_your_email(client, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _ask(client, "Jo.Bloggs@NHS.net")
    assert response.status_code == 302
    assert response["Location"] == reverse("hubportal:sign_in_sent")
    page = client.get(response["Location"])
    assert "Check your email" in page.content.decode()
    assert "jo.bloggs@nhs.net" in page.content.decode()
    assert len(outbox) == 1
    assert outbox[0].to == ["jo.bloggs@nhs.net"]
    assert "/sign-in/link/" in outbox[0].body
    assert "/sign-in/link/" in outbox[0].alternatives[0][0]


@pytest.mark.django_db
def test_it_answers_the_same_whether_or_not_the_address_is_known(client, submitter, outbox,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = _ask(client, submitter.email)
        unknown = _ask(client, "nobody.yet@nhs.net")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(outbox) == 2
    # No account is made for an address until its link is used.
    assert not User.objects.filter(email="nobody.yet@nhs.net").exists()


@pytest.mark.django_db
def test_it_stores_only_a_hash_of_the_token(client, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _ask(client, "jo.bloggs@nhs.net")
    raw = _link_from(outbox[0]).split("/")[-2]
    link = EmailLink.objects.get()
    assert link.token_hash == hash_token(raw)
    assert raw not in link.token_hash
    # The outbox row no longer holds the link once the email has gone.
    assert OutboundEmail.objects.get().context == {}


@pytest.mark.django_db
def test_it_refuses_an_address_outside_the_allowed_domains(client, outbox):
    response = _ask(client, "someone@gmail.com")
    # 400 for a bad address, as on the partner sign-in (one flow, hubportal.links).
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter an NHS email address" in body
    assert 'value="someone@gmail.com"' in body  # what they typed is kept
    assert EmailLink.objects.count() == 0
    assert outbox == []


@pytest.mark.django_db
def test_it_accepts_subdomains_of_an_allowed_domain(client):
    assert _ask(client, "a.person@dchft.nhs.uk").status_code == 302
    assert _ask(client, "a.person@evil-nhs.uk").status_code == 400


@pytest.mark.django_db
def test_any_domain_is_allowed_when_configured_with_a_star(client, settings):
    settings.SUBMITTER_EMAIL_DOMAINS = ["*"]
    assert _ask(client, "someone@example.com").status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("value, message", [
    ("", "Enter your work email address"),
    ("not-an-email", "Enter an email address in the correct format"),
])
def test_it_says_what_is_wrong_with_the_address(client, value, message):
    response = _ask(client, value)
    body = response.content.decode()
    assert message in body
    assert "There is a problem" in body
    assert "<title>Error:" in body


@pytest.mark.django_db
def test_it_limits_links_per_address(client, settings, outbox, django_capture_on_commit_callbacks):
    settings.SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR = 2
    with django_capture_on_commit_callbacks(execute=True):
        assert _ask(client, "jo.bloggs@nhs.net").status_code == 302
        assert _ask(client, "jo.bloggs@nhs.net").status_code == 302
        refused = _ask(client, "jo.bloggs@nhs.net")
    assert refused.status_code == 429
    assert "Too many sign-in links" in refused.content.decode()
    assert EmailLink.objects.count() == 2
    assert len(outbox) == 2


@pytest.mark.django_db
def test_it_limits_links_per_ip_address_across_addresses(client, settings):
    settings.SIGN_IN_LINKS_PER_IP_PER_HOUR = 2
    assert _ask(client, "a@nhs.net").status_code == 302
    assert _ask(client, "b@nhs.net").status_code == 302
    assert _ask(client, "c@nhs.net").status_code == 429
    assert EmailLink.objects.count() == 2


@pytest.fixture
def emailed_link(client, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _ask(client, "jo.bloggs@nhs.net", next="/inquiries/new/")
    return _link_from(outbox[0])


@pytest.mark.django_db
def test_opening_the_link_does_not_use_it(client, emailed_link):
    page = client.get(emailed_link)
    assert page.status_code == 200
    assert "Continue to sign in" in page.content.decode()
    assert EmailLink.objects.get().used_at is None
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_confirmation_post_signs_in_and_goes_where_the_person_was_going(client, emailed_link):
    response = client.post(emailed_link)
    assert response.status_code == 302
    assert response["Location"] == "/inquiries/new/"
    user = User.objects.get(email="jo.bloggs@nhs.net")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert not user.has_usable_password()
    assert EmailLink.objects.get().used_at is not None


@pytest.mark.django_db
def test_a_link_works_once(client, emailed_link):
    client.post(emailed_link)
    client.logout()
    again = client.post(emailed_link)
    assert again.status_code == 410
    body = again.content.decode()
    assert "This link has already been used" in body
    assert "Email me a new link" in body
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_expired_link_says_so_and_offers_a_new_one(client, emailed_link):
    EmailLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    for response in (client.get(emailed_link), client.post(emailed_link)):
        assert response.status_code == 410
        assert "This link has expired" in response.content.decode()
        assert "Email me a new link" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert EmailLink.objects.get().used_at is None


@pytest.mark.django_db
def test_a_made_up_link_is_refused(client):
    response = client.post("/sign-in/link/made-up-token/")
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()


@pytest.mark.django_db
def test_it_ignores_a_next_address_on_another_site(client, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _ask(client, "jo.bloggs@nhs.net", next="https://evil.example.com/")
    response = client.post(_link_from(outbox[0]))
    assert response["Location"] == reverse("intake:inquiry_list")


@pytest.mark.django_db
def test_signing_out_ends_the_session(submitter_client):
    response = submitter_client.post("/sign-out/")
    assert response.status_code == 200
    assert "_auth_user_id" not in submitter_client.session
    assert submitter_client.get("/inquiries/").status_code == 302
