"""A staff account without an authenticator is entered only through an emailed invitation."""

import io
import re

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from hubportal.models import EmailLink, HubMembership, OutboundEmail, User
from hubportal.services import staff_device_reset, staff_invite
from tests.factories import UserFactory

from .test_staff_sign_in import PASSWORD, code_for, password_step

NEW_PASSWORD = "a-long-new-passphrase-for-staff"
LINK = re.compile(r"http://testserver(/staff/invitation/link/[^/\s]+/)")


@pytest.fixture
def new_lead(hub):
    user = UserFactory(email="lead@nhs.net")
    user.set_password(PASSWORD)  # e.g. set by an administrator in Django admin: not enough on its own
    user.save()
    HubMembership.objects.create(hub=hub, user=user, role=HubMembership.Role.LEAD)
    return user


def _invite(user, outbox, capture, **kwargs):
    with capture(execute=True):
        staff_invite(user=user, **kwargs)
    return LINK.search(outbox[-1].body).group(1)


@pytest.mark.django_db
def test_a_password_alone_cannot_set_up_an_authenticator(client, hub, new_lead):
    response = password_step(client)
    assert response.status_code == 200
    assert "Your staff sign-in is not set up" in response.content.decode()
    assert "staff_pending" not in client.session
    assert client.get("/staff/sign-in/set-up/")["Location"] == "/staff/sign-in/"
    assert not TOTPDevice.objects.filter(user=new_lead).exists()


@pytest.mark.django_db
def test_the_set_up_page_refuses_a_password_step_session(client, new_lead):
    """Even a session that somehow holds a passed password step gets no authenticator."""
    import time
    session = client.session
    session["staff_pending"] = {"user": new_lead.pk, "at": time.time(), "next": ""}
    session.save()
    assert client.get("/staff/sign-in/set-up/")["Location"] == "/staff/sign-in/"
    assert client.get("/staff/sign-in/password/")["Location"] == "/staff/sign-in/"
    assert not TOTPDevice.objects.filter(user=new_lead).exists()


@pytest.mark.django_db
def test_the_invitation_leads_to_a_password_then_an_authenticator_then_a_staff_session(
        client, hub, new_lead, outbox, django_capture_on_commit_callbacks):
    path = _invite(new_lead, outbox, django_capture_on_commit_callbacks)
    [message] = outbox
    assert message.to == ["lead@nhs.net"] and message.subject == "Set up your staff sign-in for Innovation Hub Front Door"
    assert path in message.alternatives[0][0]
    link = EmailLink.objects.get(purpose="staff_invitation")
    assert link.subject_ref == str(new_lead.pk) and link.token_hash not in message.body
    assert OutboundEmail.objects.get(template="staff_invitation").context == {}  # wiped once sent

    confirm = client.get(path)
    assert confirm.status_code == 200 and "lead@nhs.net" in confirm.content.decode()
    assert EmailLink.objects.get(pk=link.pk).used_at is None
    before = client.session.session_key
    response = client.post(path)
    assert response["Location"] == "/staff/sign-in/password/"
    assert client.session.session_key != before
    assert "_auth_user_id" not in client.session
    # Not yet: no authenticator before a password is chosen.
    assert client.get("/staff/sign-in/set-up/")["Location"] == "/staff/sign-in/"

    weak = client.post("/staff/sign-in/password/", {"new_password1": "short", "new_password2": "short"})
    assert weak.status_code == 400
    response = client.post("/staff/sign-in/password/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"] == "/staff/sign-in/set-up/"
    new_lead.refresh_from_db()
    assert new_lead.check_password(NEW_PASSWORD) and not new_lead.check_password(PASSWORD)

    page = client.get("/staff/sign-in/set-up/").content.decode()
    assert "<svg" in page and "Set up your authenticator app" in page
    device = TOTPDevice.objects.get(user=new_lead)
    assert not device.confirmed
    client.post("/staff/sign-in/set-up/", {"code": code_for(device)})
    device.refresh_from_db()
    assert device.confirmed
    assert client.session["_auth_user_id"] == str(new_lead.pk)
    assert client.get(f"/staff/{hub.slug}/").status_code == 200

    # From now on the account is usable with its new password and a code.
    client.post("/sign-out/")
    assert password_step(client, password=NEW_PASSWORD)["Location"] == "/staff/sign-in/code/"


