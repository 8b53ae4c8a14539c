"""The shared kernel: people, hubs, emailed links and the outbound email outbox."""

import hashlib
import secrets
import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra)
        if password:
            user.set_password(password)
        else:
            # Submitters and partner contacts sign in with emailed links, never a password.
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person, known by their email address (unique, stored lower-case)."""

    class Digest(models.TextChoices):
        NONE = "none", "No digest"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    # May use Django admin (administrators only; hub staff use the portal's own pages).
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Blank until the person chooses: each role has its default (see hubportal.digests).
    digest_frequency = models.CharField(max_length=10, choices=Digest.choices, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Hub(models.Model):
    """An innovation hub: one front door. A deployment may serve a network of hubs."""

    name = models.CharField(max_length=200, unique=True)
    # Three letters that start every reference of this hub's inquiries (DOR-2026-00042).
    code = models.CharField(max_length=3, unique=True)
    slug = models.SlugField(unique=True)
    area_description = models.CharField(max_length=300, blank=True)
    # Reply-To of every email about this hub's inquiries.
    email = models.EmailField()
    triage_target_working_days = models.PositiveSmallIntegerField(default=5)
    # Reminder schedule, in working days (issue: reminders and digests). Defaults are the hubs' own.
    info_reminder_working_days = models.PositiveSmallIntegerField(
        default=10, help_text="Remind the submitter of an unanswered question after this many working days.")
    info_close_suggestion_working_days = models.PositiveSmallIntegerField(
        default=5, help_text="After the reminder, tell the hub lead the inquiry can be closed after this many more.")
    partner_target_working_days = models.PositiveSmallIntegerField(
        default=5, help_text="Partners should accept or decline a referral within this many working days.")
    partner_reminder_working_days = models.PositiveSmallIntegerField(
        default=3, help_text="Remind the partner contact after this many working days.")
    partner_escalation_working_days = models.PositiveSmallIntegerField(
        default=7, help_text="Tell the partner's lead and the hub lead after this many working days.")
    # Partner follow-through (signposting): an accepted referral's partner is asked for a progress update
    # every so many days, chased once if silent, and then the hub leads are told.
    partner_progress_interval_days = models.PositiveSmallIntegerField(
        default=30, help_text="Ask the partner for a progress update on an accepted referral every this many days.")
    partner_progress_chase_working_days = models.PositiveSmallIntegerField(
        default=5, help_text="Chase a progress update not given after this many working days.")
    partner_progress_escalation_working_days = models.PositiveSmallIntegerField(
        default=5, help_text="After the chase, tell the hub leads after this many more working days.")
    # Sensitive mode: digests carry counts and links only, no titles.
    is_sensitive = models.BooleanField(default=False)
    # Retention schedule (issue 12), set by the hub lead; hubportal.retention applies it every night.
    retain_closed_months = models.PositiveSmallIntegerField(
        default=24, validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text="Anonymise a closed inquiry this many months after it closed.")
    retain_drafts_days = models.PositiveSmallIntegerField(
        default=90, validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Delete an unfinished draft this many days after its last change.")
    retain_email_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Remove the content of a sent or failed email this many days after it was written.")
    # The intranet pages allowed to frame this hub's front door widget (/embed/<hub>/), one origin a
    # line (https://intranet.dchft.nhs.uk). Empty: nobody may frame it. Set by hub leads (embed page).
    embed_origins = models.TextField(blank=True, default="")
    # Who may submit to this hub (issue 10): email domains, one a line ("dchft.nhs.uk"), each with its
    # subdomains. Empty: the deployment's SUBMITTER_EMAIL_DOMAINS. See hubportal.submitters.
    accepted_email_domains = models.TextField(blank=True, default="")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Z]{3}$"), name="hub_code_three_capitals"),
        ]

    def __str__(self):
        return self.name

    @property
    def embed_origin_list(self):
        return [line.strip() for line in self.embed_origins.splitlines() if line.strip()]


class HubOrganisation(models.Model):
    """An organisation in a hub's area, used to suggest the hub to a submitter."""

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="organisations")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["hub", "name"], name="hub_organisation_unique")]

    def __str__(self):
        return self.name


