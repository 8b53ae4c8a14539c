import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
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

    class Outcome(models.TextChoices):
        ADOPTED = "adopted", "Adopted or implemented"
        PROGRESSING_ELSEWHERE = "progressing_elsewhere", "Progressing elsewhere"
        SIGNPOSTED_ONLY = "signposted_only", "Signposted only"
        NOT_PROGRESSED = "not_progressed", "Not progressed"
        DUPLICATE = "duplicate", "Duplicate"
        WITHDRAWN = "withdrawn", "Withdrawn"

    OPEN_STATUSES = ("submitted", "in_review", "awaiting_info", "routed", "in_support")

    # Allowed status changes; every transition service checks this table.
    TRANSITIONS = {
        Status.DRAFT: {Status.SUBMITTED},
        Status.SUBMITTED: {Status.IN_REVIEW, Status.AWAITING_INFO, Status.CLOSED},
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

    # Triage (hub staff). `version` goes up with every staff change, so two people deciding at once
    # cannot both win: each change names the version it was made against.
    version = models.PositiveIntegerField(default=0)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="assigned_inquiries")
    triage_due_on = models.DateField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    outcome_reason = models.TextField(max_length=2000, blank=True)
    parked_until = models.DateField(null=True, blank=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Full-text search document (PostgreSQL tsvector, kept by the services; unused on SQLite).
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "inquiries"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["submitter", "-updated_at"], name="inquiry_submitter_recent"),
            models.Index(fields=["hub", "status", "-submitted_at"], name="inquiry_hub_status"),
            models.Index(fields=["hub", "-submitted_at"], name="inquiry_hub_submitted"),
            models.Index(fields=["hub", "-updated_at"], name="inquiry_hub_updated"),
            models.Index(fields=["hub", "assignee", "status"], name="inquiry_hub_assignee"),
            models.Index(fields=["hub", "triage_due_on"], name="inquiry_hub_due"),
            models.Index(fields=["hub", "kind_of_help"], name="inquiry_hub_kind"),
            models.Index(fields=["hub", "innovation_type"], name="inquiry_hub_type"),
            models.Index(fields=["hub", "stage"], name="inquiry_hub_stage"),
            models.Index(fields=["hub", "organisation"], name="inquiry_hub_org"),
            # The metrics page's figures come from this index alone on PostgreSQL (an index-only scan);
            # other databases build it without the included columns.
            models.Index(fields=["hub", "submitted_at"], name="inquiry_hub_metrics", condition=~Q(status="draft"),
                         include=["status", "first_response_at", "decided_at", "triage_due_on", "kind_of_help",
                                  "stage", "outcome", "organisation", "themes", "support_needed"]),
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

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    def can_become(self, status):
        return status in self.TRANSITIONS[self.status]

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
        REVIEW_STARTED = "review_started", "The hub started reviewing your inquiry"
        ASSIGNED = "assigned", "Assigned"
        NOTE_ADDED = "note_added", "Internal note added"
        ASSESSED = "assessed", "Assessed against the checklist"
        INFO_REQUESTED = "info_requested", "The hub asked you for more information"
        INFO_RECEIVED = "info_received", "You answered the hub's question"
        ROUTED = "routed", "Routed to partner organisations"
        SUPPORT_STARTED = "support_started", "Support started"
        PARKED = "parked", "Parked"
        UNPARKED = "unparked", "Back from parking"
        MARKED_DUPLICATE = "marked_duplicate", "Marked as a duplicate"
        CLOSED = "closed", "Closed"
        # Written by signposting through inquiry_record_event.
        REFERRAL_SENT = "referral_sent", "Referred to a partner organisation"
        REFERRAL_VIEWED = "referral_viewed", "A partner opened the referral"
        REFERRAL_ACCEPTED = "referral_accepted", "A partner organisation accepted the referral"
        REFERRAL_DECLINED = "referral_declined", "A partner organisation declined the referral"
        REFERRAL_COMPLETED = "referral_completed", "A partner organisation recorded the outcome"
        REFERRAL_CLOSED = "referral_closed", "Referral closed"
        PARTNER_QUESTION = "partner_question", "A partner asked the hub a question"
        CONSENT_WITHDRAWN = "consent_withdrawn", "You withdrew consent to share with partners"
        REFERRAL_HANDED_BACK = "referral_handed_back", "A partner organisation handed the referral back"
        REFERRAL_PROGRESS = "referral_progress", "A partner organisation sent a progress update"
        # Written by adoption through inquiry_record_event.
        STAGE_ENTERED = "stage_entered", "Entered a stage of support"
        GATE_DECIDED = "gate_decided", "Stage gate decision"
        MILESTONE_ADDED = "milestone_added", "Milestone added"
        MILESTONE_DONE = "milestone_done", "Milestone reached"
        BENEFIT_RECORDED = "benefit_recorded", "Benefits recorded"

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


