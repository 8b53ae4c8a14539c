"""seed_demo: realistic inquiries in bulk, consistent with their lifecycle, references that never clash."""

import datetime as dt
import io
import re
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F, Q
from django.utils import timezone

from devtools.management.commands.seed_demo import seed_demo
from hubportal.models import Hub, HubMembership, User
from intake import services
from intake.models import Checklist, InformationRequest, Inquiry, InquiryEvent, ReferenceCounter
from signposting.models import Referral
from tests.factories import DraftFactory

S = Inquiry.Status
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def inconsistent():
    """Inquiries whose fields disagree with their status."""
    return Inquiry.objects.filter(
        Q(status=S.SUBMITTED, first_response_at__isnull=False)
        | Q(status__in=[S.IN_REVIEW, S.AWAITING_INFO, S.ROUTED, S.IN_SUPPORT, S.CLOSED], first_response_at__isnull=True)
        | Q(status__in=[S.SUBMITTED, S.IN_REVIEW, S.AWAITING_INFO], decided_at__isnull=False)
        | Q(status__in=[S.ROUTED, S.IN_SUPPORT, S.CLOSED], decided_at__isnull=True)
        | Q(status=S.CLOSED, closed_at__isnull=True) | Q(status=S.CLOSED, outcome="")
        | (~Q(status=S.CLOSED) & (Q(closed_at__isnull=False) | ~Q(outcome="")))
        | Q(first_response_at__lt=F("submitted_at")) | Q(decided_at__lt=F("first_response_at"))
        | Q(closed_at__lt=F("decided_at")) | Q(reference__isnull=True) | Q(triage_due_on__isnull=True)
    )


@pytest.mark.django_db
def test_it_loads_the_demo_hubs_when_there_are_none_and_spreads_inquiries_across_them():
    out = io.StringIO()
    call_command("seed_demo", inquiries=400, seed=3, stdout=out)

    assert Hub.objects.count() == 4
    assert Inquiry.objects.count() == 400
    per_hub = Counter(Inquiry.objects.values_list("hub__code", flat=True))
    assert set(per_hub) == {"BDC", "CAP", "DOR", "MAN"}
    assert min(per_hub.values()) > 60
    assert re.search(r"Created 400 inquiries \(submitted \d+, in review \d+, .*closed \d+\), "
                     r"[\d,]+ timeline events and \d+ information requests, \d+ referrals from 80 submitters",
                     out.getvalue())


@pytest.mark.django_db
def test_each_inquiry_agrees_with_its_status_and_has_the_timeline_that_led_there():
    seed_demo(inquiries=600, seed=4, now=NOW)

    assert inconsistent().count() == 0
    statuses = Counter(Inquiry.objects.values_list("status", flat=True))
    assert set(statuses) == {S.SUBMITTED, S.IN_REVIEW, S.AWAITING_INFO, S.ROUTED, S.IN_SUPPORT, S.CLOSED}
    assert statuses[S.CLOSED] > statuses[S.SUBMITTED]
    # Every inquiry was sent once, and none of it happened after "now" or more than 18 months ago.
    submitted_events = Counter(InquiryEvent.objects.filter(kind=InquiryEvent.Kind.SUBMITTED)
                               .values_list("inquiry_id", flat=True))
    assert set(submitted_events.values()) == {1} and len(submitted_events) == 600
    assert not Inquiry.objects.filter(Q(updated_at__gt=NOW) | Q(closed_at__gt=NOW)).exists()
    assert not InquiryEvent.objects.filter(created_at__gt=NOW).exists()
    assert not Inquiry.objects.filter(submitted_at__lt=NOW - dt.timedelta(days=549)).exists()
    assert Inquiry.objects.filter(status=S.CLOSED).count() == InquiryEvent.objects.filter(
        kind=InquiryEvent.Kind.CLOSED).count()
    # The last change is the last event.
    inquiry = Inquiry.objects.filter(status=S.CLOSED).first()
    assert inquiry.updated_at == inquiry.closed_at == inquiry.events.last().created_at