class HubMembership(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", "Hub lead"
        MEMBER = "member", "Hub team member"

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="hub_memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hub", "user"], name="hub_membership_unique")]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}, {self.hub})"


class NetworkLead(models.Model):
    """An ICS or programme lead over several hubs: sees their value report, summed and side by side, and
    never an inquiry. A staff account (password and TOTP, invited like any staff) that belongs to no hub,
    so every hub page and inquiry page answers 404 (membership_for finds no membership)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="network_lead")
    # What the lead's report is headed with, e.g. "Dorset Integrated Care System".
    network_name = models.CharField(max_length=200)
    hubs = models.ManyToManyField(Hub, related_name="network_leads")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.user} (network lead, {self.network_name})"


def hash_token(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


class EmailLink(models.Model):
    """A link we emailed to one person for one purpose. Only its SHA-256 is stored.

    Single use (used_at), expiring (expires_at), bound to a purpose, a person (email) and, where
    the purpose needs one, an object (subject_ref).
    """

    class Purpose(models.TextChoices):
        SIGN_IN = "sign_in", "Sign in"
        PARTNER_SIGN_IN = "partner_sign_in", "Partner contact sign in"
        REFERRAL = "referral", "Act on a referral"
        # A staff member's first sign-in (or the next one after an administrator reset their
        # authenticator): leads to setting a password, then an authenticator. subject_ref: the user's pk.
        STAFF_INVITATION = "staff_invitation", "Staff invitation"
        # A person's subject access archive (issue 12). subject_ref: the DataExport's public_id.
        DATA_EXPORT = "data_export", "Download your data"
        # A lay reviewer's link to one review request (review app). subject_ref: the LayReview's public_id.
        LAY_REVIEW = "lay_review", "Lay review"
        # A case's sponsor records benefit actuals for one follow-up (adoption). subject_ref: the
        # follow-up's public_id.
        BENEFIT_ACTUALS = "benefit_actuals", "Record benefit actuals"

    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    # The person, by address: a sign-in link may be asked for before their account exists.
    email = models.EmailField()
    subject_ref = models.CharField(max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    # Where the person was going when they asked (a local path), so the link takes them back there.
    next_path = models.CharField(max_length=300, blank=True)
    requested_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["email", "created_at"], name="emaillink_email_recent"),
            models.Index(fields=["requested_ip", "created_at"], name="emaillink_ip_recent"),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} link for {self.email}"

    @staticmethod
    def new_token():
        return secrets.token_urlsafe(32)

    @property
    def is_used(self):
        return self.used_at is not None

    @property
    def is_expired(self):
        return self.expires_at <= timezone.now()


class OutboundEmail(models.Model):
    """One email we owe someone. Written in the transaction that caused it; sent by Celery after commit.

    `key` names what the email is about and which email it is, so the same cause never queues twice.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    key = models.CharField(max_length=200, unique=True)
    to = models.EmailField()
    template = models.CharField(max_length=100)
    context = models.JSONField(default=dict, blank=True)
    # Context holding a secret (a sign-in link) is wiped once the email is sent.
    has_secret = models.BooleanField(default=False)
    hub = models.ForeignKey(Hub, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When this row's next send is due: now for a new row, later after a refusal (the backoff). The
    # sweep re-drives a queued row only once this has passed, so it never cuts a backoff short.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="outbound_status_created"),
                   models.Index(fields=["status", "next_attempt_at"], name="outbound_status_next_attempt")]

    def __str__(self):
        return f"{self.template} to {self.to} ({self.status})"


