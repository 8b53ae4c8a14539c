"""Content-Security-Policy, Permissions-Policy and no-store (hubportal.middleware.SecurityHeadersMiddleware)."""

import pytest
from django.urls import reverse

from tests.conftest import sign_in_staff
from tests.factories import DraftFactory, SubmittedFactory, UserFactory
from tests.intake.test_attachments import PDF, upload
from tests.partners.conftest import sign_in_partner
from tests.partners.factories import PartnerContactFactory, PartnerFactory


def assert_policies(response):
    csp = {part.split()[0]: part.split()[1:] for part in response["Content-Security-Policy"].split("; ")}
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no nonce: no inline script anywhere
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    policy = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy


def assert_no_store(response):
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_public_page_has_the_policies_and_may_be_cached(client):
    response = client.get("/accessibility/")
    assert response.status_code == 200
    assert_policies(response)
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.django_db
def test_a_page_not_found_has_the_policies(client):
    assert_policies(client.get("/no-such-page/"))


@pytest.mark.django_db
def test_every_page_of_a_signed_in_submitter_is_no_store(submitter_client, submitter, hub):
    inquiry = SubmittedFactory(submitter=submitter, hub=hub)
    for url in (reverse("intake:inquiry_list"), reverse("intake:inquiry_detail", args=[inquiry.public_id]),
                reverse("hubportal:sign_in")):
        response = submitter_client.get(url)
        assert_policies(response)
        assert_no_store(response)


@pytest.mark.django_db
def test_staff_pages_and_the_csv_exports_are_no_store(lead_client, hub):
    for url in (reverse("intake:staff_dashboard", args=[hub.slug]),
                reverse("intake:staff_inquiry_export", args=[hub.slug]),
                reverse("intake:staff_metrics_csv", args=[hub.slug])):
        response = lead_client.get(url)
        assert response.status_code == 200, url
        assert_policies(response)
        assert_no_store(response)


@pytest.mark.django_db
def test_a_partner_contacts_pages_are_no_store(client, hub):
    contact = PartnerContactFactory(partner=PartnerFactory(hubs=[hub]), email="priya@wessex.example.org")
    sign_in_partner(client, contact.email)
    response = client.get(reverse("signposting:partner_home"))
    assert response.status_code == 200
    assert_policies(response)
    assert_no_store(response)


@pytest.mark.django_db
def test_an_attachment_download_is_no_store(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter)
    upload(submitter_client, draft, "pilot.pdf", PDF)
    attachment = draft.attachments.get()
    response = submitter_client.get(reverse("intake:attachment_download", args=[attachment.public_id]))
    assert response.status_code == 200
    assert_no_store(response)
    # The download view's own, stricter policy is kept.
    assert response["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_directory_export_is_no_store(client):
    admin = UserFactory(email="admin@example.nhs.uk", is_staff=True, is_superuser=True)
    response = sign_in_staff(client, admin).get("/admin/partners/partner/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert_no_store(response)


@pytest.mark.django_db
def test_no_template_has_an_inline_script_or_style_attribute_the_policy_would_refuse(settings):
    from pathlib import Path
    templates = Path(settings.BASE_DIR) / "templates"
    offenders = []
    for path in templates.rglob("*.html"):
        if "emails" in path.parts or path.parent.name == "signposting" and path.name.endswith("_email.html"):
            continue  # emails are read in mail clients, which the page's policy does not cover
        text = path.read_text()
        if "style=" in text or "<script>" in text or " on" in text and "onclick=" in text:
            offenders.append(str(path.relative_to(templates)))
    assert offenders == []
