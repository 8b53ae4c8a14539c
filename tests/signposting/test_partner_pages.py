"""The partner contact's pages: their organisation's referrals, and answering one. Never another's."""

import pytest
from django.urls import reverse

from intake.services import inquiry_add_note
from signposting import services
from signposting.models import Referral, ReferralQuestion
from tests.factories import SubmittedFactory
from tests.partners.conftest import sign_in_partner
from tests.partners.factories import PartnerContactFactory

from .helpers import referral_link_path


@pytest.fixture
def referral(inquiry, partner, partner_contact, hub_lead):
    inquiry_add_note(inquiry=inquiry, by=hub_lead, body="INTERNAL: the trust's finance lead is sceptical")
    return services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead, message="Please evaluate")


@pytest.fixture
def others_referral(submitter, hub, other_partner, other_partner_contact, hub_lead):
    inquiry = SubmittedFactory(submitter=submitter, hub=hub, reference="DOR-2026-00009", title="Someone else's idea")
    return services.referral_send(inquiry=inquiry, partner=other_partner, by=hub_lead)


def _url(name, referral):
    return reverse(f"signposting:{name}", args=[referral.public_id])


PAGES = ["partner_referral", "referral_accept", "referral_decline", "referral_question", "referral_outcome"]


@pytest.mark.django_db
def test_a_signed_in_contact_sees_their_referral_without_internal_notes(partner_client, referral):
    response = partner_client.get(_url("partner_referral", referral))
    body = response.content.decode()
    assert response.status_code == 200
    for shown in ("Virtual ward pilot", "Please evaluate", "Jo Bloggs", "jo.bloggs@nhs.net",
                  "Evaluation and evidence; Funding and bid writing"):
        assert shown in body, shown
    assert "INTERNAL" not in body and "sceptical" not in body
    assert "checklist" not in body.lower()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.VIEWED


@pytest.mark.django_db
def test_the_submitters_phone_number_is_never_shown_to_a_partner(partner_client, referral):
    type(referral.inquiry).objects.filter(pk=referral.inquiry_id).update(phone="01632 960 001")
    body = partner_client.get(_url("partner_referral", referral)).content.decode()
    assert "jo.bloggs@nhs.net" in body  # they agreed to be contacted: by email
    assert "01632 960 001" not in body  # the journey promised the phone number is for the hub only


@pytest.mark.django_db
def test_the_submitters_email_is_shown_only_if_they_agreed_to_be_contacted(partner_client, referral):
    type(referral.inquiry).objects.filter(pk=referral.inquiry_id).update(consent_contact=False)
    body = partner_client.get(_url("partner_referral", referral)).content.decode()
    assert "jo.bloggs@nhs.net" not in body
    assert "did not agree to be contacted directly" in body


@pytest.mark.django_db
def test_a_partner_never_sees_another_organisations_referral(partner_client, others_referral):
    for name in PAGES:
        for method in ("get", "post"):
            if (name, method) in (("referral_accept", "get"), ("partner_referral", "post")):
                continue  # 405 for the wrong method, before anything is looked up
            response = getattr(partner_client, method)(_url(name, others_referral),
                                                       {"reason": "other", "details": "x", "outcome": "support_given",
                                                        "question": "x"})
            assert response.status_code == 404, (name, method)
            assert "Someone else" not in response.content.decode()
    others_referral.refresh_from_db()
    assert others_referral.status == Referral.Status.SENT
    assert ReferralQuestion.objects.count() == 0


@pytest.mark.django_db
def test_a_made_up_referral_id_is_the_same_404(partner_client):
    assert partner_client.get("/partner/referrals/00000000-0000-0000-0000-000000000000/").status_code == 404


@pytest.mark.django_db
def test_a_visitor_who_has_not_signed_in_is_sent_to_the_partner_sign_in(client, referral):
    for name in PAGES:
        method = "post" if name == "referral_accept" else "get"
        response = getattr(client, method)(_url(name, referral))
        assert response.status_code == 302, name
        assert response["Location"].startswith("/partner/sign-in/?next="), name
    assert client.get("/partner/").status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT


@pytest.mark.django_db
def test_a_submitter_signed_in_as_themself_is_not_a_partner(submitter_client, referral):
    response = submitter_client.get(_url("partner_referral", referral))
    assert response.status_code == 302 and response["Location"].startswith("/partner/sign-in/")


@pytest.mark.django_db
def test_accepting_on_the_page_accepts_it(partner_client, referral, partner_contact):
    response = partner_client.post(_url("referral_accept", referral))
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED and referral.accepted_by == partner_contact
    page = partner_client.get(response["Location"]).content.decode()
    assert "You accepted the referral" in page and "Record the outcome" in page


