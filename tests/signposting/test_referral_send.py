"""Sending referrals: who may be sent one, what it writes and whom it emails."""

import pytest

from hubportal.models import EmailLink, OutboundEmail, hash_token
from intake.models import Inquiry, InquiryEvent
from signposting import services
from signposting.models import Referral
from tests.partners.factories import PartnerContactFactory, PartnerFactory, PartnerServiceFactory

from .helpers import assert_text_and_html, emails_to, referral_link_path


def _send(inquiry, partner, by, **kwargs):
    return services.referral_send(inquiry=inquiry, partner=partner, by=by, message="Could you help evaluate this?",
                                  **kwargs)


@pytest.mark.django_db
def test_it_sends_a_referral_with_a_link_to_each_contact_and_routes_the_inquiry(
        inquiry, partner, partner_contact, hub_lead, outbox, django_capture_on_commit_callbacks):
    second = PartnerContactFactory(partner=partner, name="Tom Reed", email="tom@wessex.example.org")
    PartnerContactFactory(partner=partner, email="quiet@wessex.example.org", receives_referrals=False)
    PartnerContactFactory(partner=partner, email="gone@wessex.example.org", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        referral = _send(inquiry, partner, hub_lead, reasons=["Helps with Evaluation and evidence"])

    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT
    assert referral.sent_by == hub_lead
    assert referral.reasons == ["Helps with Evaluation and evidence"]
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.ROUTED
    kinds = list(inquiry.events.values_list("kind", flat=True))
    # One line for the referral that routed it: the routed event names the partner (no second "sent" line).
    assert kinds[-2:] == [InquiryEvent.Kind.REVIEW_STARTED, InquiryEvent.Kind.ROUTED]
    assert not inquiry.events.filter(kind=InquiryEvent.Kind.REFERRAL_SENT).exists()
    sent_event = inquiry.events.get(kind=InquiryEvent.Kind.ROUTED)
    assert sent_event.description == "Referred to Health Innovation Wessex"
    assert sent_event.actor == hub_lead and sent_event.is_visible_to_submitter

    # One email, with its own link, to each active contact who receives referrals.
    assert sorted(m.to[0] for m in outbox) == ["priya@wessex.example.org", "tom@wessex.example.org"]
    links = EmailLink.objects.filter(purpose=EmailLink.Purpose.REFERRAL).order_by("email")
    assert [link.subject_ref for link in links] == [f"{referral.public_id}:{partner_contact.public_id}",
                                                    f"{referral.public_id}:{second.public_id}"]
    message = emails_to("priya@wessex.example.org")[0]
    assert message.subject == "New referral from Dorset Innovation Hub: DOR-2026-00001"
    assert message.reply_to == ["innovation.dorset@example.nhs.uk"]
    path = referral_link_path("priya@wessex.example.org")
    token = path.rstrip("/").split("/")[-1]
    assert links.get(email="priya@wessex.example.org").token_hash == hash_token(token)
    # The email carries the link, never the inquiry or the hub's message.
    assert_text_and_html(message, "DOR-2026-00001", "Health Innovation Wessex", "14 days", "/partner/sign-in/",
                         absent=["Virtual ward pilot", "Could you help evaluate", inquiry.problem[:30]])
    # Once sent, the outbox keeps no usable copy of the link.
    assert all(row.context == {} for row in OutboundEmail.objects.filter(template="referral_sent"))


@pytest.mark.django_db
def test_a_second_referral_does_not_route_again(inquiry, partner, partner_contact, other_partner,
                                                other_partner_contact, hub_lead):
    _send(inquiry, partner, hub_lead)
    _send(inquiry, other_partner, hub_lead)
    assert inquiry.events.filter(kind=InquiryEvent.Kind.ROUTED).count() == 1
    assert Referral.objects.filter(inquiry=inquiry).count() == 2
    # The second referral is its own line; nothing is said twice.
    assert list(inquiry.events.filter(kind__in=[InquiryEvent.Kind.ROUTED, InquiryEvent.Kind.REFERRAL_SENT])
                .values_list("description", flat=True)) == [
        f"Referred to {partner.name}", f"Referred to {other_partner.name}"]


@pytest.mark.django_db
def test_it_refuses_without_the_submitters_consent(inquiry, partner, partner_contact, hub_lead, outbox):
    Inquiry.objects.filter(pk=inquiry.pk).update(consent_share_with_partners=False)
    with pytest.raises(services.ReferralRefused) as refused:
        _send(inquiry, partner, hub_lead)
    assert refused.value.reason == "no_consent"
    assert "did not agree to share" in refused.value.message
    assert Referral.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.SUBMITTED


@pytest.mark.django_db
@pytest.mark.parametrize("consent", [None, False])
def test_unanswered_or_refused_consent_both_block_referral(inquiry, partner, partner_contact, hub_lead, consent):
    Inquiry.objects.filter(pk=inquiry.pk).update(consent_share_with_partners=consent)
    with pytest.raises(services.ReferralRefused):
        _send(inquiry, partner, hub_lead)


@pytest.mark.django_db
def test_it_refuses_an_inactive_partner(inquiry, partner, partner_contact, hub_lead):
    partner.is_active = False
    partner.save()
    with pytest.raises(services.ReferralRefused) as refused:
        _send(inquiry, partner, hub_lead)
    assert refused.value.reason == "partner_inactive"
    assert refused.value.message == "Health Innovation Wessex is no longer an active partner"
    assert Referral.objects.count() == 0


@pytest.mark.django_db
def test_it_refuses_a_partner_that_does_not_serve_the_inquirys_hub(inquiry, other_hub, hub_lead):
    manchester = PartnerFactory(name="Health Innovation Manchester", hubs=[other_hub])
    PartnerContactFactory(partner=manchester)
    with pytest.raises(services.ReferralRefused) as refused:
        _send(inquiry, manchester, hub_lead)
    assert refused.value.reason == "not_serving_hub"
    assert refused.value.message == "Health Innovation Manchester does not take referrals from Dorset Innovation Hub"
    assert Referral.objects.count() == 0


@pytest.mark.django_db
def test_a_national_partner_takes_every_hubs_referrals(inquiry, hub_lead):
    nihr = PartnerFactory(name="NIHR Research Support Service", serves_all_hubs=True)
    PartnerContactFactory(partner=nihr)
    assert _send(inquiry, nihr, hub_lead).status == Referral.Status.SENT


@pytest.mark.django_db
def test_it_refuses_a_partner_with_nobody_to_receive_it(inquiry, partner, hub_lead):
    PartnerContactFactory(partner=partner, receives_referrals=False)
    with pytest.raises(services.ReferralRefused) as refused:
        _send(inquiry, partner, hub_lead)
    assert refused.value.reason == "no_contact"
    assert Referral.objects.count() == 0


@pytest.mark.django_db
def test_it_refuses_a_second_open_referral_to_the_same_partner(inquiry, partner, partner_contact, hub_lead):
    _send(inquiry, partner, hub_lead)
    with pytest.raises(services.ReferralRefused) as refused:
        _send(inquiry, partner, hub_lead)
    assert refused.value.reason == "already_open"
    assert Referral.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_someone_who_is_not_staff_of_the_hub(inquiry, partner, partner_contact, other_hub_lead):
    with pytest.raises(services.ReferralRefused) as refused:
        _send(inquiry, partner, other_hub_lead)
    assert refused.value.reason == "not_hub_staff"
    assert Referral.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("status, reason", [("awaiting_info", "awaiting_info"), ("closed", "inquiry_status")])
def test_it_refuses_an_inquiry_waiting_for_the_submitter_or_closed(inquiry, partner, partner_contact, hub_lead,
                                                                   status, reason):
    Inquiry.objects.filter(pk=inquiry.pk).update(status=status)
    with pytest.raises(services.ReferralRefused) as refused:
        _send(inquiry, partner, hub_lead)
    assert refused.value.reason == reason
    assert Referral.objects.count() == 0


@pytest.mark.django_db
def test_sending_several_is_all_or_nothing(inquiry, partner, partner_contact, other_partner, hub_lead):
    # other_partner has no contact: the whole send is refused, including Wessex's referral.
    with pytest.raises(services.ReferralRefused) as refused:
        services.referral_send_many(inquiry=inquiry, partners=[partner, other_partner], by=hub_lead,
                                    message="Please help")
    assert refused.value.partner == other_partner
    assert Referral.objects.count() == 0
    assert EmailLink.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.SUBMITTED


@pytest.mark.django_db
def test_sending_several_sends_each(inquiry, partner, partner_contact, other_partner, other_partner_contact,
                                    hub_lead):
    referrals = services.referral_send_many(inquiry=inquiry, partners=[partner, other_partner], by=hub_lead,
                                            message="Please help", reasons={partner.pk: ["Helps with Evaluation"]})
    assert [r.partner for r in referrals] == [partner, other_partner]
    assert referrals[0].reasons == ["Helps with Evaluation"] and referrals[1].reasons == []
    assert OutboundEmail.objects.filter(template="referral_sent").count() == 2


@pytest.mark.django_db
def test_a_declined_referral_can_be_rerouted_once_to_another_partner(inquiry, partner, partner_contact, other_partner,
                                                                     other_partner_contact, hub_lead):
    declined = _send(inquiry, partner, hub_lead)
    services.referral_decline(referral=declined, contact=partner_contact, reason="no_capacity")
    with pytest.raises(services.ReferralRefused) as same:
        services.referral_reroute(referral=declined, partner=partner, by=hub_lead)
    assert same.value.reason == "same_partner"

    rerouted = services.referral_reroute(referral=declined, partner=other_partner, by=hub_lead, message="Over to you")
    assert rerouted.rerouted_from == declined
    assert rerouted.status == Referral.Status.SENT
    assert inquiry.events.filter(kind=InquiryEvent.Kind.REFERRAL_SENT).last().description == (
        "Referred to Bournemouth University (instead of Health Innovation Wessex, who declined)")
    with pytest.raises(services.ReferralRefused) as again:
        services.referral_reroute(referral=declined, partner=other_partner, by=hub_lead)
    assert again.value.reason == "already_rerouted"
    with pytest.raises(services.ReferralRefused) as open_one:
        services.referral_reroute(referral=rerouted, partner=partner, by=hub_lead)
    assert open_one.value.reason == "not_declined"
    assert Referral.objects.count() == 2


@pytest.mark.django_db
def test_a_partner_with_referrals_cannot_be_deleted(inquiry, partner, partner_contact, hub_lead):
    from partners.services import PartnerInUse, partner_delete

    _send(inquiry, partner, hub_lead)
    with pytest.raises(PartnerInUse) as refused:
        partner_delete(partner=partner)
    assert refused.value.referrals
    assert type(partner).objects.filter(pk=partner.pk).exists()


@pytest.mark.django_db
def test_a_partner_without_referrals_can_be_deleted_with_its_services_and_contacts(partner, partner_contact):
    from partners.models import PartnerContact, PartnerService
    from partners.services import partner_delete

    partner_delete(partner=partner)
    assert not PartnerService.objects.exists() and not PartnerContact.objects.exists()


@pytest.mark.django_db
def test_services_keep_the_tag_index_the_matcher_searches(partner):
    service = PartnerServiceFactory(partner=partner, name="Mixed", support_needs=["funding"], themes=["core20"],
                                    innovation_types=["digital"], stages=["idea"])
    assert service.tag_index == "|need:funding|theme:core20|type:digital|stage:idea|"
    service.support_needs = ["ppie"]
    service.save(update_fields=["support_needs"])
    service.refresh_from_db()
    assert service.tag_index.startswith("|need:ppie|")
