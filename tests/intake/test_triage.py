import re
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from hubportal.models import OutboundEmail
from intake import services
from intake.models import (
    Assessment,
    Checklist,
    Criterion,
    InformationRequest,
    Inquiry,
    InquiryEvent,
)
from tests.conftest import sign_in_staff
from tests.factories import DraftFactory


@pytest.fixture
def sent(hub, submitter):
    return services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=hub, title="Falls sensor"),
                                   by=submitter)


def decide(client, hub, inquiry, decision, **data):
    url = reverse("intake:staff_inquiry_decide", args=[hub.slug, inquiry.reference, decision])
    return client.post(url, {"version": inquiry.version, **data}, follow=True)


@pytest.mark.django_db
def test_starting_review_is_the_first_response_and_goes_on_the_timeline(lead_client, hub, hub_lead, sent):
    response = decide(lead_client, hub, sent, "start-review")
    assert "Review started" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == Inquiry.Status.IN_REVIEW
    assert sent.first_response_at is not None
    assert sent.version == 1
    event = sent.events.get(kind=InquiryEvent.Kind.REVIEW_STARTED)
    assert event.actor == hub_lead
    assert event.is_visible_to_submitter


@pytest.mark.django_db
def test_two_people_deciding_at_once_cannot_both_win(client, hub, hub_lead, hub_member, sent):
    seen_by_both = sent.version
    stale = Inquiry.objects.get(pk=sent.pk)  # the member's copy, read before the lead decided
    member_client = sign_in_staff(client.__class__(), hub_member)
    lead_client = sign_in_staff(client, hub_lead)
    decide(lead_client, hub, sent, "close", outcome="not_progressed", reason="Out of scope")
    # The SQL guard itself refuses the stale decision: the conditional UPDATE (version and status as the
    # member saw them) finds no row. The Python pre-check in _transition is not involved here.
    with pytest.raises(services.InquiryChanged):
        services._guarded_update(stale, version=seen_by_both, from_statuses=[stale.status],
                                 status=Inquiry.Status.IN_REVIEW)
    # Through the page, the member is told and nothing is saved.
    sent.version = seen_by_both  # the member's page still shows the old version
    response = decide(member_client, hub, sent, "start-review")
    assert "Someone else changed this inquiry while you were looking at it" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == Inquiry.Status.CLOSED
    assert sent.version == seen_by_both + 1
    assert not sent.events.filter(kind=InquiryEvent.Kind.REVIEW_STARTED).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL (CI runs it)")
