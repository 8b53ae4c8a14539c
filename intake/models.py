import json
import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from hubportal.models import Hub
from hubportal.taxonomy import InnovationType, KindOfHelp, Sector, Stage, SupportNeed, Theme

# An inquiry the hub still has work on (Inquiry.OPEN_STATUSES; also the queues' partial indexes).
OPEN_STATUSES = ("submitted", "in_review", "awaiting_info", "routed", "in_support")
# The staff list's sortable columns that have an index of their own (see Inquiry.Meta.indexes).
LIST_ORDERS = [("sent", "submitted_at"), ("updated", "updated_at"), ("reference", "reference"), ("title", "title"),
               ("status", "status"), ("organisation", "organisation"), ("kind", "kind_of_help")]


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

    # One NHS.UK tag colour per status, so a list reads at a glance (templates/intake/_status_tag.html
    # and the Jinja2 rows read it through the `status_colour` filter).
    STATUS_TAG_COLOURS = {
        "draft": "grey", "submitted": "blue", "in_review": "purple", "awaiting_info": "orange",
        "routed": "aqua-green", "in_support": "green", "closed": "white",
    }

    class Outcome(models.TextChoices):
        ADOPTED = "adopted", "Adopted or implemented"
        PROGRESSING_ELSEWHERE = "progressing_elsewhere", "Progressing elsewhere"
        SIGNPOSTED_ONLY = "signposted_only", "Signposted only"
        NOT_PROGRESSED = "not_progressed", "Not progressed"
        DUPLICATE = "duplicate", "Duplicate"
        WITHDRAWN = "withdrawn", "Withdrawn"

    OPEN_STATUSES = OPEN_STATUSES

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
    # No index of its own: every index below leads with the hub.
    hub = models.ForeignKey(Hub, null=True, blank=True, on_delete=models.PROTECT, related_name="inquiries",
                            db_index=False)

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
    # Where the submitter works (issue 10). Blank on inquiries sent before it was asked.
    sector = models.CharField(max_length=20, choices=Sector.choices, blank=True)
    phone = models.CharField(max_length=30, blank=True)

    class Source(models.TextChoices):
        WEB = "web", "Sent through the website"
        EMAIL = "email", "Recorded by the hub from an email"
        PHONE = "phone", "Recorded by the hub from a phone call"
        MEETING = "meeting", "Recorded by the hub from a meeting"

    class ConsentMethod(models.TextChoices):
        # How the person gave the consents a staff member recorded for them (issue 10).
        SPOKEN = "spoken", "They said so on the phone or in a meeting"
        WRITTEN = "written", "They wrote it in an email or letter"

    # How the inquiry reached the hub: the person's own journey, or staff recording an email for them.
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)

    consent_share_with_partners = models.BooleanField(null=True, blank=True)
    consent_contact = models.BooleanField(null=True, blank=True)
    # Set only when hub staff recorded the inquiry and the person's consents for them: who recorded the
    # consents, and how the person gave them (the journey's own consent page leaves these empty).
    consent_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.SET_NULL, related_name="+")
    consent_method = models.CharField(max_length=10, choices=ConsentMethod.choices, blank=True)

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
    # Data protection (issue 12): when the retention schedule or an erasure removed the personal data
    # (the coded fields the metrics count stay), and a hub lead's legal hold that stops both.
    anonymised_at = models.DateTimeField(null=True, blank=True)
    legal_hold_reason = models.CharField(max_length=300, blank=True)
    legal_hold_at = models.DateTimeField(null=True, blank=True)
    legal_hold_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    # Full-text search document (PostgreSQL tsvector, kept by the services; unused on SQLite).
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "inquiries"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["submitter", "-updated_at"], name="inquiry_submitter_recent"),
            models.Index(fields=["hub", "status", "-submitted_at"], name="inquiry_hub_status"),
            models.Index(fields=["hub", "assignee", "status"], name="inquiry_hub_assignee"),
            models.Index(fields=["hub", "triage_due_on"], name="inquiry_hub_due"),
            models.Index(fields=["hub", "innovation_type"], name="inquiry_hub_type"),
            models.Index(fields=["hub", "stage"], name="inquiry_hub_stage"),
            # The staff list's orders (issue 13): for each sortable column, the hub's sent inquiries in that
            # order with the id as tie-break, read forwards or backwards, so a page of 25 reads 25 index
            # entries at a hub of any size instead of sorting every row.
            *[models.Index(fields=["hub", column, "id"], name=f"inquiry_list_{name}", condition=~Q(status="draft"))
              for name, column in LIST_ORDERS],
            # Triage's own view, a status by due date ("submitted, due first"): the open inquiries are the
            # newest, so reading inquiry_hub_due in due order passed 222,000 closed ones before the first
            # match at 250,000 a hub (290 ms). It carries the list's other one-value filters, so counting a
            # status with them ("submitted new ideas", "overdue") is an index-only scan: checking each
            # match's kind of help on its table page was 7 of the filtered list's 10 ms of SQL.
            models.Index(fields=["hub", "status", "triage_due_on", "submitted_at", "id"],
                         name="inquiry_list_status_filters", condition=~Q(status="draft"),
                         include=["kind_of_help", "innovation_type", "stage", "assignee", "first_response_at"]),
            # Each dashboard queue (intake.selectors.QUEUES) in its own order: a card's first five and its
            # capped count read only that queue's rows. The queues that leave parked inquiries out carry
            # the return date in the index, so their counts are index-only scans: without it, counting
            # to the cap visited a table page per inquiry (1,001 pages, 3 to 10 ms a card at 250,000 a hub).
            models.Index(fields=["hub", "submitted_at", "id"], name="inquiry_queue_new_parked",
                         include=["parked_until"], condition=Q(status="submitted", assignee__isnull=True)),
            models.Index(fields=["hub", "assignee", "triage_due_on", "submitted_at", "id"],
                         name="inquiry_queue_mine_parked", include=["parked_until"],
                         condition=Q(status__in=OPEN_STATUSES)),
            models.Index(fields=["hub", "updated_at", "id"], name="inquiry_queue_awaiting_parked",
                         include=["parked_until"], condition=Q(status="awaiting_info")),
            models.Index(fields=["hub", "triage_due_on", "id"], name="inquiry_queue_triage_parked",
                         include=["parked_until"], condition=Q(status="submitted", first_response_at__isnull=True)),
            models.Index(fields=["hub", "parked_until", "id"], name="inquiry_queue_parked",
                         condition=Q(status__in=OPEN_STATUSES, parked_until__isnull=False)),
            # A hub's inquiry ids from the index alone (an index-only scan): the value report's referral
            # figures join referrals to the hub's inquiries through it instead of reading 25,000 rows.
            models.Index(fields=["hub", "id"], name="inquiry_hub_ids"),
            # The retention job's two questions: closed long ago and not yet anonymised; drafts untouched.
            models.Index(fields=["hub", "closed_at"], name="inquiry_retention_closed",
                         condition=Q(status="closed", anonymised_at__isnull=True)),
            models.Index(fields=["hub", "updated_at"], name="inquiry_retention_draft", condition=Q(status="draft")),
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
        from hubportal.taxonomy import is_local_theme, labels, theme_labels

        if any(is_local_theme(code) for code in self.themes or ()):
            return theme_labels(self.hub if self.hub_id else None, self.themes)
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
        # The hub's shared mailbox (intake/mailbox.py).
        RECORDED_FROM_EMAIL = "recorded_from_email", "The hub recorded your inquiry from your email"
        # Staff recorded it from a phone call, a meeting or an email, with the person's consents.
        RECORDED_ON_BEHALF = "recorded_on_behalf", "The hub recorded your inquiry for you"
        EMAIL_RECEIVED = "email_received", "Email received"
        ANONYMISED = "anonymised", "Personal data removed (retention schedule)"
        ERASED = "erased", "Personal data erased at the person's request"
        LEGAL_HOLD_SET = "legal_hold_set", "Legal hold set"
        LEGAL_HOLD_RELEASED = "legal_hold_released", "Legal hold released"
        # Written by review (PPIE lay review) through inquiry_record_event; internal.
        LAY_REVIEW_REQUESTED = "lay_review_requested", "Lay review requested"
        LAY_REVIEW_ANSWERED = "lay_review_answered", "A lay reviewer answered"
        LAY_REVIEW_DECLINED = "lay_review_declined", "A lay reviewer declined"
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
    # Set when the file came with an answer to the hub's question (staff see it beside that answer);
    # empty for files attached to the draft.
    information_request = models.ForeignKey("InformationRequest", null=True, blank=True,
                                            on_delete=models.SET_NULL, related_name="attachments")

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
    """A hub's checklist: criteria with weights and answer scales, kept by its leads on the settings pages.

    Staff assess inquiries against the triage checklists; lay reviewers (review app) answer the
    hub's "lay review" checklist, whose questions are written for the public.

    Versions (issue 10): each row is one version of a checklist; its versions share the hub and slug.
    Changing the criteria of a version that anything used (an assessment, a lay review) makes the next
    version (intake.checklists), so whatever used it keeps the questions, weights and score it had.
    The current version is the one not `replaced_by` another; a retired checklist is a current
    version that is not active.
    """

    class Kind(models.TextChoices):
        TRIAGE = "triage", "Triage (hub staff)"
        LAY_REVIEW = "lay_review", "Lay review (PPIE reviewers)"
        # The entry or exit criteria of a stage of support (adoption.Stage); not offered at triage.
        GATE = "gate", "Stage gate"

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="checklists")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TRIAGE)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveSmallIntegerField(default=1)
    replaced_by = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="replaces")

    class Meta:
        ordering = ["hub", "name", "-version"]
        constraints = [
            # Two leads editing at once both try to make the same next version: one of them fails.
            models.UniqueConstraint(fields=["hub", "slug", "version"], name="checklist_slug_version_unique"),
        ]

    def __str__(self):
        return f"{self.name} ({self.hub})"

    @property
    def is_current(self):
        return self.replaced_by_id is None


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
    # The same question in every version of its checklist (the settings pages' URLs name it).
    key = models.UUIDField(default=uuid.uuid4, editable=False)
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
        constraints = [models.UniqueConstraint(fields=["checklist", "key"], name="criterion_key_unique")]

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


