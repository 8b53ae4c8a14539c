"""Retiring a partner from a hub's directory (issue 10): its open referrals are closed with a reason or
moved to another partner, the submitter and the hub's leads are told, and nothing is left open."""

import pytest
from django.urls import reverse

from hubportal.models import OutboundEmail
from intake.models import Inquiry, InquiryEvent
from partners.models import DirectoryChange, Partner
from signposting import directory, services
from signposting.models import Referral, RoutingRule
from tests.conftest import sign_in_staff
from tests.partners.factories import PartnerContactFactory, PartnerFactory


def _url(partner):
    return reverse("signposting:staff_partner_retire", args=["dorset", partner.public_id])


@pytest.fixture
def referral(inquiry, partner, partner_contact, hub_lead):
    return services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)


@pytest.mark.django_db
def test_it_asks_what_to_do_with_open_referrals_and_changes_nothing_without_an_answer(
        client, hub_lead, partner, referral):
    sign_in_staff(client, hub_lead)
    page = client.get(_url(partner))
    assert page.status_code == 200 and "DOR-2026-00001" in page.content.decode()
    refused = client.post(_url(partner), {})
    assert refused.status_code == 400
    assert "Select what should happen to the open referrals" in refused.content.decode()
    partner.refresh_from_db()
    assert partner.is_active and partner.hubs.filter(slug="dorset").exists()
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.SENT


@pytest.mark.django_db
def test_closing_needs_a_reason(client, hub_lead, partner, referral):
    sign_in_staff(client, hub_lead)
    refused = client.post(_url(partner), {"action": "close", "reason": "  "})
    assert "Enter why the referrals are closed" in refused.content.decode()
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.SENT


