"""Resources, hub routing rules, and referrals (an inquiry sent to a partner organisation)."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from hubportal.models import Hub
from hubportal.taxonomy import InnovationType, Stage, SupportNeed, Theme
from intake.models import Inquiry
from partners.fields import CodeListField
from partners.models import Partner, PartnerContact, TaggedMixin


class Resource(TaggedMixin):
    """Something a submitter can use today: a toolkit, guidance, a funding call, training, a community.

    Offered (by the matcher, to submitters) while active, before its review date, and, when it has
    one, up to its deadline. A resource past its review date stops being offered until someone checks
    it and moves the date on: out-of-date advice is worse than none.
    """

    class Kind(models.TextChoices):
        TOOLKIT = "toolkit", "Toolkit"
        GUIDANCE = "guidance", "Guidance"
        FUNDING_CALL = "funding_call", "Funding call"
        TRAINING = "training", "Training or event"
        COMMUNITY = "community", "Community of practice"
        CASE_STUDY = "case_study", "Case study"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    url = models.URLField("web address", max_length=500)
    summary = models.TextField(max_length=600, blank=True, help_text="One or two sentences for submitters.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    provider = models.CharField(max_length=200, blank=True, help_text="Who publishes it.")
    hub = models.ForeignKey(Hub, null=True, blank=True, on_delete=models.CASCADE, related_name="resources",
                            help_text="Leave empty for a national resource offered to every hub's submitters.")
    deadline = models.DateField(null=True, blank=True,
                                help_text="Funding calls and events: not offered after this date.")
    review_due_on = models.DateField("review by",
                                     help_text="Not offered after this date until someone checks it again.")
    last_reviewed_on = models.DateField(null=True, blank=True)
    is_active = models.BooleanField("active", default=True)
    # Who is reminded before the review date (a hub member); nobody for national resources kept in admin.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", help_text="Reminded by email before the review date.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["is_active", "review_due_on"], name="resource_offered")]

    def __str__(self):
        return self.title

    def is_offered(self, today=None):
        today = today or timezone.localdate()
        return (self.is_active and self.review_due_on >= today
                and (self.deadline is None or self.deadline >= today))


def offered_resources(today=None):
    today = today or timezone.localdate()
    return Resource.objects.filter(is_active=True, review_due_on__gte=today).filter(
        Q(deadline__isnull=True) | Q(deadline__gte=today))


class RoutingRule(models.Model):
    """A hub's own routing: for inquiries that match its conditions, add, boost or exclude a partner or
    a resource. Example: in Dorset, every information governance question goes to the ICB's IG team.

    Conditions: each list ticked must share a code with the inquiry (its support needs, including the
    one its kind of help implies; its themes; its type; its stage); lists left empty match anything.
    """

    class Action(models.TextChoices):
        ADD = "add", "Add: always suggest it, first"
        BOOST = "boost", "Boost: move it up when it matches"
        EXCLUDE = "exclude", "Exclude: never suggest it"

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="routing_rules")
    name = models.CharField(max_length=200, help_text="Shown to hub staff as the reason, e.g. "
                                                      "'Every IG question in Dorset goes to the ICB's IG team'.")
    action = models.CharField(max_length=10, choices=Action.choices)
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="routing_rules")
    resource = models.ForeignKey(Resource, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="routing_rules")
    support_needs = CodeListField(taxonomy=SupportNeed, help_text="Applies when the inquiry needs any of these.")
    themes = CodeListField(taxonomy=Theme, help_text="Applies when the inquiry addresses any of these.")
    innovation_types = CodeListField(taxonomy=InnovationType, help_text="Applies to these types of innovation.")
    stages = CodeListField(taxonomy=Stage, help_text="Applies at these stages.")
    weight = models.PositiveSmallIntegerField(
        default=10, help_text="Points added by 'add' and 'boost' (a tag match is worth 1 to 3 points).")
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["hub", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(partner__isnull=False) & Q(resource__isnull=True))
                | (Q(partner__isnull=True) & Q(resource__isnull=False)),
                name="routing_rule_one_target"),
        ]

    def __str__(self):
        return f"{self.hub.code}: {self.name}"

    def clean(self):
        if bool(self.partner_id) == bool(self.resource_id):
            raise ValidationError("Choose a partner or a resource (one of them).")
        if self.partner_id and self.hub_id and not self.partner.serves_all_hubs and not self.partner.hubs.filter(
                pk=self.hub_id).exists():
            raise ValidationError({"partner": "This partner does not serve the hub. Add the hub to the "
                                              "partner's hubs first."})
        if self.resource_id and self.resource.hub_id not in (None, self.hub_id):
            raise ValidationError({"resource": "This resource belongs to another hub."})

    def applies_to(self, *, needs, themes, innovation_type, stage):
        return ((not self.support_needs or bool(set(self.support_needs) & needs))
                and (not self.themes or bool(set(self.themes) & themes))
                and (not self.innovation_types or innovation_type in self.innovation_types)
                and (not self.stages or stage in self.stages))


class Referral(models.Model):
    """An inquiry sent by its hub to a partner organisation, and the partner's answer."""

    class Status(models.TextChoices):
        SENT = "sent", "Sent"
        VIEWED = "viewed", "Viewed"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        COMPLETED = "completed", "Completed"
        CLOSED = "closed", "Closed"
        # The partner accepted, then gave it back (with a coded reason); the hub may refer elsewhere.
        HANDED_BACK = "handed_back", "Handed back"

    # The NHS.UK tag colour of each status (signposting/_referral_status_tag.html and the Jinja2 panel);
    # grey for any other (closed).
    STATUS_TAG_COLOURS = {
        "sent": "blue", "viewed": "purple", "accepted": "green", "declined": "red", "handed_back": "red",
        "completed": "white",
    }

    class DeclineReason(models.TextChoices):
        OUT_OF_SCOPE = "out_of_scope", "It is outside what we do"
        NO_CAPACITY = "no_capacity", "We do not have capacity at the moment"
        NOT_ELIGIBLE = "not_eligible", "It does not meet our eligibility criteria"
        BETTER_ELSEWHERE = "better_elsewhere", "Another organisation is better placed to help"
        OTHER = "other", "Another reason"

    class Outcome(models.TextChoices):
        SUPPORT_GIVEN = "support_given", "We gave the support asked for"
        ONGOING = "ongoing", "We agreed an ongoing partnership or project"
        FUNDING_BID = "funding_bid", "We supported a funding bid"
        SIGNPOSTED = "signposted", "We signposted them elsewhere"
        NOT_TAKEN_FORWARD = "not_taken_forward", "It was not taken forward"
        NO_CONTACT = "no_contact", "We could not make contact"

    class CloseReason(models.TextChoices):
        # Shown to the partner (page and email), so plain words and never anything about the person.
        CONSENT_WITHDRAWN = "consent_withdrawn", "The submitter withdrew consent to share with partners"
        HUB_CLOSED = "hub_closed", "The hub closed the referral"
        # Closed because of the inquiry (signposting/lifecycle.py says which).
        INQUIRY_CLOSED = "inquiry_closed", "The hub has finished working on the inquiry"
        INQUIRY_WITHDRAWN = "inquiry_withdrawn", "The person who made the inquiry withdrew it"
        INQUIRY_DUPLICATE = "inquiry_duplicate", "The inquiry repeats another one the hub already has"
        INQUIRY_ERASED = "inquiry_erased", "The inquiry was erased"
        # The hub retired the partner (signposting.directory.partner_retire_for_hub).
        PARTNER_RETIRED = "partner_retired", "The hub no longer refers inquiries to your organisation"

    OPEN_STATUSES = (Status.SENT, Status.VIEWED, Status.ACCEPTED)
    # Allowed status changes; every referral service checks this table.
    TRANSITIONS = {
        Status.SENT: {Status.VIEWED, Status.CLOSED},
        Status.VIEWED: {Status.ACCEPTED, Status.DECLINED, Status.CLOSED},
        Status.ACCEPTED: {Status.COMPLETED, Status.CLOSED, Status.HANDED_BACK},
        Status.DECLINED: set(),
        Status.COMPLETED: set(),
        Status.CLOSED: set(),
        Status.HANDED_BACK: set(),
    }
    # A referral the hub may send to another partner instead (referral_reroute), once.
    REROUTABLE_STATUSES = (Status.DECLINED, Status.HANDED_BACK)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    inquiry = models.ForeignKey(Inquiry, on_delete=models.PROTECT, related_name="referrals")
    # The inquiry's hub, copied when the referral is made (save() fills it; an inquiry never changes
    # hub), so the hub's reports read the hub's referrals by index instead of joining every inquiry.
    hub = models.ForeignKey(Hub, on_delete=models.PROTECT, related_name="+", editable=False,
                            db_index=False)  # referral_hub_sent leads with it
    # PROTECT: a partner with referrals is never deleted (partners.services.partner_delete says so).
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="referrals")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SENT)
    message = models.TextField("message to the partner", max_length=2000, blank=True)
    # Why the matcher suggested it, as hub staff saw it (empty for a partner chosen by hand).
    reasons = models.JSONField(default=list, blank=True)
    rerouted_from = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="rerouted_to")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    viewed_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(PartnerContact, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    declined_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(PartnerContact, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    decline_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    decline_details = models.TextField(max_length=1000, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(PartnerContact, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    outcome_details = models.TextField(max_length=2000, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)
    handed_back_at = models.DateTimeField(null=True, blank=True)
    handed_back_by = models.ForeignKey(PartnerContact, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    # Coded with the decline reasons (the value report counts both), and the partner's own words.
    hand_back_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    hand_back_details = models.TextField(max_length=1000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [
            models.Index(fields=["partner", "-sent_at"], name="referral_partner_recent"),
            models.Index(fields=["inquiry", "sent_at"], name="referral_inquiry"),
            models.Index(fields=["status", "-sent_at"], name="referral_status_recent"),
            # The value report's referral figures, by hub and period (adoption.report).
            models.Index(fields=["hub", "sent_at"], name="referral_hub_sent"),
            models.Index(fields=["hub", "declined_at"], condition=Q(declined_at__isnull=False),
                         name="referral_hub_declined"),
            models.Index(fields=["hub", "handed_back_at"], condition=Q(handed_back_at__isnull=False),
                         name="referral_hub_handed_back"),
        ]
        constraints = [
            # One open referral of an inquiry to a partner: a double click or two staff at once send one.
            models.UniqueConstraint(fields=["inquiry", "partner"], condition=Q(status__in=["sent", "viewed", "accepted"]),
                                    name="one_open_referral_per_partner"),
        ]

    def __str__(self):
        return f"{self.inquiry} to {self.partner}"

    def save(self, *args, **kwargs):
        if self.hub_id is None and self.inquiry_id is not None:
            self.hub_id = self.inquiry.hub_id
        super().save(*args, **kwargs)

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    @property
    def shares_inquiry(self):
        """Whether the partner may still read the inquiry: not once declined or closed."""
        return self.status in (*self.OPEN_STATUSES, self.Status.COMPLETED)

    def can_become(self, status):
        return status in self.TRANSITIONS[self.status]


class ReferralQuestion(models.Model):
    """A question a partner asked the hub about a referral. The hub answers by email (Reply-To)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="questions")
    asked_by = models.ForeignKey(PartnerContact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    asked_by_name = models.CharField(max_length=200)
    asked_by_email = models.EmailField()
    body = models.TextField(max_length=2000)
    asked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["asked_at", "pk"]

    def __str__(self):
        return f"Question on {self.referral}"


class ReferralProgress(models.Model):
    """A progress update on an accepted referral: asked for every hub-set interval (reminders.py), given by
    the partner on one page (a note, the milestone reached, the expected outcome date)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="progress_updates")
    # 1, 2, 3...: the request it answers; planned requests are numbered, one row each.
    number = models.PositiveSmallIntegerField()
    requested_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(PartnerContact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(max_length=2000, blank=True)
    milestone_reached = models.CharField(max_length=200, blank=True)
    expected_outcome_on = models.DateField(null=True, blank=True)
    # In-kind support the partner gave since the last update (issue 11: the value report sums it per
    # partner): staff time in hours, its value in pounds, and what it was, all optional.
    in_kind_hours = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True)
    in_kind_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    in_kind_description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["referral", "number"]
        constraints = [models.UniqueConstraint(fields=["referral", "number"], name="referral_progress_once")]

    def __str__(self):
        return f"Progress update {self.number} on {self.referral}"
