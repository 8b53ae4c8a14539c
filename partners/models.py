"""The directory: partner organisations, the services they offer and the people who receive referrals.

Field names follow the Open Referral UK (ORUK) data standard where it has one, and the ORUK export
(partners/oruk.py) maps each field to its ORUK name: Partner is an ORUK organization, PartnerService a
service, PartnerContact a contact; `status`, `assured_on` and `assurer_email` are ORUK's service status,
assured_date and assurer_email (when, and by whom, the record was last checked).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from hubportal.models import Hub
from hubportal.taxonomy import InnovationType, Stage, SupportNeed, Theme

from .fields import CodeListField, tag_bits, tag_index


class PartnerType(models.TextChoices):
    HIN = "hin", "Health Innovation Network"
    UNIVERSITY = "university", "University"
    COUNCIL = "council", "Local council"
    VCSE = "vcse", "Voluntary, community and social enterprise organisation"
    PPIE = "ppie", "Patient and public involvement group"
    INDUSTRY = "industry", "Industry"
    NHS = "nhs", "NHS trust or ICB team"
    RESEARCH = "research", "Research body"


# Plural labels, for "the kinds of partner that usually help" shown to submitters.
PARTNER_TYPE_PLURALS = {
    PartnerType.HIN: "Health Innovation Networks",
    PartnerType.UNIVERSITY: "Universities",
    PartnerType.COUNCIL: "Local councils",
    PartnerType.VCSE: "Voluntary, community and social enterprise organisations",
    PartnerType.PPIE: "Patient and public involvement groups",
    PartnerType.INDUSTRY: "Industry partners",
    PartnerType.NHS: "NHS trust and integrated care board teams",
    PartnerType.RESEARCH: "Research bodies",
}


class Partner(models.Model):
    """A partner organisation (ORUK organization) and the hubs it serves."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200, unique=True)
    alternate_name = models.CharField(max_length=200, blank=True)
    kind = models.CharField("type", max_length=20, choices=PartnerType.choices)
    description = models.TextField(max_length=2000, blank=True)
    email = models.EmailField("general email address", blank=True)
    website = models.URLField(blank=True)
    hubs = models.ManyToManyField(Hub, blank=True, related_name="partners",
                                  help_text="The hubs whose inquiries this partner takes.")
    serves_all_hubs = models.BooleanField(
        "serves every hub", default=False,
        help_text="A national organisation: takes referrals from every hub on this deployment.")
    # An inactive partner is kept (its past referrals point at it) but is never suggested or referred to.
    is_active = models.BooleanField("active", default=True)
    assured_on = models.DateField("last checked on", null=True, blank=True,
                                  help_text="When this record was last checked (ORUK assured_date).")
    assurer_email = models.EmailField("last checked by", blank=True,
                                      help_text="Who last checked this record (ORUK assurer_email).")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["is_active", "kind"], name="partner_active_kind")]

    def __str__(self):
        return self.name

    @property
    def kind_plural(self):
        return PARTNER_TYPE_PLURALS.get(self.kind, self.get_kind_display())

    def serves(self, hub):
        return self.serves_all_hubs or self.hubs.filter(pk=hub.pk).exists()


class ServiceStatus(models.TextChoices):
    # ORUK's service status codes, verbatim (including the space).
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    DEFUNCT = "defunct", "Defunct"
    TEMPORARILY_CLOSED = "temporarily closed", "Temporarily closed"


class TaggedMixin(models.Model):
    """The four taxonomy code lists the matcher reads, and their searchable index."""

    support_needs = CodeListField(taxonomy=SupportNeed, help_text="What it helps with.")
    themes = CodeListField(taxonomy=Theme, help_text="Priority themes it works on.")
    innovation_types = CodeListField(taxonomy=InnovationType,
                                     help_text="Kinds of innovation it works with. None ticked: any.")
    stages = CodeListField(taxonomy=Stage, help_text="Stages it helps at. None ticked: any.")
    # Both kept by save() (and by bulk writers through refresh_tag_index); never edited by hand.
    tag_index = models.CharField(max_length=1000, blank=True, editable=False)
    # The national tags of tag_index as bits (fields.TAG_BITS), which the matcher tests far faster.
    tag_bits = models.BigIntegerField(default=0, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.refresh_tag_index()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "tag_index", "tag_bits"}
        super().save(*args, **kwargs)

    def refresh_tag_index(self):
        self.tag_index = tag_index(support_needs=self.support_needs, themes=self.themes,
                                   innovation_types=self.innovation_types, stages=self.stages)
        self.tag_bits = tag_bits(self.tag_index)


