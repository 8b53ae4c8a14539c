"""After triage: a case moves through its hub's stages by gate decisions, carries milestones and benefit
lines with follow-ups, and ends with a survey of the submitter.

Figures for the value report come from adoption/selectors.py, each one aggregate query.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from hubportal.models import Hub
from intake.models import Assessment, Checklist, Inquiry


class AdoptionSettings(models.Model):
    """A hub's own intervals for cases in support, edited by its leads (adoption:settings)."""

    hub = models.OneToOneField(Hub, on_delete=models.CASCADE, related_name="adoption_settings")
    benefit_follow_up_months = models.JSONField(
        default=list, blank=True, help_text="Months after entering the benefits stage when the sponsor is asked for "
                                            "actuals (default 3, 6 and 12).")
    benefit_reminder_working_days = models.PositiveSmallIntegerField(
        default=10, help_text="Remind the sponsor once, this many working days after a follow-up is due.")
    survey_reminder_working_days = models.PositiveSmallIntegerField(
        default=10, help_text="Remind the submitter once to answer the end-of-support survey.")
    milestone_overdue_working_days = models.PositiveSmallIntegerField(
        default=1, help_text="Tell the owner a milestone is overdue this many working days after its due date.")

    DEFAULT_FOLLOW_UP_MONTHS = (3, 6, 12)

    def __str__(self):
        return f"Adoption settings of {self.hub}"

    @property
    def follow_up_months(self):
        return tuple(self.benefit_follow_up_months or self.DEFAULT_FOLLOW_UP_MONTHS)