class InquiryNote(models.Model):
    """An internal note by hub staff. Never shown to the submitter or to partners."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Note on {self.inquiry} by {self.author}"


class InformationRequest(models.Model):
    """A question from the hub to the submitter, and their answer."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="information_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    question = models.TextField(max_length=2000)
    requested_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(max_length=4000, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [
            # At most one unanswered question per inquiry.
            models.UniqueConstraint(fields=["inquiry"], condition=Q(answered_at__isnull=True),
                                    name="one_open_information_request"),
        ]

    def __str__(self):
        return f"Question on {self.inquiry}"


class Checklist(models.Model):
    """A hub's triage checklist: criteria with weights and answer scales, configured in admin."""

    class Kind(models.TextChoices):
        TRIAGE = "triage", "Triage"
        # The entry or exit criteria of a stage of support (adoption.Stage); not offered at triage.
        GATE = "gate", "Stage gate"

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="checklists")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TRIAGE)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["hub", "name"]
        constraints = [models.UniqueConstraint(fields=["hub", "slug"], name="checklist_slug_unique")]

    def __str__(self):
        return f"{self.name} ({self.hub})"


class Criterion(models.Model):
    class Scale(models.TextChoices):
        YES_NO = "yes_no", "Yes / No"
        YES_PARTLY_NO = "yes_partly_no", "Yes / Partly / No"
        RAG = "rag", "Green / Amber / Red"
        SCORE_1_5 = "score_1_5", "Score 1 to 5"

    # Each scale's answers and what each is worth (0 to 1); "n/a" answers are left out of the score.
    SCALE_ANSWERS = {
        "yes_no": [("yes", "Yes", 1.0), ("no", "No", 0.0)],
        "yes_partly_no": [("yes", "Yes", 1.0), ("partly", "Partly", 0.5), ("no", "No", 0.0)],
        "rag": [("green", "Green", 1.0), ("amber", "Amber", 0.5), ("red", "Red", 0.0)],
        "score_1_5": [(str(n), str(n), (n - 1) / 4) for n in range(1, 6)],
    }
    NOT_APPLICABLE = ("na", "Not applicable")

    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(default=0)
    question = models.CharField(max_length=300)
    guidance = models.TextField(blank=True)
    weight = models.PositiveSmallIntegerField(default=1)
    scale = models.CharField(max_length=20, choices=Scale.choices, default=Scale.YES_NO)
    allow_not_applicable = models.BooleanField(default=False)
    # An answer that raises a follow-up, and what must follow (e.g. "yes" -> "A DPIA is needed").
    follow_up_answer = models.CharField(max_length=20, blank=True)
    follow_up_text = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["checklist", "position", "pk"]
        verbose_name_plural = "criteria"

    def __str__(self):
        return self.question

    def answer_choices(self):
        choices = [(code, label) for code, label, _ in self.SCALE_ANSWERS[self.scale]]
        if self.allow_not_applicable:
            choices.append(self.NOT_APPLICABLE)
        return choices

    def value_of(self, answer):
        """What an answer is worth (0 to 1), or None for "not applicable"."""
        for code, _label, value in self.SCALE_ANSWERS[self.scale]:
            if code == answer:
                return value
        return None


class Assessment(models.Model):
    """One assessment of an inquiry against a checklist. Redoing it keeps the earlier versions."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="assessments")
    checklist = models.ForeignKey(Checklist, on_delete=models.PROTECT, related_name="assessments")
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField()
    is_current = models.BooleanField(default=True)
    score = models.DecimalField(max_digits=5, decimal_places=1, null=True)
    follow_ups = models.JSONField(default=list, blank=True)
    summary = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["inquiry", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["inquiry", "checklist", "number"], name="assessment_number_unique"),
        ]

    def __str__(self):
        return f"Assessment {self.number} of {self.inquiry}"


class AssessmentAnswer(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(max_length=20)
    comment = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["criterion__position", "pk"]

    def __str__(self):
        return f"{self.criterion}: {self.answer}"