@pytest.mark.django_db(transaction=True)
def test_two_people_deciding_at_once_in_two_threads_both_pass_the_check_and_one_wins(
        hub, hub_lead, hub_member, sent, monkeypatch):
    seen_by_both = sent.version
    barrier = threading.Barrier(2, timeout=10)
    real_guarded_update = services._guarded_update

    def guarded_update_after_both_checked(inquiry, **kwargs):
        # Both threads have passed _transition's Python check (same version, allowed status) by now.
        barrier.wait()
        return real_guarded_update(inquiry, **kwargs)

    monkeypatch.setattr(services, "_guarded_update", guarded_update_after_both_checked)
    results = {}

    def run(name, act):
        try:
            act(Inquiry.objects.get(pk=sent.pk))
            results[name] = "won"
        except services.InquiryChanged:
            results[name] = "refused"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("lead", lambda i: services.inquiry_close(
            inquiry=i, by=hub_lead, outcome="not_progressed", reason="Out of scope", version=seen_by_both))),
        threading.Thread(target=run, args=("member", lambda i: services.inquiry_start_review(
            inquiry=i, by=hub_member, version=seen_by_both))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == ["refused", "won"]
    sent.refresh_from_db()
    assert sent.version == seen_by_both + 1
    winner = [name for name, result in results.items() if result == "won"][0]
    assert sent.status == {"lead": Inquiry.Status.CLOSED, "member": Inquiry.Status.IN_REVIEW}[winner]
    kinds = set(sent.events.values_list("kind", flat=True))
    assert (InquiryEvent.Kind.CLOSED in kinds) == (winner == "lead")
    assert (InquiryEvent.Kind.REVIEW_STARTED in kinds) == (winner == "member")


@pytest.mark.django_db
def test_a_transition_the_table_does_not_allow_is_refused_with_a_message(lead_client, hub, sent):
    decide(lead_client, hub, sent, "close", outcome="withdrawn", reason="Asked to withdraw")
    sent.refresh_from_db()
    response = decide(lead_client, hub, sent, "start-review")
    assert "This cannot be done now: the inquiry is closed" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == Inquiry.Status.CLOSED
    with pytest.raises(services.TransitionNotAllowed):
        services.inquiry_start_support(inquiry=sent, by=None, version=sent.version)


@pytest.mark.django_db
def test_an_unknown_decision_is_404(lead_client, hub, sent):
    url = reverse("intake:staff_inquiry_decide", args=[hub.slug, sent.reference, "delete-everything"])
    assert lead_client.post(url, {"version": sent.version}).status_code == 404


@pytest.mark.django_db
def test_asking_for_information_emails_a_link_and_the_answer_returns_it_to_review(
        lead_client, hub, hub_lead, submitter, sent, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        decide(lead_client, hub, sent, "request-info", question="Which wards took part in the pilot?")
    sent.refresh_from_db()
    assert sent.status == Inquiry.Status.AWAITING_INFO
    question_email = [m for m in outbox if m.to == [submitter.email]][-1]
    assert f"http://testserver/inquiries/{sent.public_id}/" in question_email.body
    assert "Which wards" not in question_email.body  # a link, not the question
    assert "Which wards" not in question_email.alternatives[0][0]

    submitter_client = lead_client.__class__()
    submitter_client.force_login(submitter)
    page = submitter_client.get(reverse("intake:inquiry_detail", args=[sent.public_id])).content.decode()
    assert "Which wards took part in the pilot?" in page
    empty = submitter_client.post(reverse("intake:inquiry_answer", args=[sent.public_id]), {"answer": ""})
    assert "Enter your answer" in empty.content.decode()
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        submitter_client.post(reverse("intake:inquiry_answer", args=[sent.public_id]),
                              {"answer": "Wards 3 and 7 at Dorset County Hospital"})
    sent.refresh_from_db()
    assert sent.status == Inquiry.Status.IN_REVIEW
    request = InformationRequest.objects.get(inquiry=sent)
    assert request.answer == "Wards 3 and 7 at Dorset County Hospital"
    assert request.answered_at is not None
    assert [m.to for m in outbox] == [[hub_lead.email]]  # nobody assigned: the hub leads hear
    staff_page = lead_client.get(reverse("intake:staff_inquiry", args=[hub.slug, sent.reference])).content.decode()
    assert "Wards 3 and 7" in staff_page
    assert re.search(r"after \d+ working days?", staff_page)


@pytest.mark.django_db
def test_closing_records_the_coded_outcome_and_tells_the_submitter_but_not_the_reason(
        lead_client, hub, submitter, sent, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        decide(lead_client, hub, sent, "close", outcome="signposted_only", reason="Internal: budget frozen")
    sent.refresh_from_db()
    assert sent.status == Inquiry.Status.CLOSED
    assert sent.outcome == Inquiry.Outcome.SIGNPOSTED_ONLY
    assert sent.closed_at is not None and sent.decided_at is not None
    assert OutboundEmail.objects.filter(key=f"inquiry:{sent.pk}:closed", to=submitter.email).exists()
    submitter_client = lead_client.__class__()
    submitter_client.force_login(submitter)
    page = submitter_client.get(reverse("intake:inquiry_detail", args=[sent.public_id])).content.decode()
    assert "Signposted only" in page
    assert "budget frozen" not in page


@pytest.mark.django_db
def test_closing_needs_an_outcome_and_a_reason(lead_client, hub, sent):
    url = reverse("intake:staff_inquiry_decide", args=[hub.slug, sent.reference, "close"])
    response = lead_client.post(url, {"version": sent.version, "outcome": "", "reason": ""})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Select the outcome" in body and "Enter the reason for closing" in body
    sent.refresh_from_db()
    assert sent.status == Inquiry.Status.SUBMITTED


@pytest.mark.django_db
def test_an_inquiry_can_be_marked_a_duplicate_of_one_in_another_hub(lead_client, hub, other_hub, submitter, sent):
    original = services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=other_hub), by=submitter)
    decide(lead_client, hub, sent, "duplicate", original=original.reference.lower())
    sent.refresh_from_db()
    assert sent.status == Inquiry.Status.CLOSED
    assert sent.outcome == Inquiry.Outcome.DUPLICATE
    assert sent.duplicate_of == original
    unknown = lead_client.post(reverse("intake:staff_inquiry_decide", args=[hub.slug, "X", "duplicate"]), {})
    assert unknown.status_code == 404


@pytest.mark.django_db
def test_a_duplicates_case_page_links_to_the_original_read_in_a_query_of_its_own(
        lead_client, hub, other_hub, submitter, sent):
    from django.test.utils import CaptureQueriesContext

    url = reverse("intake:staff_inquiry", args=[hub.slug, sent.reference])
    lead_client.get(url)  # compiled once per process: count the second read, as every later one
    with CaptureQueriesContext(connection) as before:
        lead_client.get(url)
    original = services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=other_hub), by=submitter)
    decide(lead_client, hub, sent, "duplicate", original=original.reference)
    with CaptureQueriesContext(connection) as after:
        page = lead_client.get(url).content.decode()
    link = reverse("intake:staff_inquiry", args=[other_hub.slug, original.reference])
    assert f'of <a href="{link}">{original.reference}</a>' in page
    # The original (with its hub) in one query of its own; an inquiry that is no duplicate never joins it.
    originals = [q["sql"] for q in after.captured_queries if f'"intake_inquiry"."id" = {original.pk}' in q["sql"]]
    assert len(originals) == 1 and '"hubportal_hub"' in originals[0]
    assert not [q for q in before.captured_queries if "duplicate_of_id" in q["sql"] and " T5" in q["sql"]]