# --- The hub's shared mailbox (IMAP) --------------------------------------------------------------


class HubMailbox(models.Model):
    """A hub's shared mailbox, read over IMAP by a beat job (intake/mailbox.py).

    The password is stored encrypted (Fernet, MAILBOX_ENCRYPTION_KEYS) and never shown back.
    `uid_validity` and `last_uid` are the watermark: messages above it are new. Fetches take a lease
    (`fetch_lease_until`) with a conditional UPDATE so only one fetch per mailbox runs at a time.
    """

    class Security(models.TextChoices):
        TLS = "tls", "TLS from the start (IMAPS, usually port 993)"
        STARTTLS = "starttls", "STARTTLS (usually port 143)"

    class AfterImport(models.TextChoices):
        MARK = "mark", "Mark as read and tag it FrontDoor, leaving it in the folder"
        MOVE = "move", "Move it to another folder"

    hub = models.OneToOneField(Hub, on_delete=models.CASCADE, related_name="mailbox")
    is_enabled = models.BooleanField(default=True)
    host = models.CharField(max_length=253)
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(max_length=10, choices=Security.choices, default=Security.TLS)
    username = models.CharField(max_length=254)
    password_encrypted = models.TextField()
    folder = models.CharField(max_length=200, default="INBOX")
    after_import = models.CharField(max_length=10, choices=AfterImport.choices, default=AfterImport.MARK)
    move_to_folder = models.CharField(max_length=200, blank=True)

    uid_validity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    fetch_lease_until = models.DateTimeField(null=True, blank=True)
    last_fetch_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(after_import="move") | ~Q(move_to_folder=""),
                                   name="mailbox_move_needs_a_folder"),
        ]

    def __str__(self):
        return f"{self.username} on {self.host} ({self.hub})"