class PartnerService(TaggedMixin):
    """What a partner offers (ORUK service): tagged with the taxonomy the matcher uses."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="services")
    name = models.CharField(max_length=200)
    description = models.TextField(max_length=2000, blank=True)
    url = models.URLField("web page", blank=True)
    email = models.EmailField(blank=True)
    status = models.CharField(max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE)
    eligibility_description = models.TextField("eligibility", max_length=1000, blank=True,
                                               help_text="Who can use it (ORUK eligibility_description).")
    area_served = models.CharField(max_length=300, blank=True,
                                   help_text="Where it is offered (ORUK service_area), e.g. 'Dorset'.")
    how_to_refer = models.TextField("how to refer", max_length=1000, blank=True,
                                    help_text="What the hub should send or do to refer someone (ORUK "
                                              "application_process).")
    assured_on = models.DateField("last checked on", null=True, blank=True)
    assurer_email = models.EmailField("last checked by", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["partner__name", "name"]
        constraints = [models.UniqueConstraint(fields=["partner", "name"], name="partner_service_name_unique")]
        indexes = [models.Index(fields=["status", "partner"], name="partner_service_status")]

    def __str__(self):
        return f"{self.name} ({self.partner})"

    @property
    def support_need_labels(self):
        """What it helps with, in words, for staff pages."""
        labels = dict(SupportNeed.choices)
        return [labels.get(code, code) for code in self.support_needs]

    @property
    def stage_labels(self):
        labels = dict(Stage.choices)
        return [labels.get(code, code) for code in self.stages]


class PartnerContact(models.Model):
    """A person at a partner: who receives referrals, who leads. Signs in by emailed link, no password."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    title = models.CharField("job title", max_length=200, blank=True)
    email = models.EmailField()
    phone = models.CharField(max_length=30, blank=True)
    receives_referrals = models.BooleanField(default=True,
                                             help_text="Referrals to this partner are emailed to them.")
    is_lead = models.BooleanField("leads the partnership", default=False)
    # The weekly digest of referrals waiting on them; one click in the email turns it off.
    receives_digest = models.BooleanField(default=True, help_text="Gets the weekly digest of referrals.")
    is_active = models.BooleanField("active", default=True,
                                    help_text="An inactive contact gets no email and cannot sign in.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["partner__name", "name"]
        constraints = [models.UniqueConstraint(fields=["partner", "email"], name="partner_contact_email_unique")]
        indexes = [models.Index(fields=["email"], name="partner_contact_email")]

    def __str__(self):
        return f"{self.name} <{self.email}> ({self.partner})"

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class DirectoryChange(models.Model):
    """One change to the directory made on the staff pages (or a partner's proposal approved there): who,
    when, what, and each changed field's value before and after. The history of a partner, a service,
    a contact, a resource or a routing rule, until issue 10's hub audit log takes this over.

    `subject` names the thing changed ("partner:<public_id>", "resource:<public_id>", ...), so the one
    table serves every kind of directory entry without a foreign key per kind; `partner` is set when
    the thing belongs to a partner, for that partner's page.
    """

    hub = models.ForeignKey(Hub, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="changes")
    subject = models.CharField(max_length=100)
    label = models.CharField(max_length=300, help_text="What was changed, as staff read it.")
    action = models.CharField(max_length=20)  # created, changed, retired, proposal_approved, ...
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # {field: [before, after]} as text, for the history table.
    changes = models.JSONField(default=dict, blank=True)
    note = models.TextField(max_length=2000, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["subject", "-at"], name="directory_change_subject")]

    def __str__(self):
        return f"{self.label}: {self.action}"


class PartnerProposal(models.Model):
    """A partner contact's proposed changes to their own organisation's record, for the hub to approve
    or reject. Nothing changes on the partner until a hub member approves it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the hub"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    # The fields a partner may propose changes to (their organisation's public record).
    FIELDS = ("name", "alternate_name", "description", "email", "website")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="proposals")
    proposed_by = models.ForeignKey(PartnerContact, null=True, on_delete=models.SET_NULL, related_name="+")
    proposed_by_email = models.EmailField()
    # {field: proposed value} for the fields that differ from the record when proposed.
    values = models.JSONField(default=dict)
    note = models.TextField("anything the hub should know", max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decision_reason = models.TextField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["partner", "status"], name="partner_proposal_status")]

    def __str__(self):
        return f"Proposal for {self.partner}"


def partners_serving(hub):
    """Active partners that take referrals from this hub (listed for it, or national)."""
    return Partner.objects.filter(Q(serves_all_hubs=True) | Q(hubs=hub), is_active=True).distinct()