class Stage(models.Model):
    """One stage of a hub's support framework (default: Explore, Test, Adopt and spread)."""

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60)
    description = models.CharField(max_length=300, blank=True)
    entry_checklist = models.ForeignKey(Checklist, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", limit_choices_to={"kind": Checklist.Kind.GATE})
    exit_checklist = models.ForeignKey(Checklist, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+", limit_choices_to={"kind": Checklist.Kind.GATE})
    # Entering this stage starts the benefit follow-ups (3, 6 and 12 months later by default).
    starts_benefit_follow_ups = models.BooleanField(default=False)

    class Meta:
        ordering = ["hub", "position"]
        constraints = [
            models.UniqueConstraint(fields=["hub", "slug"], name="stage_slug_unique"),
            models.UniqueConstraint(fields=["hub", "position"], name="stage_position_unique"),
        ]

    def __str__(self):
        return self.name


class Barrier(models.TextChoices):
    """What held a case back, coded so the value report can count it (gate decisions and closes)."""

    FUNDING = "funding", "Funding"
    CAPACITY = "capacity", "Staff capacity or time"
    EVIDENCE = "evidence", "Not enough evidence"
    PROCUREMENT = "procurement", "Procurement"
    INFORMATION_GOVERNANCE = "information_governance", "Information governance or data protection"
    DIGITAL = "digital", "Digital infrastructure or interoperability"
    CLINICAL_ENGAGEMENT = "clinical_engagement", "Clinical engagement"
    LEADERSHIP = "leadership", "Leadership support or priorities"
    REGULATION = "regulation", "Regulation or assurance"
    OTHER = "other", "Another barrier"


class Case(models.Model):
    """An inquiry in support: where it is in its hub's stages, and who sponsors it."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ON_HOLD = "on_hold", "On hold"
        PARKED = "parked", "Parked"
        STOPPED = "stopped", "Stopped"
        COMPLETED = "completed", "Completed"
        CLOSED = "closed", "Closed"

    class Decision(models.TextChoices):
        PROGRESS = "progress", "Progress to the next stage"
        HOLD = "hold", "Hold in this stage until a review date"
        PARK = "park", "Park until a review date"
        STOP = "stop", "Stop and close"
        RESUME = "resume", "Resume work in this stage"

    OPEN_STATUSES = (Status.ACTIVE, Status.ON_HOLD, Status.PARKED)

    # Which gate decisions each status allows, and the status each leads to (PROGRESS from the last stage
    # completes the case). Every gate decision checks this table; pages ask case_available_decisions.
    TRANSITIONS = {
        Status.ACTIVE: {Decision.PROGRESS: Status.ACTIVE, Decision.HOLD: Status.ON_HOLD,
                        Decision.PARK: Status.PARKED, Decision.STOP: Status.STOPPED},
        Status.ON_HOLD: {Decision.PROGRESS: Status.ACTIVE, Decision.RESUME: Status.ACTIVE,
                         Decision.HOLD: Status.ON_HOLD, Decision.PARK: Status.PARKED, Decision.STOP: Status.STOPPED},
        Status.PARKED: {Decision.PROGRESS: Status.ACTIVE, Decision.RESUME: Status.ACTIVE,
                        Decision.HOLD: Status.ON_HOLD, Decision.STOP: Status.STOPPED},
        Status.STOPPED: {},
        Status.COMPLETED: {},
        Status.CLOSED: {},
    }
    # Decisions that need a review date (and plan a reminder for it).
    NEEDS_REVIEW_DATE = frozenset({Decision.HOLD, Decision.PARK})

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    inquiry = models.OneToOneField(Inquiry, on_delete=models.CASCADE, related_name="adoption_case")
    hub = models.ForeignKey(Hub, on_delete=models.PROTECT, related_name="adoption_cases")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    started_at = models.DateTimeField(default=timezone.now)
    stage_entered_at = models.DateTimeField(default=timezone.now)
    # When the case entered the stage that starts benefit follow-ups ("Adopt and spread").
    follow_ups_started_at = models.DateTimeField(null=True, blank=True)
    review_on = models.DateField(null=True, blank=True)
    sponsor_name = models.CharField(max_length=200, blank=True)
    sponsor_email = models.EmailField(blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Goes up with every gate decision: of two people deciding at once, one wins.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["stage__position", "stage_entered_at"]
        indexes = [
            models.Index(fields=["hub", "status", "stage"], name="case_hub_board"),
            models.Index(fields=["hub", "started_at"], name="case_hub_started"),
            # A hub's cases by id alone: the value report joins benefits and visits to them (issue 11/13).
            models.Index(fields=["hub", "id"], name="case_hub_ids"),
        ]

    def __str__(self):
        return f"{self.inquiry} in {self.stage}"

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES


class _OfTheCasesHub(models.Model):
    """A row of a case that also carries the case's hub (copied when the row is made; a case never
    changes hub), so the value report reads one hub's rows by index instead of joining every hub's to
    the hub's cases (issue 11 at a network of 1,000,000 inquiries)."""

    hub = models.ForeignKey(Hub, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.hub_id is None and self.case_id is not None:
            self.hub_id = self.case.hub_id
        super().save(*args, **kwargs)


class StageVisit(_OfTheCasesHub):
    """A case's time in one stage: time in stage and stage progression for the value report."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="visits")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="visits")
    entered_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["entered_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["case"], condition=Q(left_at__isnull=True),
                                               name="one_current_stage_visit")]
        indexes = [models.Index(fields=["stage", "entered_at"], name="stage_visit_stage"),
                   models.Index(fields=["hub", "left_at"], name="stage_visit_hub_left")]

    def __str__(self):
        return f"{self.case} in {self.stage} from {self.entered_at:%Y-%m-%d}"


class GateDecision(models.Model):
    """Who decided what at a stage gate, on which criteria answers, why, and until when."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=10, choices=Case.Decision.choices)
    from_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The criteria answers (intake's machinery): against the stage's exit checklist, and, when progressing,
    # the next stage's entry checklist.
    assessment = models.ForeignKey(Assessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    entry_assessment = models.ForeignKey(Assessment, null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+")
    rationale = models.TextField(max_length=2000)
    review_on = models.DateField(null=True, blank=True)
    barrier = models.CharField(max_length=30, choices=Barrier.choices, blank=True)
    outcome = models.CharField(max_length=30, choices=Inquiry.Outcome.choices, blank=True)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["decided_at", "pk"]
        indexes = [models.Index(fields=["case", "decided_at"], name="gate_decision_case")]

    def __str__(self):
        return f"{self.get_decision_display()} ({self.case})"


class Milestone(_OfTheCasesHub):
    """A thing a case must reach in a stage, by a date, with an owner; reminded like other deadlines."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="milestones")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    title = models.CharField("what", max_length=200)
    owner_name = models.CharField("owner", max_length=200)
    # The hub member reminded (the case's assignee or the hub leads when empty).
    owner_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["case", "due_on"], name="milestone_case_due"),
                   models.Index(fields=["hub", "due_on"], name="milestone_hub_due")]

    def __str__(self):
        return self.title


class BenefitLine(models.Model):
    """What a case measures: a measure with a unit, a baseline and a target."""

    class Unit(models.TextChoices):
        GBP = "gbp", "Pounds (£)"
        HOURS = "hours", "Hours"
        DAYS = "days", "Days"
        PERCENT = "percent", "Per cent"
        COUNT = "count", "Number"
        PER_1000_BED_DAYS = "per_1000_bed_days", "Per 1,000 bed days"
        PATIENTS = "patients", "Patients"
        MINUTES = "minutes", "Minutes"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="benefit_lines")
    measure = models.CharField(max_length=200)
    unit = models.CharField(max_length=20, choices=Unit.choices)
    baseline = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    target = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # A target means something only against a baseline.
            models.CheckConstraint(condition=Q(target__isnull=True) | Q(baseline__isnull=False),
                                   name="benefit_target_needs_baseline"),
        ]

    def __str__(self):
        return f"{self.measure} ({self.get_unit_display()})"


class BenefitFollowUp(_OfTheCasesHub):
    """One follow-up of a case's benefits, N months after it entered the benefits stage."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="follow_ups")
    months = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    requested_at = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "months"], name="follow_up_once_per_month")]
        indexes = [models.Index(fields=["hub", "due_on"], name="follow_up_hub_due")]

    def __str__(self):
        return f"{self.months}-month follow-up of {self.case}"


class BenefitActual(models.Model):
    """The value a benefit line reached at a follow-up, recorded by the sponsor (link) or by staff."""

    follow_up = models.ForeignKey(BenefitFollowUp, on_delete=models.CASCADE, related_name="actuals")
    line = models.ForeignKey(BenefitLine, on_delete=models.CASCADE, related_name="actuals")
    value = models.DecimalField(max_digits=14, decimal_places=2)
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_by_email = models.EmailField(blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["follow_up__due_on", "line_id"]
        constraints = [models.UniqueConstraint(fields=["follow_up", "line"], name="benefit_actual_once")]

    def __str__(self):
        return f"{self.line}: {self.value}"


class Survey(models.Model):
    """The end-of-support survey of a case's submitter: sent once when the case ends, reminded once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="survey")
    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(null=True, blank=True,
                                                    validators=[MinValueValidator(1), MaxValueValidator(10)])
    would_recommend = models.PositiveSmallIntegerField(null=True, blank=True,
                                                       validators=[MinValueValidator(1), MaxValueValidator(10)])
    comment = models.TextField(max_length=2000, blank=True)

    class Meta:
        indexes = [models.Index(fields=["hub", "answered_at"], name="survey_hub_answered")]
        constraints = [
            models.CheckConstraint(condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=10),
                                   name="survey_satisfaction_1_10"),
            models.CheckConstraint(condition=Q(would_recommend__isnull=True)
                                   | Q(would_recommend__gte=1, would_recommend__lte=10),
                                   name="survey_recommend_1_10"),
        ]

    def __str__(self):
        return f"Survey of {self.case}"


class ValueReportNarrative(models.Model):
    """What a hub lead writes for the value report of one period (dates inclusive), saved with the
    report. Publishing it (once) tells the hub's channels (webhook value_report.published) and shows it
    to the hub's network leads; a published narrative may still be corrected."""

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="value_report_narratives")
    date_from = models.DateField()
    date_to = models.DateField()
    text = models.TextField(max_length=5000, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ["hub", "-date_to", "-date_from"]
        constraints = [
            models.UniqueConstraint(fields=["hub", "date_from", "date_to"], name="value_report_narrative_once"),
            models.CheckConstraint(condition=Q(date_to__gte=models.F("date_from")),
                                   name="value_report_period_in_order"),
        ]

    def __str__(self):
        return f"Value report narrative of {self.hub}, {self.date_from} to {self.date_to}"

    @property
    def is_published(self):
        return self.published_at is not None


class ValueReportSnapshot(models.Model):
    """The value report's figures for a set of hubs and a period, as worked out at `computed_at` (issue 13:
    a hub of 250,000 inquiries takes about a second to work them out). The pages show that time and use
    a snapshot for at most settings.VALUE_REPORT_MAX_AGE_MINUTES, and only on the day it was made (the
    figures judge "overdue" against today). `figures` is adoption.report's own JSON encoding, never pickle."""

    hubs_key = models.CharField(max_length=500)  # the hubs' ids, sorted, comma-separated
    date_from = models.DateField()
    date_to = models.DateField()
    computed_on = models.DateField()
    computed_at = models.DateTimeField()
    figures = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hubs_key", "date_from", "date_to"],
                                               name="value_report_snapshot_once")]

    def __str__(self):
        return f"Value report figures of hubs {self.hubs_key}, {self.date_from} to {self.date_to}"