@pytest.mark.django_db
def test_waiting_for_information_means_exactly_one_unanswered_question():
    seed_demo(inquiries=600, seed=5, now=NOW)

    awaiting = set(Inquiry.objects.filter(status=S.AWAITING_INFO).values_list("pk", flat=True))
    open_questions = list(InformationRequest.objects.filter(answered_at__isnull=True)
                          .values_list("inquiry_id", flat=True))
    assert awaiting and sorted(open_questions) == sorted(awaiting)
    assert not InformationRequest.objects.filter(answered_at__isnull=False, answer="").exists()


@pytest.mark.django_db
def test_assignees_are_members_of_the_inquirys_hub():
    seed_demo(inquiries=300, seed=6, now=NOW)

    assigned = Inquiry.objects.filter(assignee__isnull=False)
    assert assigned.count() > 150
    assert not assigned.exclude(assignee__hub_memberships__hub=F("hub")).exists()
    # Each hub has its lead and three team members.
    assert Counter(HubMembership.objects.values_list("hub__code", flat=True)) == {
        "BDC": 4, "CAP": 4, "DOR": 4, "MAN": 4}


@pytest.mark.django_db
def test_references_continue_each_hubs_count_for_the_year_and_live_submissions_follow_on(submitter):
    call_command("load_demo", stdout=io.StringIO())
    dorset = Hub.objects.get(code="DOR")
    year = timezone.localdate().year
    ReferenceCounter.objects.create(hub=dorset, year=year, last_number=7)

    seed_demo(inquiries=300, seed=7, hub_code="DOR")

    numbers = sorted(int(ref[-5:]) for ref in Inquiry.objects.filter(reference__startswith=f"DOR-{year}-")
                     .values_list("reference", flat=True))
    assert numbers == list(range(8, 8 + len(numbers)))
    for counter in ReferenceCounter.objects.filter(hub=dorset):
        assert counter.last_number == Inquiry.objects.filter(reference__startswith=f"DOR-{counter.year}-").count() + (
            7 if counter.year == year else 0)
    # Earlier years' references start at 1 and rise with the date sent.
    earlier = list(Inquiry.objects.filter(reference__startswith=f"DOR-{year - 1}-").order_by("submitted_at")
                   .values_list("reference", flat=True))
    assert earlier[0] == f"DOR-{year - 1}-00001" and earlier == sorted(earlier)

    draft = DraftFactory(submitter=submitter, hub=dorset)
    sent = services.inquiry_submit(inquiry=draft, by=submitter)
    assert sent.reference == f"DOR-{year}-{numbers[-1] + 1:05d}"


@pytest.mark.django_db
def test_running_it_again_adds_more_without_clashing_and_reuses_the_people():
    seed_demo(inquiries=250, seed=8)
    people = User.objects.count()

    seed_demo(inquiries=250, seed=8)

    assert Inquiry.objects.count() == 500
    assert Inquiry.objects.values("reference").distinct().count() == 500
    assert User.objects.count() == people


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_inquiries():
    seed_demo(inquiries=40, seed=9, now=NOW, hub_code="MAN")
    first = list(Inquiry.objects.order_by("pk").values_list("title", "submitted_at", "status", "organisation"))

    seed_demo(inquiries=40, seed=9, now=NOW, hub_code="MAN")

    second = list(Inquiry.objects.order_by("pk").values_list("title", "submitted_at", "status", "organisation"))[40:]
    assert second == first


@pytest.mark.django_db
def test_it_writes_plausible_inquiries_in_nhs_innovation_vocabulary():
    seed_demo(inquiries=200, seed=10, now=NOW, hub_code="CAP")

    # Lower case: a title may start with a verb ("Piloting falls prevention programme ...").
    titles = " ".join(Inquiry.objects.values_list("title", flat=True)).lower()
    for phrase in ("Virtual ward", "Remote monitoring", "AI triage", "Digital inclusion", "Falls prevention"):
        assert phrase.lower() in titles
    inquiry = Inquiry.objects.first()
    assert len(inquiry.problem) > 80 and inquiry.proposed_innovation and inquiry.evidence
    assert inquiry.themes and inquiry.support_needed and inquiry.organisation and inquiry.role
    assert inquiry.contact_name == inquiry.submitter.full_name
    assert inquiry.submitter.email.endswith("@nhs.net") and not inquiry.submitter.has_usable_password()