class MailboxMessage(models.Model):
    """One email imported from a hub's mailbox: an item of the "Arrived by email" queue, a reply
    attached to an inquiry, or automatic mail (auto-replies, bounces, lists) kept only so it is
    never imported again."""

    class Kind(models.TextChoices):
        NEW = "new", "New email"
        REPLY = "reply", "Reply to one of our emails"
        AUTOMATIC = "automatic", "Automatic (auto-reply, bounce or mailing list)"

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        RECORDED = "recorded", "Recorded as an inquiry"
        ATTACHED = "attached", "Attached to an inquiry"
        DISMISSED = "dismissed", "Dismissed"
        IGNORED = "ignored", "Not work (automatic)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mailbox = models.ForeignKey(HubMailbox, on_delete=models.CASCADE, related_name="messages")
    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="+")
    uid_validity = models.BigIntegerField()
    uid = models.BigIntegerField()
    # Without angle brackets; blank when the message had none (then only the UID identifies it).
    message_id = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NEW)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    # Why automatic mail was recognised as such ("Auto-Submitted: auto-replied").
    automatic_reason = models.CharField(max_length=200, blank=True)

    sender_name = models.CharField(max_length=200, blank=True)
    sender_email = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    # Plain text only: HTML mail is converted to text on import and never rendered as HTML.
    body_text = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    size = models.PositiveIntegerField(default=0)
    has_nhs_number = models.BooleanField(default=False)
    # Problems found while reading it (a malformed header, an unknown charset), for staff.
    parse_notes = models.CharField(max_length=500, blank=True)

    imported_at = models.DateTimeField(default=timezone.now)
    # Marked or moved on the IMAP server. Null after a crash between import and marking: the next
    # fetch marks it, and never imports it again.
    marked_at = models.DateTimeField(null=True, blank=True)

    inquiry = models.ForeignKey(Inquiry, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="emails")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        indexes = [
            models.Index(fields=["hub", "status", "-imported_at"], name="mailbox_message_queue"),
            models.Index(fields=["mailbox", "marked_at"], name="mailbox_message_unmarked"),
        ]
        constraints = [
            # A message is imported once: by its place on the server, and by its Message-ID (which
            # also covers the same message seen again after the server changed UIDVALIDITY).
            models.UniqueConstraint(fields=["mailbox", "uid_validity", "uid"], name="mailbox_message_uid_once"),
            models.UniqueConstraint(fields=["mailbox", "message_id"], condition=~Q(message_id=""),
                                    name="mailbox_message_id_once"),
        ]

    def __str__(self):
        return f"{self.subject or '(no subject)'} from {self.sender_email}"


