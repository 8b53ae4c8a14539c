"""Each transition of a referral: sent -> viewed -> accepted | declined -> completed, and closing."""

import threading

import pytest
from django.db import connection

from hubportal.models import EmailLink, HubMembership, OutboundEmail
from intake.models import Inquiry, InquiryEvent
from signposting import services
from signposting.models import Referral, ReferralQuestion
from tests.factories import UserFactory
from tests.partners.factories import PartnerContactFactory

from .helpers import assert_text_and_html, emails_to, referral_link_path, rows


@pytest.fixture
def referral(inquiry, partner, partner_contact, hub_lead):
    return services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead, message="Please evaluate")


@pytest.mark.django_db
def test_a_referral_carries_its_inquirys_hub(referral, inquiry, partner, hub_lead):
    assert Referral.objects.get(pk=referral.pk).hub_id == inquiry.hub_id
    # However it is made: a referral saved without a hub takes its inquiry's.
    other = Referral(inquiry=inquiry, partner=partner, sent_by=hub_lead, status=Referral.Status.DECLINED)
    other.save()
    assert Referral.objects.get(pk=other.pk).hub_id == inquiry.hub_id


def _events(inquiry, kind):
    return list(InquiryEvent.objects.filter(inquiry=inquiry, kind=kind))


@pytest.mark.django_db
def test_viewing_marks_it_viewed_once_on_the_internal_timeline(referral, partner_contact):
    services.referral_view(referral=referral, contact=partner_contact)
    services.referral_view(referral=referral, contact=partner_contact)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.VIEWED and referral.viewed_at
    [event] = _events(referral.inquiry, InquiryEvent.Kind.REFERRAL_VIEWED)
    assert event.description == "Health Innovation Wessex (Priya Natarajan)"
    assert not event.is_visible_to_submitter


