"""PPIE lay review: staff manage reviewers and ask them; a reviewer uses their emailed link, answers,
declines or declares a conflict; staff see answers, mean and spread; metrics count the panel's work."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from hubportal.models import EmailLink, OutboundEmail
from hubportal.outbox import outbound_email_render
from hubportal.testing import sign_in_staff
from intake.models import Checklist, Inquiry, InquiryAccess, InquiryEvent
from review import services
from review.models import LayReview, LayReviewer
from tests.factories import SubmittedFactory

from .conftest import grant_lay_review, lay_review_checklist


def _link_path(review):
    email = OutboundEmail.objects.filter(to=review.reviewer.email, template="lay_review_request").latest("pk")
    return re.search(r"http://[^/]+(/lay-review/link/[^/]+/)", outbound_email_render(email)[1]).group(1)


def _answers(review, first="5", second="yes"):
    criteria = list(review.checklist.criteria.all())
    return {f"answer_{criteria[0].pk}": first, f"answer_{criteria[1].pk}": second, "comment": "Clear and useful",
            "minutes_given": "40"}


def test_asking_reviewers_queues_one_bound_expiring_link_each_and_an_internal_event(lay, settings):
    for review in (lay.review, lay.other_review):
        link = EmailLink.objects.get(purpose="lay_review", subject_ref=str(review.public_id))
        assert link.email == review.reviewer.email and link.used_at is None
        lasts = link.expires_at - link.created_at
        assert abs(lasts - dt.timedelta(days=settings.LAY_REVIEW_LINK_DAYS)) < dt.timedelta(seconds=1)
        email = OutboundEmail.objects.get(key=f"email-link:{link.pk}:lay-review")
        subject, text, html = outbound_email_render(email)
        assert subject == "Dorset Innovation Hub would like your view on an innovation"
        assert "/lay-review/link/" in text and "/lay-review/link/" in html and email.has_secret
    event = InquiryEvent.objects.get(inquiry=lay.review.inquiry, kind="lay_review_requested")
    assert event.description == "Asked Margaret Lay, Dev Public" and not event.is_visible_to_submitter


def test_asking_again_skips_reviewers_still_reviewing(lay, hub_lead):
    again = services.lay_review_request(inquiry=lay.review.inquiry, reviewers=[lay.reviewer], checklist=lay.checklist,
                                        summary="Again", by=hub_lead)
    assert again == [] and LayReview.objects.count() == 2


def test_it_refuses_a_closed_inquiry_another_hubs_reviewer_and_a_triage_checklist(lay, hub_lead, other_hub):
    inquiry = lay.review.inquiry
    outsider = LayReviewer.objects.create(hub=other_hub, name="Out Sider", email="out@example.org")
    with pytest.raises(services.ReviewRefused):
        services.lay_review_request(inquiry=inquiry, reviewers=[outsider], checklist=lay.checklist, summary="x",
                                    by=hub_lead)
    triage = Checklist.objects.create(hub=inquiry.hub, name="Triage", slug="triage")
    with pytest.raises(services.ReviewRefused):
        services.lay_review_request(inquiry=inquiry, reviewers=[lay.reviewer], checklist=triage, summary="x",
                                    by=hub_lead)
    Inquiry.objects.filter(pk=inquiry.pk).update(status="closed")
    inquiry.refresh_from_db()
    with pytest.raises(services.ReviewRefused):
        services.lay_review_request(inquiry=inquiry, reviewers=[lay.reviewer], checklist=lay.checklist, summary="x",
                                    by=hub_lead)


def test_a_reviewer_goes_from_the_link_to_the_review_to_thanks(client, lay):
    path = _link_path(lay.review)
    assert client.get(path).status_code == 200  # a mail scanner's GET uses nothing
    assert EmailLink.objects.get(subject_ref=str(lay.review.public_id)).used_at is None
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == reverse("review:review",
                                                                            args=[lay.review.public_id])
    assert client.post(path).status_code == 410  # single use
    assert client.get(response["Location"]).status_code == 200
    response = client.post(reverse("review:review", args=[lay.review.public_id]), _answers(lay.review))
    assert response["Location"] == reverse("review:thanks", args=[lay.review.public_id])
    review = LayReview.objects.get(pk=lay.review.pk)
    assert (review.status, review.minutes_given, review.comment, review.score) == (
        "answered", 40, "Clear and useful", Decimal("100.0"))
    assert sorted(review.answers.values_list("answer", flat=True)) == ["5", "yes"]
    assert b"40 minutes" in client.get(reverse("review:thanks", args=[review.public_id])).content
    # The review page was logged as a lay reviewer's view.
    row = InquiryAccess.objects.get(inquiry=review.inquiry)
    assert (row.actor_kind, row.who) == ("lay_reviewer", "Margaret Lay (margaret@example.org), lay reviewer")


def test_a_missing_answer_is_said_next_to_the_question_and_nothing_is_saved(client, lay):
    grant_lay_review(client, lay.review)
    data = _answers(lay.review)
    data.pop(next(k for k in data if k.startswith("answer_")))
    data["minutes_given"] = "lots"
    response = client.post(reverse("review:review", args=[lay.review.public_id]), data)
    assert response.status_code == 400
    assert "Answer “Would this matter to patients like you?”" in response.content.decode()
    assert "Enter the minutes as a number, for example 30" in response.content.decode()
    assert LayReview.objects.get(pk=lay.review.pk).status == "requested"


def test_a_stale_copy_cannot_answer_twice(lay):
    stale = LayReview.objects.get(pk=lay.review.pk)
    criteria = list(lay.checklist.criteria.all())
    services.lay_review_answer(review=lay.review, answers={criteria[0]: "3", criteria[1]: "na"}, comment="",
                               minutes_given=10)
    stale.status = "requested"  # as a second tab read it before the first answered
    with pytest.raises(services.ReviewChanged):
        services.lay_review_decline(review=stale, conflict=True)
    assert LayReview.objects.get(pk=lay.review.pk).status == "answered"
    assert lay.review.answers.count() == 2


@pytest.mark.parametrize("choice, status", [("decline", "declined"), ("conflict", "conflict")])
def test_a_reviewer_can_decline_or_declare_a_conflict_of_interest(client, lay, choice, status):
    grant_lay_review(client, lay.review)
    url = reverse("review:decline", args=[lay.review.public_id])
    assert client.post(url, {}).status_code == 400
    response = client.post(url, {"choice": choice, "reason": "I know them"})
    assert response["Location"] == reverse("review:thanks", args=[lay.review.public_id])
    review = LayReview.objects.get(pk=lay.review.pk)
    assert (review.status, review.reason, review.responded_at is not None) == (status, "I know them", True)
    assert InquiryEvent.objects.filter(inquiry=review.inquiry, kind="lay_review_declined").count() == 1
    # The link of an answered request no longer opens it.
    assert client.post(_link_path(lay.review)).status_code == 403


def test_an_inactive_reviewers_link_and_grant_stop_working(client, lay):
    path = _link_path(lay.review)
    grant_lay_review(client, lay.review)
    LayReviewer.objects.filter(pk=lay.reviewer.pk).update(is_active=False)
    assert client.get(reverse("review:review", args=[lay.review.public_id])).status_code == 404
    assert client.post(path).status_code == 404
    assert EmailLink.objects.get(subject_ref=str(lay.review.public_id)).used_at is None


def test_staff_see_each_answer_the_mean_and_the_spread_and_metrics_count_the_panel(client, lay, hub_member):
    criteria = list(lay.checklist.criteria.all())
    services.lay_review_answer(review=lay.review, answers={criteria[0]: "5", criteria[1]: "yes"}, comment="Great",
                               minutes_given=30)
    services.lay_review_answer(review=lay.other_review, answers={criteria[0]: "1", criteria[1]: "partly"},
                               comment="", minutes_given=60)
    sign_in_staff(client, hub_member)
    inquiry = lay.review.inquiry
    body = client.get(reverse("intake:staff_inquiry", args=["dorset", inquiry.reference])).content.decode()
    # Scores 100 and 25 (weights 1 and 1: (0 + 0.5) / 2): mean 62.5, spread 25 to 100, deviation 37.5.
    assert "mean score <strong>62.5%</strong>, spread 25.0% to 100.0% (standard deviation 37.5)" in body
    assert "Reviewers gave 90 minutes in all" in body
    assert "Margaret Lay" in body and "“Great”" in body
    body = client.get(reverse("intake:staff_metrics", args=["dorset"])).content.decode()
    assert "Patient and public involvement" in body
    figures = re.findall(r'<dd class="nhsuk-summary-list__value">([^<]*)</dd>', body.split("Patient and public")[1])
    assert figures[:6] == ["1", "2", "2", "0", "0", "1.5 hours"]


def test_staff_add_and_change_reviewers_of_their_hub(client, hub_member, hub):
    sign_in_staff(client, hub_member)
    url = reverse("review:reviewers", args=["dorset"])
    assert client.post(url, {"name": "Ann Public", "email": "Ann@Example.org"}).status_code == 302
    reviewer = LayReviewer.objects.get(hub=hub)
    assert (reviewer.name, reviewer.email, reviewer.is_active) == ("Ann Public", "ann@example.org", True)
    response = client.post(url, {"name": "Ann Again", "email": "ann@example.org"})
    assert response.status_code == 400 and "already has a lay reviewer with this email" in response.content.decode()
    edit = reverse("review:reviewer_edit", args=["dorset", reviewer.public_id])
    assert client.post(edit, {"name": "Ann P", "email": "ann@example.org", "is_active": "no"}).status_code == 302
    reviewer.refresh_from_db()
    assert (reviewer.name, reviewer.is_active) == ("Ann P", False)


def test_staff_ask_reviewers_from_the_request_page(client, hub_member, hub):
    inquiry = SubmittedFactory(hub=hub, status="in_review")
    checklist = lay_review_checklist(hub)
    reviewer = LayReviewer.objects.create(hub=hub, name="Ann Public", email="ann@example.org")
    sign_in_staff(client, hub_member)
    url = reverse("review:request", args=["dorset", inquiry.reference])
    response = client.post(url, {"checklist": checklist.pk, "summary": ""})
    assert response.status_code == 400 and "Select at least one lay reviewer" in response.content.decode()
    response = client.post(url, {"reviewers": [reviewer.public_id], "checklist": checklist.pk,
                                 "summary": "A falls sensor for care homes"})
    assert response.status_code == 302
    review = LayReview.objects.get(inquiry=inquiry)
    assert (review.reviewer, review.summary, review.requested_by) == (reviewer, "A falls sensor for care homes",
                                                                      hub_member)
    assert OutboundEmail.objects.filter(to="ann@example.org", template="lay_review_request").count() == 1
    client.post(reverse("review:resend", args=["dorset", inquiry.reference, review.public_id]))
    assert OutboundEmail.objects.filter(to="ann@example.org", template="lay_review_request").count() == 2


def test_lay_review_checklists_are_not_offered_to_staff_as_triage(client, hub_member, lay):
    sign_in_staff(client, hub_member)
    inquiry = lay.review.inquiry
    assert client.get(reverse("intake:staff_inquiry_assess", args=["dorset", inquiry.reference,
                                                                   lay.checklist.slug])).status_code == 404
