"""The inquiry's lifecycle and its referrals' never contradict each other (signposting/lifecycle.py).

Every inquiry change that ends sharing (close, withdraw, duplicate, erase, consent withdrawn) is tried
against a referral in every state (sent, viewed, accepted, declined, completed, closed).
"""

import pytest
from django.urls import reverse

from hubportal.models import OutboundEmail
from intake import services as intake_services
from intake.models import Inquiry, InquiryEvent
from signposting import services
from signposting.models import Referral
from tests.factories import SubmittedFactory
from tests.partners.conftest import sign_in_partner
from tests.partners.factories import PartnerContactFactory

from .helpers import assert_text_and_html, emails_to

OPEN = ("sent", "viewed", "accepted")


def _referral_in(state, *, inquiry, partner, contact, hub_lead):
    referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead, message="Please evaluate")
    if state == "viewed":
        services.referral_view(referral=referral, contact=contact)
    elif state in ("accepted", "completed"):
        services.referral_accept(referral=referral, contact=contact)
        if state == "completed":
            services.referral_complete(referral=referral, contact=contact, outcome="support_given")
    elif state == "declined":
        services.referral_decline(referral=referral, contact=contact, reason="no_capacity")
    elif state == "closed":
        services.referral_close_by_hub(referral=referral, by=hub_lead)
    referral.refresh_from_db()
    assert referral.status == state
    return referral


def _end_sharing(event, *, inquiry, hub_lead, submitter):
    inquiry = Inquiry.objects.get(pk=inquiry.pk)
    if event == "close":
        intake_services.inquiry_close(inquiry=inquiry, by=hub_lead, outcome="not_progressed",
                                      reason="Jo's trust has no budget", version=inquiry.version)
    elif event == "withdraw":
        intake_services.inquiry_close(inquiry=inquiry, by=hub_lead, outcome="withdrawn",
                                      reason="Jo asked to withdraw", version=inquiry.version)
    elif event == "duplicate":
        original = SubmittedFactory(submitter=submitter, hub=inquiry.hub)
        intake_services.inquiry_mark_duplicate(inquiry=inquiry, by=hub_lead, original=original,
                                               version=inquiry.version)
    elif event == "erase":
        # No erasure service yet: this is the hook it must call, in its transaction.
        intake_services.inquiry_sharing_ended(inquiry=inquiry, event="erased", by=hub_lead)
    elif event == "consent":
        services.consent_withdraw(inquiry=inquiry, by=submitter)


# What each inquiry change does to an open referral: its close reason, and the inquiry's status after
# (for a referral that was sent or viewed, so the inquiry was routed).
ENDINGS = {
    "close": ("inquiry_closed", "closed"),
    "withdraw": ("inquiry_withdrawn", "closed"),
    "duplicate": ("inquiry_duplicate", "closed"),
    "erase": ("inquiry_erased", "in_review"),  # erasure would then remove the inquiry itself
    "consent": ("consent_withdrawn", "in_review"),
}


