"""Hub staff record an inquiry that came by phone, a meeting or an email (issue 10): the journey's own
questions and validation, the source, the person's consents with how they gave them, the usual
acknowledgement with a sign-in link, and the metrics by source."""

import pytest
from django.urls import reverse

from hubportal.models import EmailLink, OutboundEmail, User
from intake.metrics import hub_metrics
from intake.models import Inquiry, InquiryEvent
from intake.services import inquiry_record_on_behalf
from tests.conftest import sign_in_staff
from tests.factories import SubmittedFactory

URL = reverse("intake:staff_inquiry_record", args=["dorset"])

ANSWERS = {
    "email": "Alex.Carter@nhs.net", "source": "phone", "consent_share_with_partners": "yes",
    "consent_contact": "on", "consent_method": "spoken",
    "kind-of-help-kind_of_help": "adopt_proven", "title-title": "Remote monitoring for COPD",
    "problem-problem": "Readmissions for COPD are high on our ward.",
    "innovation-proposed_innovation": "Remote monitoring with a tablet at home.",
    "who-benefits-who_benefits": "Patients with COPD and the ward team.",
    "innovation-type-innovation_type": "digital", "stage-stage": "piloted", "stage-evidence": "",
    "support-support_needed": ["evaluation"], "about-you-contact_name": "Alex Carter",
    "about-you-organisation": "Poole Hospital", "about-you-role": "Ward manager",
    "about-you-sector": "nhs", "about-you-phone": "",
}


@pytest.mark.django_db
def test_a_member_records_an_inquiry_from_a_call_with_the_persons_consent_and_they_are_sent_the_usual_emails(
        client, hub_member, hub):
    sign_in_staff(client, hub_member)
    assert "Record an inquiry for someone" in client.get(URL).content.decode()
    response = client.post(URL, ANSWERS)
    inquiry = Inquiry.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(inquiry.reference + "/")
    assert (inquiry.status, inquiry.source, inquiry.hub) == ("submitted", "phone", hub)
    assert inquiry.submitter == User.objects.get(email="alex.carter@nhs.net")
    assert (inquiry.title, inquiry.stage, inquiry.support_needed, inquiry.role) == (
        "Remote monitoring for COPD", "piloted", ["evaluation"], "Ward manager")
    assert inquiry.consent_share_with_partners is True and inquiry.consent_contact is True
    assert (inquiry.consent_method, inquiry.consent_recorded_by) == ("spoken", hub_member)
    event = inquiry.events.get(kind=InquiryEvent.Kind.RECORDED_ON_BEHALF)
    assert event.actor == hub_member and "phone call" in event.description and "may be shared" in event.description
    sent = {row.template for row in OutboundEmail.objects.filter(to="alex.carter@nhs.net")}
    assert sent == {"inquiry_acknowledgement", "sign_in_link"}
    assert EmailLink.objects.get(email="alex.carter@nhs.net").next_path == reverse(
        "intake:inquiry_detail", args=[inquiry.public_id])


@pytest.mark.django_db
def test_it_validates_the_questions_as_the_journey_does_and_records_nothing(client, hub_member):
    sign_in_staff(client, hub_member)
    bad = {**ANSWERS, "title-title": "", "problem-problem": "Patient 943 476 5919 readmitted",
           "consent_contact": "", "consent_method": "", "support-support_needed": []}
    response = client.post(URL, bad)
    body = response.content.decode()
    assert response.status_code == 400
    for message in ("Enter a title", "Remove the NHS number from your answer",
                    "Confirm that they agreed the hub may contact them", "Select how they gave their answers"):
        assert message in body
    assert "Remote monitoring with a tablet at home." in body  # nothing typed is lost
    assert not Inquiry.objects.exists() and not OutboundEmail.objects.exists()


@pytest.mark.django_db
def test_the_service_refuses_a_consent_without_how_it_was_given(hub, hub_member):
    with pytest.raises(ValueError, match="how they gave it"):
        inquiry_record_on_behalf(hub=hub, by=hub_member, email="x@nhs.net", answers={"title": "T"},
                                 consent_share_with_partners=True)
    assert not Inquiry.objects.exists()


@pytest.mark.django_db
def test_another_hubs_lead_a_submitter_a_partner_and_anonymous_are_refused(client, other_hub_lead, submitter):
    assert client.post(URL, ANSWERS)["Location"].startswith("/staff/sign-in/")
    client.force_login(submitter)
    assert client.post(URL, ANSWERS)["Location"].startswith("/staff/sign-in/")
    client.logout()
    sign_in_staff(client, other_hub_lead)
    assert client.post(URL, ANSWERS).status_code == 404
    from tests.partners.conftest import sign_in_partner

    client.logout()
    sign_in_partner(client, "someone@partner.example.org")
    assert client.post(URL, ANSWERS).status_code == 302
    assert not Inquiry.objects.exists()


@pytest.mark.django_db
def test_metrics_count_inquiries_by_how_they_arrived(hub, hub_member):
    SubmittedFactory(hub=hub, source="web")
    SubmittedFactory(hub=hub, source="web")
    SubmittedFactory(hub=hub, source="email")
    SubmittedFactory(hub=hub, source="meeting")
    inquiry_record_on_behalf(hub=hub, by=hub_member, email="a@nhs.net", answers={"title": "T"}, source="phone",
                             consent_share_with_partners=False, consent_method="written")
    metrics = hub_metrics(hub=hub)
    by_source = metrics.sources
    assert by_source in metrics.charts  # so the page and the CSV show it
    assert {f.code: f.value for f in by_source.figures} == {"web": 2, "email": 1, "phone": 1, "meeting": 1}
    assert [f.label for f in by_source.figures][0] == "Sent through the website"