@pytest.mark.django_db
def test_an_invitation_works_once_and_only_for_its_person(client, new_lead, outbox,
                                                          django_capture_on_commit_callbacks):
    path = _invite(new_lead, outbox, django_capture_on_commit_callbacks)
    client.post(path)
    other = client.__class__()
    again = other.post(path)
    assert again.status_code == 410 and "This invitation has already been used" in again.content.decode()
    assert "staff_pending" not in other.session
    # An invitation whose person changed address since it was sent is refused.
    path = _invite(new_lead, outbox, django_capture_on_commit_callbacks)
    User.objects.filter(pk=new_lead.pk).update(email="someone.else@nhs.net")
    assert client.__class__().post(path).status_code == 404


@pytest.mark.django_db
def test_a_new_invitation_makes_the_older_one_stop_working(client, new_lead, outbox,
                                                           django_capture_on_commit_callbacks):
    first = _invite(new_lead, outbox, django_capture_on_commit_callbacks)
    second = _invite(new_lead, outbox, django_capture_on_commit_callbacks)
    assert client.post(first).status_code == 410
    assert client.post(second)["Location"] == "/staff/sign-in/password/"


@pytest.mark.django_db
def test_only_staff_accounts_are_invited(submitter):
    with pytest.raises(ValueError):
        staff_invite(user=submitter)
    assert not EmailLink.objects.filter(purpose="staff_invitation").exists()


@pytest.mark.django_db
def test_resetting_the_authenticator_ends_staff_sessions_and_sends_a_fresh_invitation(
        client, hub, hub_lead, outbox, django_capture_on_commit_callbacks):
    from hubportal.testing import sign_in_staff

    sign_in_staff(client, hub_lead)
    assert client.get(f"/staff/{hub.slug}/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        staff_device_reset(user=hub_lead)
    assert not TOTPDevice.objects.filter(user=hub_lead).exists()
    hub_lead.refresh_from_db()
    assert not hub_lead.has_usable_password()
    assert client.get(f"/staff/{hub.slug}/").status_code == 302  # the verified session named the old device
    assert [m.to for m in outbox] == [[hub_lead.email]]
    assert EmailLink.objects.filter(purpose="staff_invitation", subject_ref=str(hub_lead.pk)).count() == 1


@pytest.mark.django_db
def test_an_administrator_resets_a_device_from_the_people_list(client, hub, hub_lead, outbox,
                                                               django_capture_on_commit_callbacks):
    from hubportal.testing import sign_in_staff

    admin = UserFactory(email="admin@example.nhs.uk", is_staff=True, is_superuser=True)
    TOTPDevice.objects.create(user=hub_lead, name="Phone", confirmed=True)
    sign_in_staff(client, admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/hubportal/user/", {
            "action": "reset_authenticator", "_selected_action": [hub_lead.pk]}, follow=True)
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=hub_lead).exists()
    assert [m.to for m in outbox] == [[hub_lead.email]]
    assert LINK.search(outbox[0].body)


@pytest.mark.django_db
def test_administrators_cannot_add_or_read_authenticators_in_admin(client, hub_lead):
    from hubportal.testing import sign_in_staff

    admin = UserFactory(email="admin@example.nhs.uk", is_staff=True, is_superuser=True)
    sign_in_staff(client, admin)
    device = TOTPDevice.objects.create(user=hub_lead, name="Phone", confirmed=True)
    assert client.get("/admin/otp_totp/totpdevice/add/").status_code == 403
    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert device.key not in page.content.decode()
    config = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/", follow=True)  # django-otp's key page
    assert device.key not in config.content.decode() and "otpauth://" not in config.content.decode()


@pytest.mark.django_db
def test_the_demo_staff_have_confirmed_authenticators_so_the_readme_sign_in_works(client):
    call_command("load_demo", stdout=io.StringIO())
    for email in ("lead.dorset@example.nhs.uk", "admin@example.nhs.uk"):
        user = User.objects.get(email=email)
        assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    response = password_step(client, email="lead.dorset@example.nhs.uk", password="demo-password-change-me")
    assert response["Location"] == "/staff/sign-in/code/"