class Reminder(models.Model):
    """A reminder due at a moment, for one stage of one thing (an inquiry's triage, a referral...).

    Rows are written by the services when the thing starts waiting, and swept by beat: a sweep
    claims each due row once (done_at), asks the kind's handler whether it still applies, and the
    handler queues its emails. (kind, subject, stage) is unique, so each stage reminds once however
    often, or however concurrently, the sweep runs.
    """

    kind = models.CharField(max_length=40)
    # What it is about: "<app>.<model>:<pk>", read only by the kind's handler.
    subject = models.CharField(max_length=100)
    stage = models.CharField(max_length=40)
    hub = models.ForeignKey(Hub, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    # What the sweep did: "sent", or why not ("no longer applies"), or "failed" (see error).
    outcome = models.CharField(max_length=100, blank=True)
    # The exception of a handler that raised (outcome "failed"), for staff in admin.
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["kind", "subject", "stage"], name="reminder_once_per_stage")]
        indexes = [models.Index(fields=["due_at"], condition=Q(done_at__isnull=True), name="reminder_due")]

    def __str__(self):
        return f"{self.kind}/{self.stage} for {self.subject} at {self.due_at:%Y-%m-%d %H:%M}"


class JobHeartbeat(models.Model):
    """The last time a background process showed it was alive: the worker, and beat's outbox sweep.

    /healthz and the docker-compose healthchecks read these; one row per name, overwritten.
    """

    name = models.CharField(max_length=40, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


class StaffSignInFailure(models.Model):
    """A wrong staff password: counted to slow down guessing (see hubportal.forms.StaffPasswordForm)."""

    email = models.EmailField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["email", "created_at"], name="staff_failure_email"),
            models.Index(fields=["ip", "created_at"], name="staff_failure_ip"),
        ]

    def __str__(self):
        return f"{self.email} at {self.created_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A read-only key to one hub's figures (intake/api.py), for an ICS's BI tool such as Power BI.

    The raw token is shown once when it is made and never stored: only its SHA-256 is kept, with the
    first characters (`prefix`) so people can tell their tokens apart. A token expires, and a hub lead
    can revoke it; each creation, revocation and use is an ApiTokenEvent.
    """

    # Tokens start with this, so a leaked one is recognisable by secret scanners and people.
    PREFIX = "hfd_"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["hub", "created_at"], name="apitoken_hub_created")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…, {self.hub})"

    @staticmethod
    def new_token():
        return ApiToken.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    @property
    def is_expired(self):
        return self.expires_at <= timezone.now()

    @property
    def is_active(self):
        return not self.is_revoked and not self.is_expired


class ApiTokenEvent(models.Model):
    """The audit trail of an API token: who made or revoked it, and when (and from where) it was used."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        REVOKED = "revoked", "Revoked"
        USED = "used", "Used"

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)
    # For a use: the path asked for (never its query string's secrets: tokens are refused there).
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.token} at {self.at:%Y-%m-%d %H:%M}"
# --- Channels: outbound webhooks (issue 14) --------------------------------------------------------


class WebhookEndpoint(models.Model):
    """Where a hub wants to hear about its events: a Teams channel's incoming webhook, or any HTTPS URL.

    The secret signs the JSON kind's requests (HMAC-SHA256); it stays on the server and is shown only
    to the hub's leads, who give it to whoever runs the receiving end.
    """

    class Kind(models.TextChoices):
        TEAMS = "teams", "Microsoft Teams (an Adaptive Card in a channel)"
        JSON = "json", "Any HTTPS endpoint (signed JSON)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="webhook_endpoints")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    url = models.URLField(max_length=1000)
    secret = models.CharField(max_length=100)
    # Event names (hubportal.webhooks.EVENTS) this endpoint wants.
    events = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-is_active", "name", "pk"]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()}, {self.hub})"


