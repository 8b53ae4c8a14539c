"""Lay review fixtures: Dorset's lay review questions, two reviewers, and a request to each."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from intake.models import Checklist, Criterion
from review.models import LayReview, LayReviewer
from review.permissions import GRANTS
from review.services import lay_review_request


@dataclass
class LayWorld:
    checklist: Checklist
    reviewer: LayReviewer
    other_reviewer: LayReviewer
    review: LayReview
    other_review: LayReview


def lay_review_checklist(hub) -> Checklist:
    checklist = Checklist.objects.create(hub=hub, kind=Checklist.Kind.LAY_REVIEW, name="Lay review", slug="lay-review")
    Criterion.objects.create(checklist=checklist, position=1, question="Would this matter to patients like you?",
                             scale=Criterion.Scale.SCORE_1_5)
    Criterion.objects.create(checklist=checklist, position=2, question="Is it easy to understand?",
                             scale=Criterion.Scale.YES_PARTLY_NO, allow_not_applicable=True)
    return checklist


def lay_world(hub, inquiry, by, summary="A phone app that reminds people to take their medicines.") -> LayWorld:
    checklist = lay_review_checklist(hub)
    reviewer = LayReviewer.objects.create(hub=hub, name="Margaret Lay", email="margaret@example.org")
    other = LayReviewer.objects.create(hub=hub, name="Dev Public", email="dev@example.org")
    review, other_review = lay_review_request(inquiry=inquiry, reviewers=[reviewer, other], checklist=checklist,
                                              summary=summary, by=by)
    return LayWorld(checklist=checklist, reviewer=reviewer, other_reviewer=other, review=review,
                    other_review=other_review)


def grant_lay_review(client, review):
    """A browser session as using the review's emailed link leaves it."""
    session = client.session
    session[GRANTS] = {str(review.public_id): time.time()}
    session.save()
    return client


@pytest.fixture
def lay(db, hub, hub_lead):
    from tests.factories import SubmittedFactory

    inquiry = SubmittedFactory(hub=hub, title="Medicines reminder")
    return lay_world(hub, inquiry, hub_lead)