def mailbox_attachment_path(instance, filename):
    return f"mailbox/{instance.stored_name}"


class MailboxAttachment(models.Model):
    """A file in an imported email. Kept only when the upload allow-list accepts its bytes; a refused
    one is listed with the reason and its bytes are not stored."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message = models.ForeignKey(MailboxMessage, on_delete=models.CASCADE, related_name="attachments")
    original_name = models.CharField(max_length=200)
    declared_type = models.CharField(max_length=100, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField()
    is_inline = models.BooleanField(default=False)
    stored_name = models.CharField(max_length=80, blank=True)
    file = models.FileField(upload_to=mailbox_attachment_path, max_length=200, blank=True)
    refused_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.original_name

    @property
    def is_refused(self):
        return bool(self.refused_reason)
class InquiryIdsField(models.Field):
    """A list of inquiry primary keys: bigint[] on PostgreSQL (where a GIN index finds the rows that hold a
    given inquiry, intake 0026), a JSON array as text elsewhere (SQLite reads it with json_each).

    Read it with the `overlap` lookup (rows whose list shares an id with the given list)."""

    description = "A list of inquiry primary keys"

    def db_type(self, connection):
        return "bigint[]" if connection.vendor == "postgresql" else "text"

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        ids = [int(pk) for pk in value]
        if connection.vendor == "postgresql":
            # An array literal, one parameter: psycopg2 would adapt a list's 2,000 ints one by one.
            return "{" + ",".join(map(str, ids)) + "}"
        return json.dumps(ids)

    def from_db_value(self, value, expression, connection):
        if value is None or isinstance(value, list):  # psycopg2 reads bigint[] as a list already
            return value
        return json.loads(value)

    def to_python(self, value):
        return json.loads(value) if isinstance(value, str) else value


@InquiryIdsField.register_lookup
class InquiryIdsOverlap(models.Lookup):
    """`inquiry_ids__overlap=[pk, ...]`: the list holds at least one of these keys."""

    lookup_name = "overlap"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [self.lhs.output_field.get_db_prep_value(value, connection)]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} && {rhs}::bigint[]", [*lhs_params, *rhs_params]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        # Django's own column and placeholder: the keys are parameters.
        return (f"EXISTS (SELECT 1 FROM json_each({lhs}) AS held, json_each({rhs}) AS wanted "  # noqa: S608
                f"WHERE held.value = wanted.value)", [*lhs_params, *rhs_params])


class InquiryAccess(models.Model):
    """One view of an inquiry's personal data or attachment by someone other than its submitter: who,
    when, what, from where (UK GDPR article 30 records; the DSPT's "who saw what").

    A view of one inquiry (a case page, an attachment, a referral) names it in `inquiry`. A batch seen at
    once (a chunk of a CSV export, up to EXPORT_CHUNK inquiries) is one row naming them all in
    `inquiry_ids`, so an export writes one row per chunk rather than one per inquiry (issue 13); exactly
    one of the two is set. Read the rows about an inquiry with intake.access_log, which asks both.

    Written by intake.access_log, one INSERT per view or batch; never changed. `who` is the viewer as
    they were at the time (name, address, organisation), so the row still reads right after a partner
    contact or reviewer is removed; `user` links hub staff to their account.
    """

    class Actor(models.TextChoices):
        STAFF = "staff", "Hub staff"
        PARTNER = "partner", "Partner contact"
        LAY_REVIEWER = "lay_reviewer", "Lay reviewer"

    # No database constraint on either key (Django still cascades and sets null when an inquiry or a user
    # is deleted): checking them cost a lookup and a key-share lock on the inquiry for every row, 80% of
    # writing an export's 100,000 rows (issue 13). Rows are only written for an inquiry the request has
    # just read. The inquiry's index is inquiry_access_by_inquiry's leading column.
    inquiry = models.ForeignKey(Inquiry, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                db_index=False, db_constraint=False)
    # A batch's inquiries, in the order they were shown. Nothing cascades into the list: deleting an
    # inquiry (only drafts are ever deleted, and drafts are never exported) leaves its key here, a true
    # record of an access to something now gone, and keys are never reused.
    inquiry_ids = InquiryIdsField(null=True, blank=True)
    actor_kind = models.CharField(max_length=20, choices=Actor.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", db_constraint=False)
    who = models.CharField(max_length=300)
    # What was seen, in words a hub lead reads: "case page", "attachment evidence.pdf", "CSV export".
    what = models.CharField(max_length=300)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The hub lead's page and the subject access export read one inquiry's rows, newest first.
            # (The batches' lists have a GIN index on PostgreSQL, made in intake 0026.)
            models.Index(fields=["inquiry", "created_at"], name="inquiry_access_by_inquiry"),
            # The retention purge deletes the oldest rows.
            models.Index(fields=["created_at"], name="inquiry_access_by_age"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(inquiry__isnull=False, inquiry_ids__isnull=True)
                | Q(inquiry__isnull=True, inquiry_ids__isnull=False),
                name="inquiry_access_one_inquiry_or_a_batch"),
        ]

    def __str__(self):
        return f"{self.who} saw {self.what} at {self.created_at:%Y-%m-%d %H:%M}"


class SavedSearch(models.Model):
    """A named set of list filters ("Overdue IG questions"), kept by one person and, if they choose,
    shared with everyone in their hub. It holds the list's query string, which the list validates
    again each time it is opened, so a saved search can never reach the database unchecked."""

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="saved_searches")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000, blank=True)
    is_shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["hub", "is_shared"], name="saved_search_hub_shared")]
        constraints = [models.UniqueConstraint(fields=["hub", "owner", "name"], name="saved_search_name_unique")]

    def __str__(self):
        return self.name


class InquiryRollup(models.Model):
    """The hub's sent inquiries counted by London day sent and by each figure the metrics page and the
    value report show (issue 13): one compacted row per (hub, dimension, day, value).

    PostgreSQL only. Nothing in Python writes these rows: triggers on intake_inquiry append a delta row
    per changed key (InquiryRollupDelta) in the same transaction as the change, whoever makes it (a
    service, a conditional QuerySet.update(), a delete), and `intake.rollups.rollups_compact` folds the
    deltas in here every minute. Readers sum both tables, so a figure is right the moment a change
    commits. SQLite keeps counting the inquiries themselves (intake.metrics)."""

    hub = models.ForeignKey(Hub, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    dimension = models.CharField(max_length=30)
    day = models.DateField()
    value = models.TextField(blank=True)
    n = models.BigIntegerField()

    class Meta:
        constraints = [
            # Readers ask for one hub's dimension over a range of days: an index-only range scan.
            models.UniqueConstraint(fields=["hub", "dimension", "day", "value"], name="inquiry_rollup_key",
                                    include=["n"]),
        ]

    def __str__(self):
        return f"{self.dimension}={self.value} on {self.day}: {self.n}"


class InquiryRollupMonth(models.Model):
    """The same counts by calendar month sent, folded in with the day rows by the compaction, so a long
    period reads one row per month and value, and days only at its ragged ends. Here the working-day
    pairs (first_response, decision) are kept as the number of working days (`value`), counted in Python
    with the bank holidays when folded: that is what bounds the medians' rows."""

    hub = models.ForeignKey(Hub, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    dimension = models.CharField(max_length=30)
    month = models.DateField()  # its first day
    value = models.TextField(blank=True)
    n = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hub", "dimension", "month", "value"], name="inquiry_rollup_month_key",
                                    include=["n"]),
        ]

    def __str__(self):
        return f"{self.dimension}={self.value} in {self.month:%B %Y}: {self.n}"


class InquiryRollupDelta(models.Model):
    """Append-only +1/-1 rows written by the triggers: appending never waits for another transaction, so
    concurrent submissions to one hub on one day do not queue on a shared counter row."""

    id = models.BigAutoField(primary_key=True)
    hub = models.ForeignKey(Hub, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    dimension = models.CharField(max_length=30)
    day = models.DateField()
    value = models.TextField(blank=True)
    n = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["hub", "dimension", "day"], name="inquiry_rollup_delta_key",
                                include=["value", "n"])]

    def __str__(self):
        return f"{self.dimension}={self.value} on {self.day}: {self.n:+d}"