@pytest.mark.django_db
def test_an_unknown_hub_or_a_count_below_one_is_refused():
    call_command("load_demo", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no active hub with the code 'XYZ'"):
        call_command("seed_demo", inquiries=5, hub="XYZ")
    with pytest.raises(CommandError, match="at least 1"):
        call_command("seed_demo", inquiries=0)
    assert Inquiry.objects.count() == 0


@pytest.mark.django_db
def test_it_gives_cases_in_every_stage_with_milestones_benefits_with_actuals_and_survey_answers():
    from adoption.models import BenefitActual, Case, Milestone, StageVisit, Survey

    seed_demo(inquiries=600, seed=5, now=NOW)
    in_support = Inquiry.objects.filter(status=S.IN_SUPPORT)
    assert Case.objects.filter(inquiry__in=in_support).count() == in_support.count() > 0
    open_cases = Case.objects.filter(status__in=Case.OPEN_STATUSES)
    assert set(open_cases.values_list("stage__slug", flat=True)) == {"explore", "test", "adopt"}
    assert Milestone.objects.filter(case__in=open_cases).count() == 2 * open_cases.count()
    assert BenefitActual.objects.exists()
    assert Survey.objects.filter(answered_at__isnull=False, satisfaction__gte=1).exists()
    # Nothing in the future, and every case has exactly one current stage while open.
    assert not Case.objects.filter(stage_entered_at__gt=NOW).exists()
    assert not BenefitActual.objects.filter(recorded_at__gt=NOW).exists()
    assert StageVisit.objects.filter(left_at__isnull=True).count() == open_cases.count()


R = Referral.Status


def referrals_inconsistent():
    """Referrals whose fields disagree with their status, their inquiry's status or the clock."""
    return Referral.objects.filter(
        Q(viewed_at__isnull=True, status__in=[R.VIEWED, R.ACCEPTED, R.DECLINED, R.COMPLETED])
        | Q(accepted_at__isnull=True, status__in=[R.ACCEPTED, R.COMPLETED])
        | Q(status=R.DECLINED, decline_reason="") | Q(status=R.DECLINED, declined_at__isnull=True)
        | Q(status=R.COMPLETED, outcome="") | Q(status=R.COMPLETED, completed_at__isnull=True)
        | Q(status=R.CLOSED, close_reason="") | Q(status=R.CLOSED, closed_at__isnull=True)
        | Q(viewed_at__lt=F("sent_at")) | Q(accepted_at__lt=F("viewed_at")) | Q(declined_at__lt=F("viewed_at"))
        | Q(completed_at__lt=F("accepted_at")) | Q(sent_at__lt=F("inquiry__decided_at"))
        | Q(sent_at__gt=NOW) | Q(viewed_at__gt=NOW) | Q(accepted_at__gt=NOW) | Q(declined_at__gt=NOW)
        | Q(completed_at__gt=NOW) | Q(closed_at__gt=NOW) | Q(closed_at__gt=F("inquiry__closed_at"))
        | Q(status__in=Referral.OPEN_STATUSES, inquiry__status=S.CLOSED)
        | ~Q(partner__hubs=F("inquiry__hub")) & Q(partner__serves_all_hubs=False)
    )


@pytest.mark.django_db
def test_routed_and_in_support_inquiries_have_referrals_in_matching_states_with_partner_answers():
    seed_demo(inquiries=800, seed=11, now=NOW)

    assert Referral.objects.exists()
    assert referrals_inconsistent().count() == 0
    # Routed: sent to partners, none of which has taken it on yet (accepting starts support).
    for inquiry in Inquiry.objects.filter(status=S.ROUTED).prefetch_related("referrals"):
        states = {r.status for r in inquiry.referrals.all()}
        assert states and states <= {R.SENT, R.VIEWED, R.DECLINED}, inquiry.reference
    # In support: a partner accepted it (and may have finished), and support started when it did.
    for inquiry in Inquiry.objects.filter(status=S.IN_SUPPORT).prefetch_related("referrals", "events"):
        accepted = [r.accepted_at for r in inquiry.referrals.all() if r.status in (R.ACCEPTED, R.COMPLETED)]
        assert accepted, inquiry.reference
        started = next(e.created_at for e in inquiry.events.all() if e.kind == InquiryEvent.Kind.SUPPORT_STARTED)
        assert started == min(accepted)
    # Never routed: no referrals.
    assert not Referral.objects.filter(inquiry__status__in=[S.SUBMITTED, S.IN_REVIEW, S.AWAITING_INFO]).exists()
    assert not Referral.objects.filter(inquiry__status=S.CLOSED, inquiry__first_response_at__isnull=True).exists()
    # Every state a partner's pages, the digest and the metrics show is there, with the reasons given.
    # Every status but a hand-back (adoption's follow-through), which the demo does not make.
    assert set(Referral.objects.values_list("status", flat=True)) == set(R.values) - {R.HANDED_BACK}
    assert not Referral.objects.filter(status=R.DECLINED, decline_details="").exists()
    assert not Referral.objects.filter(status=R.COMPLETED, outcome_details="").exists()
    # One timeline line per partner answer.
    for status, kind in ((R.DECLINED, "referral_declined"), (R.COMPLETED, "referral_completed"),
                         (R.CLOSED, "referral_closed")):
        assert Referral.objects.filter(status=status).count() == InquiryEvent.objects.filter(kind=kind).count()
    assert Referral.objects.filter(accepted_at__isnull=False).count() == InquiryEvent.objects.filter(
        kind="referral_accepted").count()
    # Closed after routing: the inquiry's last line is still its closing.
    inquiry = Inquiry.objects.filter(status=S.CLOSED, referrals__isnull=False).first()
    assert inquiry.updated_at == inquiry.closed_at == inquiry.events.last().created_at


@pytest.mark.django_db
def test_the_referrals_show_on_the_referrals_page_the_partners_page_and_in_their_digest(client):
    from types import SimpleNamespace

    from django.urls import reverse
    from django.utils.html import escape

    from partners.models import PartnerContact
    from signposting.digests import partner_digests
    from tests.conftest import sign_in_staff
    from tests.partners.conftest import sign_in_partner

    seed_demo(inquiries=300, seed=12)

    digests = partner_digests(SimpleNamespace(frequency="weekly"))
    assert digests and all(d["referrals"] for d in digests.values())
    waiting = Referral.objects.filter(status__in=[R.SENT, R.VIEWED], partner__is_active=True).select_related(
        "partner", "inquiry__hub").first()
    contact = PartnerContact.objects.filter(partner=waiting.partner, receives_referrals=True, is_active=True).first()
    page = sign_in_partner(client, contact.email).get(reverse("signposting:partner_home")).content.decode()
    assert waiting.inquiry.reference in page
    hub = waiting.inquiry.hub
    staff = sign_in_staff(client.__class__(), hub.memberships.filter(role="lead").first().user)
    page = staff.get(reverse("signposting:hub_referrals", args=[hub.slug])).content.decode()
    assert escape(waiting.partner.name) in page  # "Community Action Bradford &amp; District"


@pytest.mark.django_db
def test_every_demo_hub_has_a_triage_checklist():
    call_command("load_demo", stdout=io.StringIO())

    for hub in Hub.objects.all():
        checklist = Checklist.objects.filter(hub=hub, is_active=True, kind=Checklist.Kind.TRIAGE).first()
        assert checklist is not None, hub.code
        assert checklist.criteria.count() >= 3
