"""The one emailed-link flow (hubportal.links), as submitters and partner contacts meet it."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from hubportal import links
from hubportal.models import EmailLink, HubMembership, User
from hubportal.testing import sign_in_staff

SUBMITTER = {"ask": "/sign-in/", "email": "jo.bloggs@nhs.net", "purpose": "sign_in",
             "link": re.compile(r"http://testserver(/sign-in/link/[^/\s]+/)")}
PARTNER = {"ask": "/partner/sign-in/", "email": "priya@wessex.example.org", "purpose": "partner_sign_in",
           "link": re.compile(r"http://testserver(/partner/sign-in/link/[^/\s]+/)")}


@pytest.fixture(params=["submitter", "partner"])
def actor(request, partner_contact):
    return {"submitter": SUBMITTER, "partner": PARTNER}[request.param]


def _emailed_link(client, actor, outbox, capture):
    with capture(execute=True):
        client.post(actor["ask"], {"email": actor["email"]})
    return actor["link"].search(outbox[-1].body).group(1)


def test_every_emailed_link_purpose_is_registered_with_one_flow():
    assert {"sign_in", "partner_sign_in", "staff_invitation"} <= set(links.FLOWS)
    assert all(flow.purpose == purpose for purpose, flow in links.FLOWS.items())


@pytest.mark.django_db
def test_it_answers_a_bad_address_with_400_for_every_actor(client, actor):
    response = client.post(actor["ask"], {"email": "not an address"})
    assert response.status_code == 400
    assert 'value="not an address"' in response.content.decode()
    assert EmailLink.objects.count() == 0


@pytest.mark.django_db
def test_it_limits_every_actor_per_address_with_429(client, actor, settings):
    settings.SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR = 1
    assert client.post(actor["ask"], {"email": actor["email"]}).status_code == 302
    response = client.post(actor["ask"], {"email": actor["email"]})
    assert response.status_code == 429
    assert "Too many sign-in links" in response.content.decode()
    assert EmailLink.objects.filter(purpose=actor["purpose"]).count() == 1


@pytest.mark.django_db
def test_it_refuses_unknown_expired_and_used_links_alike_for_every_actor(
        client, actor, outbox, django_capture_on_commit_callbacks):
    path = _emailed_link(client, actor, outbox, django_capture_on_commit_callbacks)
    made_up = re.sub(r"/link/[^/]+/", "/link/made-up/", path)
    assert client.post(made_up).status_code == 404
    EmailLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(path).status_code == 410
    assert client.post(path).status_code == 410
    EmailLink.objects.update(expires_at=timezone.now() + timedelta(minutes=5))
    assert client.post(path).status_code == 302
    assert client.post(path).status_code == 410
    assert EmailLink.objects.filter(used_at__isnull=False).count() == 1


@pytest.mark.django_db
def test_using_a_link_gives_a_new_session_id_for_every_actor(client, actor, outbox,
                                                             django_capture_on_commit_callbacks):
    path = _emailed_link(client, actor, outbox, django_capture_on_commit_callbacks)
    client.get(path)
    before = client.session.session_key
    assert before
    client.post(path)
    after = client.session.session_key
    assert after and after != before
    # The old id no longer names a session at all.
    from django.contrib.sessions.backends.db import SessionStore
    assert not SessionStore().exists(before)


@pytest.mark.django_db
def test_a_link_is_bound_to_its_purpose(client, partner_contact, outbox, django_capture_on_commit_callbacks):
    path = _emailed_link(client, PARTNER, outbox, django_capture_on_commit_callbacks)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    assert client.post(f"/sign-in/link/{token}/").status_code == 404
    assert client.post(f"/staff/invitation/link/{token}/").status_code == 404
    assert EmailLink.objects.get().used_at is None


# --- A staff member's address on the submitters' link ---------------------------------------------

@pytest.mark.django_db
def test_a_submitter_link_for_a_staff_address_signs_nobody_in_and_points_to_staff_sign_in(
        client, hub, hub_lead, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/sign-in/", {"email": hub_lead.email})
    path = SUBMITTER["link"].search(outbox[-1].body).group(1)
    response = client.post(path)
    assert response.status_code == 403
    body = response.content.decode()
    assert "Hub staff sign in with a password and code" in body and "/staff/sign-in/" in body
    assert "_auth_user_id" not in client.session
    assert EmailLink.objects.get().used_at is None  # refused inside the transaction: nothing used
    assert client.get(f"/staff/{hub.slug}/").status_code == 302
    assert client.get(f"/staff/{hub.slug}/emails/").status_code == 302


@pytest.mark.django_db
def test_staff_pages_refuse_a_session_without_the_second_factor(client, hub, hub_lead):
    client.force_login(hub_lead)  # what an emailed link alone would have made
    for url in (f"/staff/{hub.slug}/", f"/staff/{hub.slug}/emails/", f"/staff/{hub.slug}/referrals/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "sign-in" in response["Location"] or "login" in response["Location"], url


@pytest.mark.django_db
def test_someone_who_becomes_staff_after_signing_up_as_a_submitter_must_use_staff_sign_in(
        client, hub, outbox, django_capture_on_commit_callbacks):
    user = User.objects.create_user("new.member@nhs.net")
    HubMembership.objects.create(hub=hub, user=user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/sign-in/", {"email": user.email})
    assert client.post(SUBMITTER["link"].search(outbox[-1].body).group(1)).status_code == 403
    assert "_auth_user_id" not in client.session
    sign_in_staff(client, user)
    assert client.get("/inquiries/").status_code == 200  # a staff session reaches their own inquiries