@pytest.mark.django_db
def test_it_closes_the_open_referrals_with_the_reason_and_tells_the_submitter_the_partner_and_the_leads(
        client, hub_lead, partner, partner_contact, referral, inquiry, submitter):
    RoutingRule.objects.create(hub=inquiry.hub, name="Evaluations to Wessex", action="add", partner=partner)
    sign_in_staff(client, hub_lead)
    response = client.post(_url(partner), {"action": "close", "reason": "Their evaluation team has closed"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.CLOSED
    assert referral.close_reason == Referral.CloseReason.PARTNER_RETIRED
    partner.refresh_from_db()
    assert not partner.is_active and not partner.hubs.exists()
    assert not RoutingRule.objects.filter(partner=partner, is_active=True).exists()
    # The routed inquiry has no partner any more: it is the hub's to decide again (lifecycle rule 3).
    assert Inquiry.objects.get(pk=inquiry.pk).status == Inquiry.Status.IN_REVIEW
    assert InquiryEvent.objects.filter(inquiry=inquiry, description__contains="Their evaluation team has closed",
                                       is_visible_to_submitter=False).exists()
    to_submitter = OutboundEmail.objects.get(key=f"referral:{referral.pk}:partner-retired:submitter")
    assert to_submitter.to == submitter.email
    assert "Their evaluation team has closed" in to_submitter.context["message"]
    assert OutboundEmail.objects.filter(key=f"referral:{referral.pk}:closed:{partner_contact.pk}").exists()
    assert OutboundEmail.objects.filter(template="directory_notice", to=hub_lead.email).count() == 1
    change = DirectoryChange.objects.get(partner=partner, action="retired")
    assert change.by == hub_lead and change.changes["is_active"] == ["True", "False"]
    assert not Referral.objects.filter(partner=partner, status__in=Referral.OPEN_STATUSES).exists()


@pytest.mark.django_db
def test_it_moves_the_open_referrals_to_another_partner(client, hub_lead, partner, referral, inquiry,
                                                       other_partner, other_partner_contact):
    sign_in_staff(client, hub_lead)
    response = client.post(_url(partner), {"action": "move", "move_to": str(other_partner.public_id)})
    assert response.status_code == 302
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.CLOSED
    moved = Referral.objects.get(inquiry=inquiry, partner=other_partner)
    assert moved.status == Referral.Status.SENT
    assert "Moved from Health Innovation Wessex" in moved.reasons[0]
    # It never passed through "no partner has it".
    assert Inquiry.objects.get(pk=inquiry.pk).status == Inquiry.Status.ROUTED
    assert OutboundEmail.objects.filter(key=f"referral:{moved.pk}:sent:{other_partner_contact.pk}").exists()
    notice = OutboundEmail.objects.get(key=f"referral:{referral.pk}:partner-retired:submitter")
    assert "Bournemouth University instead" in notice.context["message"]


@pytest.mark.django_db
def test_moving_to_a_partner_that_cannot_take_it_changes_nothing(hub_lead, partner, referral, inquiry, hub):
    # A partner with no contact who receives referrals: referral_send refuses, so all of it rolls back.
    silent = PartnerFactory(name="Silent Org", kind="vcse", hubs=[hub])
    with pytest.raises(directory.RetireRefused, match="no contact who receives referrals"):
        directory.partner_retire_for_hub(partner=partner, hub=hub, by=hub_lead, action="move", move_to=silent)
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.SENT
    assert Partner.objects.get(pk=partner.pk).is_active
    assert not OutboundEmail.objects.filter(template="directory_notice").exists()


@pytest.mark.django_db
def test_moving_to_a_retired_partner_is_refused_by_name(client, hub_lead, partner, referral, other_partner):
    Partner.objects.filter(pk=other_partner.pk).update(is_active=False)
    sign_in_staff(client, hub_lead)
    refused = client.post(_url(partner), {"action": "move", "move_to": str(other_partner.public_id)})
    assert "Bournemouth University has been retired" in refused.content.decode()
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.SENT


@pytest.mark.django_db
def test_a_partner_shared_with_another_hub_stays_active_for_it(client, hub_lead, partner, referral, other_hub):
    partner.hubs.add(other_hub)
    sign_in_staff(client, hub_lead)
    client.post(_url(partner), {"action": "close", "reason": "We stopped working with them"})
    partner.refresh_from_db()
    assert partner.is_active and list(partner.hubs.all()) == [other_hub]
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.CLOSED


@pytest.mark.django_db
def test_it_is_refused_when_another_hub_still_has_open_referrals_to_a_partner_retired_everywhere(
        hub_lead, partner, partner_contact, hub, other_hub, other_hub_lead):
    from tests.factories import SubmittedFactory

    partner.hubs.add(other_hub)
    theirs = SubmittedFactory(hub=other_hub, reference="MAN-2026-00001", support_needed=["evaluation"])
    services.referral_send(inquiry=theirs, partner=partner, by=other_hub_lead)
    partner.hubs.remove(other_hub)  # admin unlisted it without settling the referral
    with pytest.raises(directory.RetireRefused, match="another hub"):
        directory.partner_retire_for_hub(partner=partner, hub=hub, by=hub_lead)
    assert Partner.objects.get(pk=partner.pk).hubs.filter(pk=hub.pk).exists()


@pytest.mark.django_db
def test_a_member_another_hubs_lead_a_submitter_and_a_partner_are_refused(
        client, hub_member, other_hub_lead, submitter, partner, partner_contact):
    sign_in_staff(client, hub_member)
    assert client.post(_url(partner), {"action": "close", "reason": "x"}).status_code == 404
    client.logout()
    sign_in_staff(client, other_hub_lead)
    assert client.get(_url(partner)).status_code == 404
    client.logout()
    client.force_login(submitter)
    assert client.get(_url(partner)).status_code == 302
    client.logout()
    from tests.partners.conftest import sign_in_partner

    sign_in_partner(client, partner_contact.email)
    assert client.post(_url(partner), {}).status_code == 302
    assert Partner.objects.get(pk=partner.pk).is_active
    assert not DirectoryChange.objects.exists()


@pytest.mark.django_db
def test_a_contact_of_a_retired_partner_can_no_longer_sign_in_or_be_referred(hub_lead, partner, hub, inquiry):
    PartnerContactFactory(partner=partner, email="x@wessex.example.org")
    directory.partner_retire_for_hub(partner=partner, hub=hub, by=hub_lead)
    with pytest.raises(services.ReferralRefused, match="no longer an active partner"):
        services.referral_send(inquiry=inquiry, partner=Partner.objects.get(pk=partner.pk), by=hub_lead)
