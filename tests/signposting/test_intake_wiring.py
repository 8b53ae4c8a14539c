"""Signposting as the submitter meets it on intake's pages: the confirmation page, the acknowledgement
email and withdrawing consent."""

import pytest
from django.urls import reverse

from intake.models import Inquiry
from signposting import services
from signposting.models import Referral
from tests.factories import DraftFactory
from tests.partners.factories import ResourceFactory


@pytest.fixture
def funding_guide():
    """A national resource (no hub) tagged with the funding support need."""
    return ResourceFactory(title="Funding calls this quarter", url="https://example.org/funding",
                           support_needs=["funding"])


@pytest.mark.django_db
def test_sending_shows_resources_on_the_confirmation_page_and_in_the_acknowledgement(
        submitter_client, submitter, hub, funding_guide, outbox, django_capture_on_commit_callbacks):
    draft = DraftFactory(submitter=submitter, hub=hub, support_needed=["funding"], title="Secret title")
    with django_capture_on_commit_callbacks(execute=True):
        response = submitter_client.post(reverse("intake:inquiry_check", args=[draft.public_id]), follow=True)
    page = response.content.decode()
    assert "Help you can use today" in page
    assert 'href="https://example.org/funding"' in page
    [message] = [m for m in outbox if m.to == [submitter.email]]
    assert "Funding calls this quarter" in message.body and "https://example.org/funding" in message.body
    assert 'href="https://example.org/funding"' in message.alternatives[0][0]
    assert "Secret title" not in message.body


@pytest.mark.django_db
def test_the_submitter_withdraws_consent_from_their_inquiry_page(
        submitter_client, submitter, inquiry, partner, partner_contact, hub_lead, outbox,
        django_capture_on_commit_callbacks):
    referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    detail = submitter_client.get(reverse("intake:inquiry_detail", args=[inquiry.public_id])).content.decode()
    url = reverse("intake:inquiry_withdraw_consent", args=[inquiry.public_id])
    assert url in detail
    assert "Withdraw consent to share with partners?" in submitter_client.get(url).content.decode()
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = submitter_client.post(url)
    assert response["Location"] == reverse("intake:inquiry_detail", args=[inquiry.public_id])
    assert Inquiry.objects.get(pk=inquiry.pk).consent_share_with_partners is False
    referral.refresh_from_db()
    assert referral.status == Referral.Status.CLOSED
    assert [m.to for m in outbox] == [[partner_contact.email]]


@pytest.mark.django_db
def test_another_submitter_cannot_withdraw_consent(other_submitter_client, inquiry, partner, partner_contact,
                                                   hub_lead):
    services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    url = reverse("intake:inquiry_withdraw_consent", args=[inquiry.public_id])
    assert other_submitter_client.get(url).status_code == 404
    assert other_submitter_client.post(url).status_code == 404
    assert Inquiry.objects.get(pk=inquiry.pk).consent_share_with_partners is True
