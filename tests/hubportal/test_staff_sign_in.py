import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from hubportal.models import HubMembership
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery-staple"


def code_for(device, offset=0):
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


@pytest.fixture
def lead(hub):
    user = UserFactory(email="lead@nhs.net")
    user.set_password(PASSWORD)
    user.save()
    HubMembership.objects.create(hub=hub, user=user, role=HubMembership.Role.LEAD)
    return user


@pytest.fixture
def device(lead):
    return TOTPDevice.objects.create(user=lead, name="Phone", confirmed=True)


def password_step(client, email="lead@nhs.net", password=PASSWORD, **extra):
    return client.post("/staff/sign-in/", {"email": email, "password": password, **extra})


@pytest.mark.django_db
def test_a_password_alone_gives_no_staff_session(client, hub, lead, device):
    response = password_step(client)
    assert response["Location"] == "/staff/sign-in/code/"
    assert "_auth_user_id" not in client.session
    assert client.get(f"/staff/{hub.slug}/").status_code == 302


@pytest.mark.django_db
def test_the_right_code_after_the_password_signs_in_verified(client, hub, lead, device):
    password_step(client, next=f"/staff/{hub.slug}/inquiries/")
    response = client.post("/staff/sign-in/code/", {"code": code_for(device)})
    assert response["Location"] == f"/staff/{hub.slug}/inquiries/"
    assert client.session["_auth_user_id"] == str(lead.pk)
    assert client.get(f"/staff/{hub.slug}/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("code, message", [
    ("", "Enter the 6-digit code from your authenticator app"),
    ("12ab56", "Enter the code as 6 digits"),
    ("000000", "The code is not right"),
])
def test_a_wrong_code_says_what_is_wrong_and_signs_nobody_in(client, lead, device, code, message):
    password_step(client)
    if code == "000000" and code_for(device) == "000000":
        code = "000001"
    response = client.post("/staff/sign-in/code/", {"code": code})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_repeated_wrong_codes_are_throttled(client, lead, device):
    password_step(client)
    wrong = "000001" if code_for(device) == "000000" else "000000"
    for _ in range(3):
        client.post("/staff/sign-in/code/", {"code": wrong})
    response = client.post("/staff/sign-in/code/", {"code": code_for(device)})
    assert "Too many wrong codes" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("email, password", [("lead@nhs.net", "wrong"), ("nobody@nhs.net", PASSWORD)])
def test_a_wrong_password_or_unknown_address_gets_the_same_message(client, lead, email, password):
    response = password_step(client, email=email, password=password)
    assert response.status_code == 200
    assert "Enter a correct email address and password" in response.content.decode()
    assert "staff_pending" not in client.session


@pytest.mark.django_db
def test_someone_who_is_not_hub_staff_cannot_use_staff_sign_in(client, submitter):
    submitter.set_password(PASSWORD)
    submitter.save()
    response = password_step(client, email=submitter.email)
    assert "Enter a correct email address and password" in response.content.decode()


@pytest.mark.django_db
def test_the_code_page_needs_the_password_step_first(client):
    assert client.get("/staff/sign-in/code/")["Location"] == "/staff/sign-in/"
    assert client.get("/staff/sign-in/set-up/")["Location"] == "/staff/sign-in/"


@pytest.mark.django_db
def test_admin_needs_the_second_factor_too(client, lead, device):
    lead.is_staff = lead.is_superuser = True
    lead.save()
    client.force_login(lead)  # password-equivalent session, no device
    response = client.get("/admin/")
    assert response["Location"] == "/admin/login/?next=/admin/"
    response = client.get(response["Location"])
    assert response["Location"] == "/staff/sign-in/?next=/admin/"


@pytest.mark.django_db
def test_demo_code_prints_the_current_code_only_in_debug(settings, lead, device, capsys):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_code", lead.email)
    settings.DEBUG = True
    call_command("demo_code", lead.email)
    assert capsys.readouterr().out.strip() == code_for(device)


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_address_for_a_while_even_with_the_right_one(client, lead, settings):
    settings.STAFF_SIGN_IN_FAILURES_PER_ADDRESS = 3
    for _ in range(3):
        assert "Enter a correct email address and password" in password_step(client, password="wrong").content.decode()
    response = password_step(client)  # the right password, too late
    assert "Too many wrong passwords. Wait 15 minutes" in response.content.decode()
    assert "staff_pending" not in client.session


@pytest.mark.django_db
def test_wrong_passwords_from_one_ip_address_across_addresses_are_limited(client, lead, settings):
    from hubportal.models import StaffSignInFailure

    settings.STAFF_SIGN_IN_FAILURES_PER_IP = 2
    password_step(client, email="a@nhs.net", password="x")
    password_step(client, email="b@nhs.net", password="x")
    response = password_step(client)
    assert "Too many wrong passwords" in response.content.decode()
    assert StaffSignInFailure.objects.count() == 2


@pytest.mark.django_db
def test_old_failures_no_longer_count(client, lead, device, settings):
    import datetime as dt

    from django.utils import timezone

    from hubportal.models import StaffSignInFailure

    settings.STAFF_SIGN_IN_FAILURES_PER_ADDRESS = 2
    for _ in range(2):
        password_step(client, password="wrong")
    StaffSignInFailure.objects.update(created_at=timezone.now() - dt.timedelta(minutes=16))
    assert password_step(client)["Location"] == "/staff/sign-in/code/"