class WebhookDelivery(models.Model):
    """One event we owe one endpoint. Written in the transaction of the event; sent after commit.

    `key` is (endpoint, event, subject), so the same event about the same thing is delivered to an
    endpoint once however often the code that raises it runs. `payload` holds only what the receiver
    may see: no names, addresses, titles or anything a submitter wrote.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key = models.CharField(max_length=200, unique=True)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=50)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the next attempt may start; the sweep re-drives queued rows once this has passed.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # Retries stop after this (set when the row is queued, and again when a person sends it again).
    retry_until = models.DateTimeField()
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["hub", "status", "created_at"], name="webhook_delivery_hub_status"),
        ]

    def __str__(self):
        return f"{self.event} to {self.endpoint_id} ({self.status})"
class DataExport(models.Model):
    """One subject access archive: who asked, how, when it was made and when it was downloaded.

    The row is the audit of the request and the download, and stays after the file is deleted
    (hubportal.retention deletes the file when its link expires)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        BUILDING = "building", "Being prepared"
        READY = "ready", "Ready"
        DOWNLOADED = "downloaded", "Downloaded"
        EXPIRED = "expired", "Expired"

    class Via(models.TextChoices):
        ACCOUNT = "account", "From their account"
        LETTER = "letter", "By letter (manage.py subject_access_export)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="data_exports")
    email = models.EmailField()
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.ACCOUNT)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    file = models.FileField(upload_to="exports/", max_length=200, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self):
        return f"Data export for {self.email} ({self.status})"


class ErasureRequest(models.Model):
    """A person asked for their personal data to be erased; one request per hub holding it.

    The hub lead sees what would be erased and what kept and why (hubportal.personal_data), and
    approves; `outcome` keeps that list as it was when approved."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the hub lead"
        DONE = "done", "Erased"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="erasure_requests")
    # The address when asked (the account's is replaced by erasure).
    email = models.EmailField()
    # None: nothing was held at any hub, so the account alone was erased at once.
    hub = models.ForeignKey(Hub, null=True, blank=True, on_delete=models.PROTECT, related_name="erasure_requests")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    outcome = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            # A second click asks nothing new while one is waiting.
            models.UniqueConstraint(fields=["user", "hub"], condition=Q(status="pending"),
                                    name="one_pending_erasure_per_hub"),
        ]

    def __str__(self):
        return f"Erasure request {self.public_id} ({self.status})"


# --- Issue 10: the hub audit log ---------------------------------------------------------------------


class HubAuditEntry(models.Model):
    """One change to a hub's settings: who, when, what, and the values before and after.

    Written only through hubportal.audit.hub_audit_record, by the service that made the change, in its
    transaction; never changed afterwards. Changes to one inquiry go on its timeline instead."""

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="audit_entries")
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The person's name and address when they acted, so the row still reads right after they leave.
    by_name = models.CharField(max_length=300, blank=True)
    # What changed, in words a hub lead reads: "Service levels changed", "Criterion added".
    what = models.CharField(max_length=200)
    # The thing changed, in words: "Triage checklist (version 2)", "jo@nhs.net".
    subject = models.CharField(max_length=300, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["hub", "-at"], name="hub_audit_recent")]
        verbose_name_plural = "hub audit entries"

    def __str__(self):
        return f"{self.what} at {self.hub_id} by {self.by_name} ({self.at:%Y-%m-%d %H:%M})"


class HubTheme(models.Model):
    """A hub's own priority theme (issue 10), chosen by submitters beside the national ones.

    National themes are code (hubportal.taxonomy.Theme) and never change; local ones are these rows.
    The code is stored on inquiries, services and resources like a national code, and always starts with
    LOCAL_PREFIX, so no local code can ever collide with a national one. A retired theme is no longer
    offered, and keeps its label wherever it was chosen."""

    LOCAL_PREFIX = "local-"

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="themes")
    code = models.CharField(max_length=80, unique=True)
    label = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["label", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(code__startswith="local-"), name="hub_theme_code_is_local"),
        ]

    def __str__(self):
        return f"{self.label} ({self.hub})"


class HubAcceptedAddress(models.Model):
    """One person a hub accepts although their address is not on its domains (issue 10): a staff member
    checked who they are (a GP practice's generic address, a VCSE worker's own domain) and says how."""

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="accepted_addresses")
    email = models.EmailField()
    how_checked = models.CharField(max_length=300)
    accepted_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(fields=["hub", "email"], name="hub_accepted_address_once")]

    def __str__(self):
        return f"{self.email} at {self.hub}"
