"""Names and help text that people type in admin reach pages escaped (stored XSS)."""

import pytest
from django.urls import reverse

from hubportal.models import HubOrganisation
from intake.models import Checklist, Criterion
from signposting.models import Referral
from signposting.services import referral_send
from tests.factories import DraftFactory, SubmittedFactory
from tests.partners.conftest import sign_in_partner
from tests.partners.factories import PartnerContactFactory, PartnerFactory

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
HOSTILE = f"Dorset {SCRIPT} {IMG}"


def assert_escaped(response):
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    assert SCRIPT not in page
    assert "<img src=x" not in page
    # The name is still shown, as text.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


@pytest.fixture
def hostile_hub(hub):
    hub.name = HOSTILE
    hub.save()
    return hub


@pytest.mark.django_db
def test_it_escapes_a_hub_name_in_the_help_text_and_choices_of_the_hub_question(client, submitter, hostile_hub):
    HubOrganisation.objects.create(hub=hostile_hub, name="Dorset County Hospital NHS Foundation Trust")
    draft = DraftFactory(submitter=submitter, hub=None, organisation="Dorset County Hospital")
    client.force_login(submitter)
    response = client.get(reverse("intake:inquiry_step", args=[draft.public_id, "hub"]))
    page = response.content.decode()
    # The suggestion is the help text, rendered by templates/nhsuk/fields/_hint.html.
    assert "We have suggested Dorset &lt;script&gt;" in page
    assert_escaped(response)


@pytest.mark.django_db
def test_it_escapes_a_hub_name_on_the_submitters_pages(client, submitter, hostile_hub):
    inquiry = SubmittedFactory(submitter=submitter, hub=hostile_hub)
    client.force_login(submitter)
    assert_escaped(client.get(reverse("intake:inquiry_list")))
    assert_escaped(client.get(reverse("intake:inquiry_detail", args=[inquiry.public_id])))
    assert_escaped(client.get(reverse("intake:inquiry_check", args=[
        DraftFactory(submitter=submitter, hub=hostile_hub).public_id])))


@pytest.mark.django_db
def test_it_escapes_a_hub_name_and_checklist_guidance_on_the_staff_pages(lead_client, hostile_hub):
    inquiry = SubmittedFactory(hub=hostile_hub, reference="DOR-2026-00001")
    checklist = Checklist.objects.create(hub=hostile_hub, name=f"Triage {SCRIPT}", slug="triage")
    Criterion.objects.create(checklist=checklist, question=f"Is it safe? {IMG}", guidance=HOSTILE,
                             scale=Criterion.Scale.YES_NO)
    slug = hostile_hub.slug
    for url in [
        reverse("intake:staff_dashboard", args=[slug]),
        reverse("intake:staff_inquiry_list", args=[slug]),
        reverse("intake:staff_inquiry", args=[slug, inquiry.reference]),
        reverse("intake:staff_metrics", args=[slug]),
        reverse("signposting:hub_referrals", args=[slug]),
    ]:
        assert_escaped(lead_client.get(url))
    response = lead_client.get(reverse("intake:staff_inquiry_assess", args=[slug, inquiry.reference, "triage"]))
    assert_escaped(response)
    # The guidance is the criterion's help text.
    assert "Is it safe? &quot;&gt;&lt;img" in response.content.decode()


@pytest.mark.django_db
def test_it_escapes_a_hub_name_on_the_partners_pages(client, hostile_hub, hub_lead):
    partner = PartnerFactory(name="Health Innovation Wessex", hubs=[hostile_hub])
    partner_contact = PartnerContactFactory(partner=partner, email="priya@wessex.example.org")
    inquiry = SubmittedFactory(hub=hostile_hub, reference="DOR-2026-00001")
    referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    referral = Referral.objects.get()
    sign_in_partner(client, partner_contact.email)
    assert_escaped(client.get(reverse("signposting:partner_home")))
    assert_escaped(client.get(reverse("signposting:partner_referral", args=[referral.public_id])))
