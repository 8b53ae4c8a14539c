import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from hubportal.models import Hub
from hubportal.taxonomy import InnovationType, KindOfHelp, Stage, SupportNeed, Theme


class Inquiry(models.Model):
    """An innovation inquiry: one person's question to one hub."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        IN_REVIEW = "in_review", "In review"
        AWAITING_INFO = "awaiting_info", "Awaiting information"
        ROUTED = "routed", "Routed to partners"
        IN_SUPPORT = "in_support", "In support"
        CLOSED = "closed", "Closed"

    # Allowed status changes; every transition service checks this table.
    TRANSITIONS = {
        Status.DRAFT: {Status.SUBMITTED},
        Status.SUBMITTED: {Status.IN_REVIEW, Status.CLOSED},
        Status.IN_REVIEW: {Status.AWAITING_INFO, Status.ROUTED, Status.IN_SUPPORT, Status.CLOSED},
        Status.AWAITING_INFO: {Status.IN_REVIEW, Status.CLOSED},
        Status.ROUTED: {Status.IN_SUPPORT, Status.IN_REVIEW, Status.CLOSED},
        Status.IN_SUPPORT: {Status.CLOSED},
        Status.CLOSED: set(),
    }

    # The opaque identifier in every URL a person sees (never the sequential primary key).
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Human-readable, given on submission: DOR-2026-00042.
    reference = models.CharField(max_length=20, unique=True, null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    submitter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="inquiries")
    hub = models.ForeignKey(Hub, null=True, blank=True, on_delete=models.PROTECT, related_name="inquiries")

    kind_of_help = models.CharField(max_length=30, choices=KindOfHelp.choices, blank=True)
    title = models.CharField(max_length=120, blank=True)
    problem = models.TextField(max_length=2000, blank=True)
    proposed_innovation = models.TextField(max_length=2000, blank=True)
    who_benefits = models.TextField(max_length=1000, blank=True)
    innovation_type = models.CharField(max_length=20, choices=InnovationType.choices, blank=True)
    stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    evidence = models.TextField(max_length=2000, blank=True)
    # Lists of taxonomy codes (JSON so the same model runs on SQLite and PostgreSQL).
    support_needed = models.JSONField(default=list, blank=True)
    themes = models.JSONField(default=list, blank=True)

    contact_name = models.CharField(max_length=200, blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=30, blank=True)

    consent_share_with_partners = models.BooleanField(null=True, blank=True)
    consent_contact = models.BooleanField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "inquiries"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["submitter", "-updated_at"], name="inquiry_submitter_recent"),
            models.Index(fields=["hub", "status", "-submitted_at"], name="inquiry_hub_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | (Q(reference__isnull=False) & Q(hub__isnull=False)
                                               & Q(submitted_at__isnull=False)),
                name="inquiry_submitted_has_reference_hub_and_time",
            ),
        ]

    def __str__(self):
        return self.reference or f"Draft: {self.title or 'untitled'}"

    @property
    def is_draft(self):
        return self.status == self.Status.DRAFT

    def support_needed_labels(self):
        from hubportal.taxonomy import labels

        return labels(SupportNeed, self.support_needed)

    def theme_labels(self):
        from hubportal.taxonomy import labels

        return labels(Theme, self.themes)


class ReferenceCounter(models.Model):
    """The last reference number used by a hub in a year; one row per hub and year."""

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hub", "year"], name="reference_counter_unique")]

    def __str__(self):
        return f"{self.hub_id}/{self.year}: {self.last_number}"


class InquiryEvent(models.Model):
    """One line of an inquiry's timeline: who did what, when."""

    class Kind(models.TextChoices):
        CREATED = "created", "Draft started"
        SUBMITTED = "submitted", "Inquiry sent to the hub"
        ATTACHMENT_ADDED = "attachment_added", "Attachment added"
        ATTACHMENT_REMOVED = "attachment_removed", "Attachment removed"
        STATUS_CHANGED = "status_changed", "Status changed"

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    description = models.CharField(max_length=300, blank=True)
    # Shown to the submitter on their timeline (internal events are not).
    is_visible_to_submitter = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["inquiry", "created_at"], name="inquiry_event_timeline")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"


def attachment_path(instance, filename):
    # A random server-side name: nothing the uploader chose reaches the filesystem.
    return f"attachments/{instance.stored_name}"


class Attachment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    original_name = models.CharField(max_length=200)
    stored_name = models.CharField(max_length=80, unique=True)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.original_name
