"""Forms of the directory's staff pages and of a partner contact's proposal. They validate; services act."""

from django import forms

from .models import Partner, PartnerContact, PartnerProposal, PartnerService


class DirectorySearchForm(forms.Form):
    q = forms.CharField(label="Search the directory", required=False, max_length=100,
                        help_text="A partner's name, or the name of one of its services")


class PartnerForm(forms.ModelForm):
    class Meta:
        model = Partner
        fields = ["name", "alternate_name", "kind", "description", "email", "website"]
        labels = {"alternate_name": "Other name (optional)", "description": "What the organisation does (optional)",
                  "email": "General email address (optional)", "website": "Website (optional)"}
        widgets = {"kind": forms.RadioSelect, "description": forms.Textarea(attrs={"rows": 4})}
        error_messages = {
            "name": {"required": "Enter the organisation's name",
                     "unique": "A partner with this name is already in the directory"},
            "kind": {"required": "Select the type of organisation"},
            "email": {"invalid": "Enter an email address like team@example.org"},
            "website": {"invalid": "Enter a web address like https://www.example.org"},
        }

    def clean_name(self):
        return self.cleaned_data["name"].strip()


class ServiceForm(forms.ModelForm):
    class Meta:
        model = PartnerService
        fields = ["name", "description", "support_needs", "eligibility_description", "stages", "innovation_types",
                  "themes", "area_served", "how_to_refer", "url", "email", "status"]
        labels = {"name": "Name of the service", "description": "What it offers (optional)",
                  "support_needs": "What it helps with",
                  "eligibility_description": "Who can use it, in plain words",
                  "area_served": "Area it covers", "how_to_refer": "How to refer someone",
                  "url": "Web page (optional)", "email": "Email address for this service (optional)",
                  "status": "Status", "stages": "Stages it helps at (none ticked: any)",
                  "innovation_types": "Types of innovation (none ticked: any)",
                  "themes": "Priority themes it works on (optional)"}
        widgets = {"description": forms.Textarea(attrs={"rows": 3}),
                   "eligibility_description": forms.Textarea(attrs={"rows": 3}),
                   "how_to_refer": forms.Textarea(attrs={"rows": 3}), "status": forms.RadioSelect}
        error_messages = {
            "name": {"required": "Enter the name of the service"},
            "eligibility_description": {"required": "Say who can use the service"},
            "area_served": {"required": "Enter the area the service covers"},
            "how_to_refer": {"required": "Say how to refer someone to the service"},
            "url": {"invalid": "Enter a web address like https://www.example.org/service"},
            "email": {"invalid": "Enter an email address like team@example.org"},
        }

    def __init__(self, *args, partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner = partner
        # What the matcher and staff need to refer well: asked for on every service made here.
        for name in ("eligibility_description", "area_served", "how_to_refer"):
            self.fields[name].required = True
        self.fields["support_needs"].required = True
        self.fields["support_needs"].error_messages["required"] = "Select at least one thing the service helps with"

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = PartnerService.objects.filter(partner=self.partner, name__iexact=name)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(f"{self.partner.name} already has a service with this name")
        return name

    def validate_unique(self):
        pass  # clean_name says it in words; the database constraint still guards a race


class ContactForm(forms.ModelForm):
    class Meta:
        model = PartnerContact
        fields = ["name", "title", "email", "phone", "receives_referrals", "receives_digest", "is_lead", "is_active"]
        labels = {"title": "Job title (optional)", "phone": "Phone number (optional)",
                  "receives_referrals": "Gets referrals by email",
                  "receives_digest": "Gets the weekly digest of referrals",
                  "is_lead": "Leads the partnership (told when a referral has no answer)",
                  "is_active": "Active (an inactive contact gets no email and cannot sign in)"}
        error_messages = {"name": {"required": "Enter the contact's name"},
                          "email": {"required": "Enter the contact's email address",
                                    "invalid": "Enter an email address like name@example.org"}}

    def __init__(self, *args, partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner = partner

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        others = PartnerContact.objects.filter(partner=self.partner, email__iexact=email)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(f"{self.partner.name} already has a contact with this email address")
        return email

    def validate_unique(self):
        pass  # clean_email says it in words


class ProposalForm(forms.ModelForm):
    """A partner contact's proposal: their organisation's public record, prefilled with what it says now."""

    note = forms.CharField(label="Anything the hub should know (optional)", required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = Partner
        fields = list(PartnerProposal.FIELDS)
        labels = PartnerForm.Meta.labels
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        error_messages = PartnerForm.Meta.error_messages

    def validate_unique(self):
        name = self.cleaned_data.get("name")
        if name and Partner.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            self.add_error("name", "Another organisation in the directory has this name")

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not any(getattr(self.instance, name) != cleaned.get(name)
                                       for name in PartnerProposal.FIELDS):
            raise forms.ValidationError("Change at least one thing before sending it to the hub")
        return cleaned

    def values(self):
        return {name: self.cleaned_data[name] for name in PartnerProposal.FIELDS}


class ProposalDecisionForm(forms.Form):
    decision = forms.ChoiceField(label="Your decision", widget=forms.RadioSelect,
                                 choices=[("approve", "Approve: change the record"),
                                          ("reject", "Reject: keep the record as it is")],
                                 error_messages={"required": "Select approve or reject"})
    reason = forms.CharField(label="Why reject it? (needed to reject)", required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Enter why you are rejecting the proposal")
        return cleaned