@pytest.mark.django_db
def test_declining_without_a_reason_shows_an_error_and_changes_nothing(partner_client, referral):
    response = partner_client.post(_url("referral_decline", referral), {"details": "We are busy"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in body and "Select why you are declining the referral" in body
    assert "We are busy" in body  # what they typed is kept
    referral.refresh_from_db()
    assert referral.status == Referral.Status.VIEWED and referral.declined_at is None


@pytest.mark.django_db
def test_declining_for_another_reason_needs_the_reason(partner_client, referral):
    response = partner_client.post(_url("referral_decline", referral), {"reason": "other"})
    assert response.status_code == 400
    assert "Enter the reason you are declining the referral" in response.content.decode()
    referral.refresh_from_db()
    assert referral.declined_at is None


@pytest.mark.django_db
def test_declining_with_a_reason_declines_it_and_hides_the_inquiry(partner_client, referral, partner_contact):
    response = partner_client.post(_url("referral_decline", referral),
                                   {"reason": "no_capacity", "details": "Try in April"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.decline_reason, referral.declined_by) == (
        Referral.Status.DECLINED, "no_capacity", partner_contact)
    page = partner_client.get(response["Location"]).content.decode()
    assert "Virtual ward pilot" not in page and "no longer shared" in page


@pytest.mark.django_db
def test_a_question_with_patient_data_is_refused(partner_client, referral):
    response = partner_client.post(_url("referral_question", referral),
                                   {"question": "Is this about patient 943 476 5919?"})
    assert response.status_code == 400
    assert "Remove the NHS number" in response.content.decode()
    assert ReferralQuestion.objects.count() == 0


@pytest.mark.django_db
def test_an_empty_question_is_refused(partner_client, referral):
    response = partner_client.post(_url("referral_question", referral), {"question": "  "})
    assert response.status_code == 400
    assert "Enter your question for the hub" in response.content.decode()
    assert ReferralQuestion.objects.count() == 0


@pytest.mark.django_db
def test_asking_a_question_sends_it_to_the_hub(partner_client, referral):
    response = partner_client.post(_url("referral_question", referral), {"question": "Who is the clinical lead?"})
    assert response.status_code == 302
    assert ReferralQuestion.objects.get().body == "Who is the clinical lead?"


@pytest.mark.django_db
def test_recording_the_outcome_needs_an_accepted_referral_and_an_outcome(partner_client, referral, partner_contact):
    early = partner_client.get(_url("referral_outcome", referral))
    assert early.status_code == 302  # not accepted yet: back to the referral with a message
    services.referral_accept(referral=referral, contact=partner_contact)
    missing = partner_client.post(_url("referral_outcome", referral), {"details": "Done"})
    assert missing.status_code == 400
    assert "Select the outcome of the referral" in missing.content.decode()
    done = partner_client.post(_url("referral_outcome", referral), {"outcome": "ongoing", "details": "Pilot agreed"})
    assert done.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == (Referral.Status.COMPLETED, "ongoing")


@pytest.mark.django_db
def test_answering_a_referral_someone_else_answered_says_so(partner_client, referral, partner):
    colleague = PartnerContactFactory(partner=partner, name="Tom Reed")
    services.referral_accept(referral=referral, contact=colleague)
    response = partner_client.post(_url("referral_decline", referral), {"reason": "no_capacity"}, follow=True)
    assert "This referral is accepted: it cannot be changed now" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED


@pytest.mark.django_db
def test_the_whole_journey_through_the_emailed_link(client, inquiry, partner, partner_contact, hub_lead, outbox,
                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    client.post(referral_link_path("priya@wessex.example.org"))
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(_url("referral_accept", referral)).status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    # Recording the outcome later, from the second email, in a new browser session.
    client.cookies.clear()
    client.post(referral_link_path("priya@wessex.example.org"))
    assert client.post(_url("referral_outcome", referral), {"outcome": "support_given"}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.COMPLETED


@pytest.mark.django_db
def test_their_organisations_referrals_are_listed_and_no_others(partner_client, referral, others_referral):
    body = partner_client.get("/partner/").content.decode()
    assert "DOR-2026-00001" in body and "Virtual ward pilot" in body
    assert "DOR-2026-00009" not in body and "Someone else" not in body
    assert "priya@wessex.example.org" in body


@pytest.mark.django_db
def test_a_contact_of_two_organisations_sees_both(client, referral, others_referral, other_partner):
    PartnerContactFactory(partner=other_partner, email="priya@wessex.example.org", name="Priya Natarajan")
    body = sign_in_partner(client, "priya@wessex.example.org").get("/partner/").content.decode()
    assert "DOR-2026-00001" in body and "DOR-2026-00009" in body


@pytest.mark.django_db
def test_a_deactivated_contact_loses_access_at_once(partner_client, referral, partner_contact):
    partner_contact.is_active = False
    partner_contact.save()
    assert partner_client.get("/partner/").status_code == 302
    assert partner_client.get(_url("partner_referral", referral)).status_code == 302


@pytest.mark.django_db
def test_the_referral_list_is_paginated_with_a_fixed_number_of_queries(partner_client, partner, partner_contact,
                                                                       hub, submitter, hub_lead,
                                                                       django_assert_max_num_queries):
    def make(count, start):
        for n in range(start, start + count):
            inquiry = SubmittedFactory(submitter=submitter, hub=hub, reference=f"DOR-2026-{n:05d}")
            services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)

    make(3, 100)
    with django_assert_max_num_queries(8) as small:
        assert partner_client.get("/partner/").status_code == 200
    make(30, 200)
    with django_assert_max_num_queries(8) as large:
        response = partner_client.get("/partner/")
    assert len(small.captured_queries) == len(large.captured_queries)
    body = response.content.decode()
    assert body.count("/partner/referrals/") == 20
    assert "Page 2 of 2" in body
    assert partner_client.get("/partner/?page=2").content.decode().count("/partner/referrals/") == 13