@pytest.mark.django_db
def test_parking_sets_a_date_and_unparking_clears_it(lead_client, hub, sent):
    response = decide(lead_client, hub, sent, "park", until="2099-01-01", reason="Waiting for funding round")
    assert "The date must be within two years" in response.content.decode()
    decide(lead_client, hub, sent, "park", until="2020-01-01")
    sent.refresh_from_db()
    assert sent.parked_until is None
    import datetime as dt

    from django.utils import timezone
    until = timezone.localdate() + dt.timedelta(days=30)
    decide(lead_client, hub, sent, "park", until=until.isoformat(), reason="Funding round")
    sent.refresh_from_db()
    assert sent.parked_until == until
    decide(lead_client, hub, sent, "unpark")
    sent.refresh_from_db()
    assert sent.parked_until is None
    assert list(sent.events.filter(kind__in=["parked", "unparked"]).values_list("kind", flat=True)) == [
        "parked", "unparked"]


@pytest.mark.django_db
def test_assigning_emails_the_assignee_and_refuses_someone_outside_the_hub(
        lead_client, hub, hub_member, other_hub_lead, sent, outbox, django_capture_on_commit_callbacks):
    url = reverse("intake:staff_inquiry_assign", args=[hub.slug, sent.reference])
    with django_capture_on_commit_callbacks(execute=True):
        lead_client.post(url, {"assignee": hub_member.pk, "version": sent.version})
    sent.refresh_from_db()
    assert sent.assignee == hub_member
    assert [m.to for m in outbox] == [[hub_member.email]]
    response = lead_client.post(url, {"assignee": other_hub_lead.pk, "version": sent.version})
    assert response.status_code == 400
    assert "Select a member of this hub" in response.content.decode()
    sent.refresh_from_db()
    assert sent.assignee == hub_member


@pytest.mark.django_db
def test_internal_notes_are_shown_to_staff_and_never_to_the_submitter(lead_client, hub, submitter, sent):
    lead_client.post(reverse("intake:staff_inquiry_note", args=[hub.slug, sent.reference]),
                     {"body": "Supplier known to us from 2024"})
    staff = lead_client.get(reverse("intake:staff_inquiry", args=[hub.slug, sent.reference])).content.decode()
    assert "Supplier known to us from 2024" in staff
    submitter_client = lead_client.__class__()
    submitter_client.force_login(submitter)
    page = submitter_client.get(reverse("intake:inquiry_detail", args=[sent.public_id])).content.decode()
    assert "Supplier known to us" not in page
    assert "Internal note added" not in page
    empty = lead_client.post(reverse("intake:staff_inquiry_note", args=[hub.slug, sent.reference]), {"body": ""})
    assert "Enter the note" in empty.content.decode()


@pytest.fixture
def checklist(hub):
    checklist = Checklist.objects.create(hub=hub, name="Dorset triage", slug="dorset-triage")
    Criterion.objects.create(checklist=checklist, position=0, question="Is it proven?", weight=2,
                             scale="yes_partly_no")
    Criterion.objects.create(checklist=checklist, position=1, question="Does it process patient data?", weight=1,
                             scale="yes_no", follow_up_answer="yes", follow_up_text="A DPIA is needed")
    Criterion.objects.create(checklist=checklist, position=2, question="Is it interoperable?", weight=3,
                             scale="rag", allow_not_applicable=True)
    return checklist


