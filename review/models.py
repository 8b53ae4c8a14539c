"""PPIE lay review: patients and members of the public a hub recruited review a redacted inquiry.

A LayReviewer belongs to one hub (managed by its staff). A LayReview is one request to one reviewer
about one inquiry, and holds their answer: answers to the hub's lay review checklist (intake's
Checklist of kind "lay_review"), a comment and the minutes they gave, or their refusal (declined, or
a conflict of interest). The reviewer never sees the inquiry itself: only `summary`, written by staff
in plain English when they ask, and the inquiry's "who would benefit" answer.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from hubportal.models import Hub
from intake.models import Checklist, Criterion, Inquiry


class LayReviewer(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="lay_reviewers")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    # An inactive reviewer is not asked again and their unused links stop working; their answers stay.
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["hub", "email"], name="lay_reviewer_email_unique")]

    def __str__(self):
        return f"{self.name} ({self.hub})"


class LayReview(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "Waiting for an answer"
        ANSWERED = "answered", "Answered"
        DECLINED = "declined", "Declined"
        CONFLICT = "conflict", "Conflict of interest"

    # What may follow each status; every service checks this and guards the change in SQL.
    TRANSITIONS = {
        Status.REQUESTED: {Status.ANSWERED, Status.DECLINED, Status.CONFLICT},
        Status.ANSWERED: set(),
        Status.DECLINED: set(),
        Status.CONFLICT: set(),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="lay_reviews")
    reviewer = models.ForeignKey(LayReviewer, on_delete=models.PROTECT, related_name="reviews")
    # The lay review checklist as it was asked; its criteria are PROTECTed, so old answers keep meaning.
    checklist = models.ForeignKey(Checklist, on_delete=models.PROTECT, related_name="+")
    # Written by staff for the public: never the submitter's own words, names or organisation.
    summary = models.TextField(max_length=2000)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    responded_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(max_length=2000, blank=True)
    # The time the reviewer says they gave (hubs pay or thank reviewers for it).
    minutes_given = models.PositiveIntegerField(null=True, blank=True)
    # Why they declined or what the conflict is (optional, in their words).
    reason = models.TextField(max_length=1000, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [
            # One open request per reviewer and inquiry: asking twice would send two links.
            models.UniqueConstraint(fields=["inquiry", "reviewer"], condition=Q(status="requested"),
                                    name="lay_review_one_open_per_reviewer"),
            models.CheckConstraint(condition=Q(status="requested") | Q(responded_at__isnull=False),
                                   name="lay_review_answered_has_time"),
        ]
        indexes = [models.Index(fields=["inquiry", "requested_at"], name="lay_review_by_inquiry")]

    def __str__(self):
        return f"Lay review of {self.inquiry} by {self.reviewer.name}"

    @property
    def is_open(self):
        return self.status == self.Status.REQUESTED


class LayReviewAnswer(models.Model):
    review = models.ForeignKey(LayReview, on_delete=models.CASCADE, related_name="answers")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(max_length=20)

    class Meta:
        ordering = ["criterion__position", "pk"]
        constraints = [models.UniqueConstraint(fields=["review", "criterion"], name="lay_review_answer_once")]

    def __str__(self):
        return f"{self.criterion}: {self.answer}"