def _partner_acts(referral, contact):
    return {
        "accept": lambda: services.referral_accept(referral=referral, contact=contact),
        "decline": lambda: services.referral_decline(referral=referral, contact=contact, reason="other"),
        "complete": lambda: services.referral_complete(referral=referral, contact=contact, outcome="support_given"),
        "ask": lambda: services.referral_ask(referral=referral, contact=contact, question="Still there?"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["sent", "viewed", "accepted", "declined", "completed", "closed"])
@pytest.mark.parametrize("event", list(ENDINGS))
def test_it_closes_open_referrals_once_when_the_inquiry_stops_being_shared_and_leaves_the_others(
        event, state, inquiry, partner, partner_contact, hub_lead, submitter):
    colleague = PartnerContactFactory(partner=partner, name="Tom Reed", email="tom@wessex.example.org")
    referral = _referral_in(state, inquiry=inquiry, partner=partner, contact=partner_contact, hub_lead=hub_lead)
    before = referral.status, referral.close_reason, referral.updated_at
    closed_rows_before = OutboundEmail.objects.filter(template="referral_closed").count()

    _end_sharing(event, inquiry=inquiry, hub_lead=hub_lead, submitter=submitter)

    referral.refresh_from_db()
    inquiry.refresh_from_db()
    reason, inquiry_after = ENDINGS[event]
    new_rows = OutboundEmail.objects.filter(template="referral_closed").order_by("pk")[closed_rows_before:]
    if state in OPEN:
        assert (referral.status, referral.close_reason) == ("closed", reason)
        assert referral.closed_at is not None
        # Each of the partner's referral contacts is told once, keyed to the referral and contact.
        assert sorted(row.to for row in new_rows) == sorted([colleague.email, partner_contact.email])
        assert sorted(row.key for row in new_rows) == sorted(
            f"referral:{referral.pk}:closed:{c.pk}" for c in (partner_contact, colleague))
        assert InquiryEvent.objects.filter(inquiry=inquiry, kind="referral_closed").count() == 1
        # Ending sharing again (a retry, or consent withdrawn after closing) tells nobody twice.
        intake_services.inquiry_sharing_ended(inquiry=inquiry, event="erased", by=hub_lead)
        assert OutboundEmail.objects.filter(template="referral_closed").count() == closed_rows_before + 2
        referral.refresh_from_db()
        assert referral.close_reason == reason
    else:
        assert (referral.status, referral.close_reason, referral.updated_at) == before
        assert list(new_rows) == []

    if event in ("close", "withdraw", "duplicate"):
        assert inquiry.status == "closed"
    elif state in ("sent", "viewed"):
        assert inquiry.status == inquiry_after
    elif state == "declined":
        # Nothing left open with a partner: ending sharing takes it out of routed as well.
        assert inquiry.status == "in_review"
    elif state in ("accepted", "completed"):
        assert inquiry.status == "in_support"  # the hub may be supporting it itself

    # Whatever it was, the partner can no longer change the referral.
    for name, act in _partner_acts(referral, partner_contact).items():
        with pytest.raises(services.ReferralTransitionNotAllowed):
            act()
        referral.refresh_from_db()
        assert referral.status in ("closed", "declined", "completed"), name
    assert not referral.is_open


@pytest.mark.django_db
def test_it_closes_every_open_referral_of_the_inquiry_with_the_inquiry_in_one_transaction(
        inquiry, partner, partner_contact, other_partner, other_partner_contact, hub_lead, monkeypatch):
    services.referral_send_many(inquiry=inquiry, partners=[partner, other_partner], by=hub_lead)
    inquiry.refresh_from_db()

    def refuse(**kwargs):
        raise RuntimeError("the outbox is full")

    # If telling the second partner fails, nothing happened: the inquiry is not closed without them.
    calls = []
    real = services.emails.referral_closed
    monkeypatch.setattr(services.emails, "referral_closed",
                        lambda **kw: (calls.append(kw), refuse() if len(calls) > 1 else real(**kw))[1])
    with pytest.raises(RuntimeError):
        intake_services.inquiry_close(inquiry=inquiry, by=hub_lead, outcome="not_progressed", reason="",
                                      version=inquiry.version)
    inquiry.refresh_from_db()
    assert inquiry.status == "routed"
    assert set(Referral.objects.values_list("status", flat=True)) == {"sent"}
    assert not OutboundEmail.objects.filter(template="referral_closed").exists()


@pytest.mark.django_db
def test_it_tells_the_partner_the_coded_reason_and_a_link_but_nothing_about_the_person(
        inquiry, partner, partner_contact, hub_lead, outbox, django_capture_on_commit_callbacks):
    referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    inquiry.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        intake_services.inquiry_close(inquiry=inquiry, by=hub_lead, outcome="withdrawn",
                                      reason="Jo Bloggs is off sick", version=inquiry.version)
    [message] = [m for m in emails_to(partner_contact.email) if "is closed" in m.subject]
    assert message.subject == "Referral DOR-2026-00001 is closed"
    assert_text_and_html(message, "The person who made the inquiry withdrew it",
                         f"/partner/referrals/{referral.public_id}/",
                         absent=["Jo Bloggs", "off sick", "Virtual ward pilot"])


@pytest.mark.django_db
def test_the_partner_page_says_why_instead_of_buttons_once_the_hub_closes_the_inquiry(
        client, inquiry, partner, partner_contact, hub_lead):
    referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    sign_in_partner(client, partner_contact.email)
    page = client.get(reverse("signposting:partner_referral", args=[referral.public_id])).content.decode()
    assert "Accept the referral" in page
    inquiry.refresh_from_db()
    intake_services.inquiry_mark_duplicate(inquiry=inquiry, by=hub_lead, version=inquiry.version,
                                           original=SubmittedFactory(submitter=inquiry.submitter, hub=inquiry.hub))
    inquiry.refresh_from_db()
    page = client.get(reverse("signposting:partner_referral", args=[referral.public_id])).content.decode()
    day = f"{inquiry.closed_at.astimezone(__import__('zoneinfo').ZoneInfo('Europe/London')):%-d %B %Y}"
    assert (f"This inquiry was closed by the hub on {day}: the inquiry repeats another one the hub already has"
            in page)
    for absent in ("Accept the referral", "Decline the referral", "Ask the hub a question", "Record the outcome"):
        assert absent not in page
    # Posting anyway changes nothing, and says why.
    response = client.post(reverse("signposting:referral_accept", args=[referral.public_id]), follow=True)
    assert f"This inquiry was closed by the hub on {day}" in response.content.decode()
    for name in ("referral_decline", "referral_question", "referral_outcome"):
        response = client.get(reverse(f"signposting:{name}", args=[referral.public_id]), follow=True)
        assert f"This inquiry was closed by the hub on {day}" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == "closed" and referral.accepted_at is None


@pytest.mark.django_db
def test_a_partner_cannot_complete_an_accepted_referral_once_its_inquiry_is_closed(
        inquiry, partner, partner_contact, hub_lead):
    referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    services.referral_accept(referral=referral, contact=partner_contact)
    # A referral left accepted on a closed inquiry (data from before the rule): the SQL guard still refuses.
    Inquiry.objects.filter(pk=inquiry.pk).update(status="closed", outcome="adopted")
    with pytest.raises(services.ReferralInquiryClosed) as refused:
        services.referral_complete(referral=referral, contact=partner_contact, outcome="support_given")
    assert refused.value.notice.startswith("This inquiry was closed by the hub on")
    with pytest.raises(services.ReferralChanged):
        services._guarded_move(referral, from_status="accepted", to="completed", outcome="support_given")
    referral.refresh_from_db()
    assert referral.status == "accepted" and referral.completed_at is None


@pytest.mark.django_db
def test_closing_the_last_open_referral_of_a_routed_inquiry_returns_it_to_review(
        inquiry, partner, partner_contact, other_partner, other_partner_contact, hub_lead):
    first, second = services.referral_send_many(inquiry=inquiry, partners=[partner, other_partner], by=hub_lead)
    services.referral_close_by_hub(referral=first, by=hub_lead)
    assert Inquiry.objects.get(pk=inquiry.pk).status == "routed"
    services.referral_close_by_hub(referral=second, by=hub_lead)
    inquiry.refresh_from_db()
    assert inquiry.status == "in_review"
    event = inquiry.events.filter(kind=InquiryEvent.Kind.STATUS_CHANGED).get()
    assert event.description == "No partner organisation has it any more"


@pytest.mark.django_db
@pytest.mark.parametrize("state, expected", [
    ("sent", {"close"}), ("viewed", {"close"}), ("accepted", {"close"}), ("declined", {"reroute"}),
    ("completed", set()), ("closed", set()),
])
def test_the_staff_panel_offers_what_the_lifecycle_allows_on_each_referral(
        lead_client, hub, inquiry, partner, partner_contact, hub_lead, state, expected):
    referral = _referral_in(state, inquiry=inquiry, partner=partner, contact=partner_contact, hub_lead=hub_lead)
    url = reverse("intake:staff_inquiry", args=[hub.slug, inquiry.reference])
    close_url = reverse("signposting:referral_close", args=[hub.slug, inquiry.reference, referral.public_id])
    reroute_url = reverse("signposting:referral_reroute", args=[hub.slug, inquiry.reference, referral.public_id])
    page = lead_client.get(url).content.decode()
    assert (close_url in page, reroute_url in page) == ("close" in expected, "reroute" in expected)
    # Once the inquiry is closed: nothing to close (it closed them) and nothing to re-route.
    inquiry.refresh_from_db()
    intake_services.inquiry_close(inquiry=inquiry, by=hub_lead, outcome="not_progressed", reason="",
                                  version=inquiry.version)
    page = lead_client.get(url).content.decode()
    assert close_url not in page and reroute_url not in page