def assess(client, hub, inquiry, checklist, answers, summary=""):
    criteria = list(checklist.criteria.all())
    data = {"summary": summary}
    for criterion, answer in zip(criteria, answers, strict=True):
        if answer is not None:
            data[f"answer_{criterion.pk}"] = answer
        data[f"comment_{criterion.pk}"] = f"comment on {criterion.position}"
    url = reverse("intake:staff_inquiry_assess", args=[hub.slug, inquiry.reference, checklist.slug])
    return client.post(url, data)


@pytest.mark.django_db
def test_an_assessment_scores_by_weight_and_raises_follow_ups(lead_client, hub, sent, checklist):
    response = assess(lead_client, hub, sent, checklist, ["partly", "yes", "na"])
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    # partly (0.5) x 2 + yes (1) x 1, out of 3; the n/a criterion is left out.
    assert assessment.score == Decimal("66.7")
    assert assessment.follow_ups == ["A DPIA is needed"]
    assert [a.comment for a in assessment.answers.all()] == ["comment on 0", "comment on 1", "comment on 2"]
    event = sent.events.get(kind=InquiryEvent.Kind.ASSESSED)
    assert not event.is_visible_to_submitter
    assert "A DPIA is needed" in event.description


@pytest.mark.django_db
def test_redoing_an_assessment_keeps_the_earlier_version(lead_client, hub, sent, checklist):
    assess(lead_client, hub, sent, checklist, ["no", "no", "red"])
    assess(lead_client, hub, sent, checklist, ["yes", "no", "green"])
    first, second = Assessment.objects.order_by("number")
    assert (first.number, first.is_current, first.score) == (1, False, Decimal("0.0"))
    # yes (1) x 2 + no (0) x 1 + green (1) x 3, out of 6.
    assert (second.number, second.is_current, second.score) == (2, True, Decimal("83.3"))
    page = lead_client.get(reverse("intake:staff_inquiry", args=[hub.slug, sent.reference])).content.decode()
    assert "Earlier assessments (1)" in page


@pytest.mark.django_db
def test_a_checklist_with_a_missing_answer_says_which(lead_client, hub, sent, checklist):
    response = assess(lead_client, hub, sent, checklist, ["yes", None, "green"])
    assert response.status_code == 400
    body = response.content.decode()
    assert "Answer “Does it process patient data?”" in body
    assert 'value="yes"' in body  # the answers given are kept
    assert Assessment.objects.count() == 0


@pytest.mark.django_db
def test_similar_inquiries_from_other_hubs_show_only_title_hub_and_status(
        lead_client, hub, other_hub, submitter, sent):
    twin = services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=other_hub, title="Falls sensor pilot",
                                                        problem="Secret detail of the other hub"), by=submitter)
    page = lead_client.get(reverse("intake:staff_inquiry", args=[hub.slug, sent.reference])).content.decode()
    section = page[page.index("Similar inquiries"):page.index("<h2", page.index("Similar inquiries") + 10)]
    assert "Falls sensor pilot" in section
    assert "Manchester Innovation Hub" in section
    assert twin.reference in section
    assert "/staff/manchester/" not in section  # no link into another hub
    assert "Secret detail of the other hub" not in page


@pytest.mark.django_db(transaction=True)
def test_recording_an_assessment_outside_any_transaction_is_one_of_its_own(hub, hub_lead, submitter):
    # Views run without ATOMIC_REQUESTS: on PostgreSQL the select_for_update() of the earlier versions
    # needs the service's own transaction (SQLite has no SELECT ... FOR UPDATE, so it passed there).
    inquiry = services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=hub), by=submitter)
    checklist = Checklist.objects.create(hub=hub, name="Triage", slug="triage")
    criterion = Criterion.objects.create(checklist=checklist, position=0, question="Is it proven?",
                                         scale="yes_partly_no")
    for _ in range(2):
        services.assessment_record(inquiry=inquiry, by=hub_lead, checklist=checklist,
                                   answers={criterion: ("yes", "")})
    assert list(Assessment.objects.filter(inquiry=inquiry).order_by("number").values_list(
        "number", "is_current")) == [(1, False), (2, True)]
