"""Lay review: the reads. Each page's queries are bounded whatever the number of reviews."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, Sum, prefetch_related_objects

from hubportal import sqlcache
from intake.models import Checklist

from .models import LayReview, LayReviewAnswer, LayReviewer


def hub_lay_reviewers(hub):
    return LayReviewer.objects.filter(hub=hub).order_by("-is_active", "name", "pk")


def hub_lay_review_checklists(hub):
    return list(Checklist.objects.filter(hub=hub, kind=Checklist.Kind.LAY_REVIEW, is_active=True).order_by("name"))


@dataclass
class CriterionSummary:
    question: str
    answers: list[str]
    mean: Decimal | None  # of the answers' values (0-100), "not applicable" left out


@dataclass
class LayReviewPanel:
    reviews: list[LayReview]
    scores: list[Decimal] = field(default_factory=list)
    mean: Decimal | None = None
    lowest: Decimal | None = None
    highest: Decimal | None = None
    deviation: Decimal | None = None  # population standard deviation of the scores
    minutes: int = 0
    criteria: list[CriterionSummary] = field(default_factory=list)
    can_request: bool = False


def _round(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"))


def lay_review_panel(*, inquiry) -> LayReviewPanel:
    """Each reviewer's answers, and the panel's mean and spread, for the staff case page (two queries)."""
    # The case page's: its SQL compiled once per inquiry in a process (hubportal.sqlcache).
    reviews = sqlcache.kept_rows(("lay_review_panel", LayReview.objects.db, inquiry.pk),
                                 lambda: LayReview.objects.filter(inquiry=inquiry).select_related("reviewer"))
    prefetch_related_objects(reviews, Prefetch("answers", queryset=LayReviewAnswer.objects.select_related("criterion")))
    panel = LayReviewPanel(reviews=reviews, can_request=inquiry.is_open)
    answered = [r for r in reviews if r.status == LayReview.Status.ANSWERED]
    panel.scores = [r.score for r in answered if r.score is not None]
    panel.minutes = sum(r.minutes_given or 0 for r in answered)
    if panel.scores:
        panel.mean = _round(statistics.fmean(float(s) for s in panel.scores))
        panel.lowest, panel.highest = min(panel.scores), max(panel.scores)
        panel.deviation = _round(statistics.pstdev(float(s) for s in panel.scores))
    by_criterion: dict[int, CriterionSummary] = {}
    values: dict[int, list[float]] = {}
    for review in answered:
        for answer in review.answers.all():
            criterion = answer.criterion
            summary = by_criterion.setdefault(criterion.pk, CriterionSummary(criterion.question, [], None))
            summary.answers.append(dict(criterion.answer_choices()).get(answer.answer, answer.answer))
            value = criterion.value_of(answer.answer)
            if value is not None:
                values.setdefault(criterion.pk, []).append(value * 100)
    for pk, summary in by_criterion.items():
        if values.get(pk):
            summary.mean = _round(statistics.fmean(values[pk]))
    panel.criteria = list(by_criterion.values())
    return panel


@dataclass(frozen=True)
class LayReviewFigures:
    inquiries_reviewed: int
    requested: int
    answered: int
    declined: int
    conflicts: int
    minutes: int

    @property
    def hours(self) -> Decimal:
        return _round(self.minutes / 60)


def lay_review_figures(*, hub, date_from=None, date_to=None) -> LayReviewFigures:
    """The PPIE panel's involvement, for the metrics page: over inquiries sent in the period (the
    page's period), in one query."""
    reviews = LayReview.objects.filter(inquiry__hub=hub)
    if date_from:
        reviews = reviews.filter(inquiry__submitted_at__date__gte=date_from)
    if date_to:
        reviews = reviews.filter(inquiry__submitted_at__date__lte=date_to)
    figures = reviews.aggregate(
        requested=Count("pk"),
        answered=Count("pk", filter=Q(status=LayReview.Status.ANSWERED)),
        declined=Count("pk", filter=Q(status=LayReview.Status.DECLINED)),
        conflicts=Count("pk", filter=Q(status=LayReview.Status.CONFLICT)),
        minutes=Sum("minutes_given"),
        inquiries_reviewed=Count("inquiry", distinct=True, filter=Q(status=LayReview.Status.ANSWERED)),
    )
    figures["minutes"] = figures["minutes"] or 0
    return LayReviewFigures(**figures)