@pytest.mark.django_db
def test_accepting_tells_the_submitter_who_is_helping_and_starts_support(
        referral, partner_contact, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_accept(referral=referral, contact=partner_contact)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    assert referral.accepted_by == partner_contact and referral.accepted_at and referral.viewed_at
    inquiry = Inquiry.objects.get(pk=referral.inquiry_id)
    assert inquiry.status == Inquiry.Status.IN_SUPPORT
    [event] = _events(inquiry, InquiryEvent.Kind.REFERRAL_ACCEPTED)
    assert event.description == "Health Innovation Wessex will help you" and event.is_visible_to_submitter

    [to_submitter] = emails_to("jo.bloggs@nhs.net")
    assert to_submitter.subject == "Health Innovation Wessex will help with your inquiry DOR-2026-00001"
    assert_text_and_html(to_submitter, "Health Innovation Wessex", "DOR-2026-00001",
                         f"/inquiries/{inquiry.public_id}/", absent=["Virtual ward pilot"])
    # The contact gets a fresh link, for recording the outcome later.
    [outcome_email] = emails_to("priya@wessex.example.org")
    assert outcome_email.subject == "Record the outcome of referral DOR-2026-00001"
    assert_text_and_html(outcome_email, "90 days")
    referral_link_path("priya@wessex.example.org")
    assert EmailLink.objects.filter(purpose=EmailLink.Purpose.REFERRAL, email="priya@wessex.example.org").count() == 2


@pytest.mark.django_db
def test_declining_records_the_reason_and_tells_the_hub_lead_and_assignee(
        referral, partner_contact, hub_lead, hub_member, outbox, django_capture_on_commit_callbacks):
    Inquiry.objects.filter(pk=referral.inquiry_id).update(assignee=hub_member)
    referral.inquiry.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_decline(referral=referral, contact=partner_contact, reason="no_capacity",
                                  details="Try again in April")
    referral.refresh_from_db()
    assert (referral.status, referral.decline_reason, referral.decline_details, referral.declined_by) == (
        Referral.Status.DECLINED, "no_capacity", "Try again in April", partner_contact)
    assert not referral.shares_inquiry
    [event] = _events(referral.inquiry, InquiryEvent.Kind.REFERRAL_DECLINED)
    assert event.description == ("Health Innovation Wessex (Priya Natarajan): We do not have capacity at the "
                                 "moment")
    assert not event.is_visible_to_submitter
    assert sorted(m.to[0] for m in outbox) == ["lead.dorset@example.nhs.uk", "member.dorset@example.nhs.uk"]
    message = emails_to("lead.dorset@example.nhs.uk")[0]
    assert message.subject == "Health Innovation Wessex declined the referral of DOR-2026-00001"
    assert_text_and_html(message, "DOR-2026-00001", "/staff/dorset/inquiries/DOR-2026-00001/",
                         absent=["Try again in April", "Virtual ward pilot"])
    assert emails_to("jo.bloggs@nhs.net") == []  # the submitter is not told who declined


@pytest.mark.django_db
def test_completing_records_the_outcome_and_tells_the_hub(referral, partner_contact, hub_lead, outbox,
                                                          django_capture_on_commit_callbacks):
    services.referral_accept(referral=referral, contact=partner_contact)
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_complete(referral=referral, contact=partner_contact, outcome="support_given",
                                   details="Evaluation plan agreed")
    referral.refresh_from_db()
    assert (referral.status, referral.outcome, referral.outcome_details, referral.completed_by) == (
        Referral.Status.COMPLETED, "support_given", "Evaluation plan agreed", partner_contact)
    [event] = _events(referral.inquiry, InquiryEvent.Kind.REFERRAL_COMPLETED)
    assert event.description == "Health Innovation Wessex: We gave the support asked for"
    message = emails_to("lead.dorset@example.nhs.uk")[-1]
    assert message.subject == "Health Innovation Wessex recorded the outcome of DOR-2026-00001"
    assert_text_and_html(message, "DOR-2026-00001", absent=["Evaluation plan agreed"])


@pytest.mark.django_db
def test_asking_a_question_stores_it_and_emails_the_hub_a_link_not_the_question(
        referral, partner_contact, hub_lead, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        question = services.referral_ask(referral=referral, contact=partner_contact,
                                         question="Is there ethics approval yet?")
    assert ReferralQuestion.objects.get() == question
    assert (question.asked_by_name, question.asked_by_email) == ("Priya Natarajan", "priya@wessex.example.org")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.VIEWED
    [event] = _events(referral.inquiry, InquiryEvent.Kind.PARTNER_QUESTION)
    assert not event.is_visible_to_submitter
    [message] = emails_to("lead.dorset@example.nhs.uk")
    assert_text_and_html(message, "asked a question", absent=["ethics approval"])


@pytest.mark.django_db
def test_a_transition_the_table_does_not_allow_is_refused_and_changes_nothing(referral, partner_contact):
    with pytest.raises(services.ReferralTransitionNotAllowed):
        services.referral_complete(referral=referral, contact=partner_contact, outcome="support_given")
    services.referral_decline(referral=referral, contact=partner_contact, reason="out_of_scope")
    for act in (lambda: services.referral_accept(referral=referral, contact=partner_contact),
                lambda: services.referral_decline(referral=referral, contact=partner_contact, reason="other"),
                lambda: services.referral_ask(referral=referral, contact=partner_contact, question="?")):
        with pytest.raises(services.ReferralTransitionNotAllowed):
            act()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECLINED
    assert ReferralQuestion.objects.count() == 0


@pytest.mark.django_db
def test_only_a_contact_of_the_referrals_partner_can_answer_it(referral, other_partner_contact):
    with pytest.raises(services.ReferralNotYours):
        services.referral_accept(referral=referral, contact=other_partner_contact)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT


@pytest.mark.django_db
def test_of_two_answers_at_once_only_the_first_counts(referral, partner, partner_contact):
    colleague = PartnerContactFactory(partner=partner, name="Tom Reed")
    services.referral_view(referral=referral, contact=colleague)
    stale = Referral.objects.get(pk=referral.pk)  # read by the colleague's page before Priya accepted
    services.referral_accept(referral=referral, contact=partner_contact)
    # The SQL guard itself refuses: the conditional UPDATE names the status the colleague saw (viewed),
    # and the referral is no longer viewed. _move's Python pre-check is not involved here.
    with pytest.raises(services.ReferralChanged):
        services._guarded_move(stale, from_status=stale.status, to=Referral.Status.DECLINED,
                               declined_by=colleague, decline_reason="no_capacity")
    # Through the service, the colleague is refused too.
    with pytest.raises(services.ReferralTransitionNotAllowed):
        services.referral_decline(referral=stale, contact=colleague, reason="no_capacity")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED and referral.declined_at is None
    assert referral.accepted_by == partner_contact
    assert not OutboundEmail.objects.filter(template="referral_declined").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL (CI runs it)")
@pytest.mark.django_db(transaction=True)
def test_of_two_answers_at_once_in_two_threads_both_pass_the_check_and_one_counts(
        inquiry, partner, partner_contact, hub_lead, monkeypatch):
    referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    colleague = PartnerContactFactory(partner=partner, name="Tom Reed")
    # Opened already, so neither answer's own "viewed" UPDATE holds the row while the other waits.
    services.referral_view(referral=referral, contact=partner_contact)
    barrier = threading.Barrier(2, timeout=10)
    real_guarded_move = services._guarded_move

    def guarded_move_after_both_checked(referral, **kwargs):
        # Both threads have passed _move's Python check (viewed may become accepted or declined) by now.
        barrier.wait()
        return real_guarded_move(referral, **kwargs)

    monkeypatch.setattr(services, "_guarded_move", guarded_move_after_both_checked)
    results = {}

    def run(name, act):
        try:
            act(Referral.objects.select_related("partner", "inquiry__hub").get(pk=referral.pk))
            results[name] = "won"
        except services.ReferralChanged:
            results[name] = "refused"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("accept", lambda r: services.referral_accept(
            referral=r, contact=partner_contact))),
        threading.Thread(target=run, args=("decline", lambda r: services.referral_decline(
            referral=r, contact=colleague, reason="no_capacity"))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == ["refused", "won"]
    referral.refresh_from_db()
    winner = [name for name, result in results.items() if result == "won"][0]
    assert referral.status == {"accept": Referral.Status.ACCEPTED, "decline": Referral.Status.DECLINED}[winner]
    assert (referral.accepted_at is not None, referral.declined_at is not None) == (
        winner == "accept", winner == "decline")
    assert InquiryEvent.objects.filter(kind__in=["referral_accepted", "referral_declined"]).count() == 1


@pytest.mark.django_db
def test_the_hub_can_close_an_open_referral_and_the_partner_is_told(referral, partner_contact, hub_lead, outbox,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_close_by_hub(referral=referral, by=hub_lead)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.CLOSED and referral.close_reason == "hub_closed"
    [message] = emails_to("priya@wessex.example.org")[-1:]
    assert message.subject == "Referral DOR-2026-00001 is closed"
    assert_text_and_html(message, "You do not need to do anything more")


@pytest.mark.django_db
def test_staff_of_another_hub_cannot_close_it(referral, other_hub_lead):
    with pytest.raises(services.ReferralNotYours):
        services.referral_close_by_hub(referral=referral, by=other_hub_lead)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT


@pytest.mark.django_db
def test_withdrawing_consent_closes_every_open_referral_and_tells_each_partner(
        inquiry, partner, partner_contact, other_partner, other_partner_contact, hub_lead, submitter, outbox,
        django_capture_on_commit_callbacks):
    open_one = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    declined = services.referral_send(inquiry=inquiry, partner=other_partner, by=hub_lead)
    services.referral_decline(referral=declined, contact=other_partner_contact, reason="out_of_scope")
    outbox.clear()
    OutboundEmail.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        closed = services.consent_withdraw(inquiry=inquiry, by=submitter)

    assert [r.pk for r in closed] == [open_one.pk]
    open_one.refresh_from_db()
    declined.refresh_from_db()
    assert open_one.status == Referral.Status.CLOSED and open_one.close_reason == "consent_withdrawn"
    assert declined.status == Referral.Status.DECLINED
    inquiry.refresh_from_db()
    assert inquiry.consent_share_with_partners is False
    assert _events(inquiry, InquiryEvent.Kind.CONSENT_WITHDRAWN)
    assert [e.description for e in _events(inquiry, InquiryEvent.Kind.REFERRAL_CLOSED)] == [
        "Health Innovation Wessex: The submitter withdrew consent to share with partners"]
    [message] = outbox
    assert message.to == ["priya@wessex.example.org"]
    assert_text_and_html(message, "withdrawn their consent", "delete any copies", absent=["Virtual ward pilot"])
    assert [row.template for row in rows("referral_closed")] == ["referral_closed"]
    # And no new referral can be made.
    with pytest.raises(services.ReferralRefused):
        services.referral_send(inquiry=inquiry, partner=other_partner, by=hub_lead)


@pytest.mark.django_db
def test_only_the_submitter_can_withdraw_consent(inquiry, partner, partner_contact, hub_lead):
    from intake.services import InquiryNotEditable

    referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    with pytest.raises(InquiryNotEditable):
        services.consent_withdraw(inquiry=inquiry, by=hub_lead)
    referral.refresh_from_db()
    inquiry.refresh_from_db()
    assert referral.status == Referral.Status.SENT and inquiry.consent_share_with_partners is True


@pytest.mark.django_db
def test_the_hub_lead_learns_of_declines_even_with_nobody_assigned(referral, partner_contact, hub_lead, outbox,
                                                                   django_capture_on_commit_callbacks):
    other_lead = UserFactory(email="second.lead@example.nhs.uk")
    HubMembership.objects.create(hub=referral.inquiry.hub, user=other_lead, role=HubMembership.Role.LEAD)
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_decline(referral=referral, contact=partner_contact, reason="other", details="Not us")
    assert sorted(m.to[0] for m in outbox) == ["lead.dorset@example.nhs.uk", "second.lead@example.nhs.uk"]
