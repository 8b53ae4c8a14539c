"""One form per question page of the submission journey.

Forms validate and normalise; they never save, send or enqueue (the services do). Each declares
only the fields its page asks, so extra or tampered POST fields change nothing.
"""

import os

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from hubportal.models import Hub
from hubportal.taxonomy import InnovationType, KindOfHelp, Stage, SupportNeed, Theme

from .models import Inquiry
from .scanning import ScannerUnavailable, upload_scan
from .validators import (
    ALLOWED_DESCRIPTION,
    UploadRefused,
    check_package,
    detect_type,
    find_nhs_numbers,
)

NHS_NUMBER_MESSAGE = (
    "Remove the NHS number from your answer. Do not include anything that could identify a patient"
)


class NoPatientDataMixin:
    """Refuses free text that looks like patient-identifiable data, before anything is saved."""

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            value = cleaned.get(name)
            if isinstance(field, forms.CharField) and isinstance(value, str) and find_nhs_numbers(value):
                self.add_error(name, NHS_NUMBER_MESSAGE)
        return cleaned


class StepForm(NoPatientDataMixin, forms.ModelForm):
    """A question page: a ModelForm over a few of the inquiry's fields, all of them required."""

    page_heading_field = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        optional = getattr(self.Meta, "optional", ())
        for name, field in self.fields.items():
            field.required = name not in optional

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str):
                cleaned[name] = value.strip()
        return cleaned


def _radios(choices, **kwargs):
    return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **kwargs)


class KindOfHelpForm(StepForm):
    page_heading_field = "kind_of_help"
    kind_of_help = _radios(
        KindOfHelp.choices,
        label="What kind of help do you need?",
        help_text="Choose the one that fits best. You can tell us about other support later.",
        error_messages={"required": "Select what kind of help you need",
                        "invalid_choice": "Select what kind of help you need from the list"},
    )

    class Meta:
        model = Inquiry
        fields = ["kind_of_help"]


class TitleForm(StepForm):
    page_heading_field = "title"

    class Meta:
        model = Inquiry
        fields = ["title"]
        labels = {"title": "What is the title of your inquiry?"}
        help_texts = {"title": "A short name for your idea or question, like 'Remote monitoring for heart failure'"}
        error_messages = {"title": {"required": "Enter a title for your inquiry",
                                    "max_length": "Title must be 120 characters or fewer"}}
        widgets = {"title": forms.TextInput(attrs={"spellcheck": "true"})}


class ProblemForm(StepForm):
    page_heading_field = "problem"

    class Meta:
        model = Inquiry
        fields = ["problem"]
        labels = {"problem": "What problem are you trying to solve?"}
        help_texts = {"problem": "Describe it in plain words: what happens now, who it affects and why it matters. "
                                 "Do not include anything that could identify a patient."}
        error_messages = {"problem": {"required": "Describe the problem you are trying to solve",
                                      "max_length": "Problem must be 2000 characters or fewer"}}
        widgets = {"problem": forms.Textarea(attrs={"rows": 6})}


class InnovationForm(StepForm):
    page_heading_field = "proposed_innovation"

    class Meta:
        model = Inquiry
        fields = ["proposed_innovation"]
        labels = {"proposed_innovation": "What is the innovation?"}
        help_texts = {"proposed_innovation": "Describe the idea, product or way of working. If you are still looking "
                                             "for a solution, say what a good one would do."}
        error_messages = {"proposed_innovation": {
            "required": "Describe the innovation, or what a good solution would do",
            "max_length": "Innovation must be 2000 characters or fewer"}}
        widgets = {"proposed_innovation": forms.Textarea(attrs={"rows": 6})}


class BenefitsForm(StepForm):
    page_heading_field = "who_benefits"

    class Meta:
        model = Inquiry
        fields = ["who_benefits"]
        labels = {"who_benefits": "Who would benefit, and how?"}
        help_texts = {"who_benefits": "For example patients, carers, staff or the wider system."}
        error_messages = {"who_benefits": {"required": "Enter who would benefit and how",
                                           "max_length": "Who would benefit must be 1000 characters or fewer"}}
        widgets = {"who_benefits": forms.Textarea(attrs={"rows": 4})}


class InnovationTypeForm(StepForm):
    page_heading_field = "innovation_type"
    innovation_type = _radios(
        InnovationType.choices,
        label="What type of innovation is it?",
        error_messages={"required": "Select the type of innovation",
                        "invalid_choice": "Select the type of innovation from the list"},
    )

    class Meta:
        model = Inquiry
        fields = ["innovation_type"]


class StageForm(StepForm):
    page_heading_field = "stage"
    stage = _radios(
        Stage.choices,
        label="How far along is it?",
        error_messages={"required": "Select how far along the innovation is",
                        "invalid_choice": "Select how far along the innovation is from the list"},
    )

    class Meta:
        model = Inquiry
        fields = ["stage", "evidence"]
        optional = ["evidence"]
        labels = {"evidence": "What evidence do you have so far? (optional)"}
        help_texts = {"evidence": "For example results of a pilot, published studies or feedback from users."}
        error_messages = {"evidence": {"max_length": "Evidence must be 2000 characters or fewer"}}
        widgets = {"evidence": forms.Textarea(attrs={"rows": 5})}


class SupportForm(StepForm):
    page_heading_field = "support_needed"
    support_needed = forms.MultipleChoiceField(
        choices=SupportNeed.choices,
        widget=forms.CheckboxSelectMultiple,
        label="What support do you need?",
        help_text="Select all that apply.",
        error_messages={"required": "Select at least one kind of support",
                        "invalid_choice": "Select support from the list"},
    )

    class Meta:
        model = Inquiry
        fields = ["support_needed"]


class ThemesForm(StepForm):
    page_heading_field = "themes"
    themes = forms.MultipleChoiceField(
        choices=Theme.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Which priority themes does it address? (optional)",
        help_text="Select all that apply. Core20PLUS5 areas are listed after health inequalities. "
                  "Leave all unticked if none apply.",
        error_messages={"invalid_choice": "Select themes from the list"},
    )

    class Meta:
        model = Inquiry
        fields = ["themes"]
        optional = ["themes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The national themes, and the chosen hub's own priorities (issue 10): this page comes after
        # the hub is chosen, so a submitter sees their hub's local priorities.
        from hubportal.taxonomy import theme_choices

        inquiry = self.instance
        self.fields["themes"].choices = theme_choices(inquiry.hub if inquiry and inquiry.hub_id else None)


class AboutYouForm(StepForm):
    class Meta:
        model = Inquiry
        fields = ["contact_name", "organisation", "role", "sector", "phone"]
        optional = ["phone"]
        labels = {"contact_name": "Full name", "organisation": "Organisation",
                  "role": "Job title or role", "sector": "Where do you work?", "phone": "Phone number (optional)"}
        help_texts = {"organisation": "For example, Dorset County Hospital NHS Foundation Trust",
                      "phone": "In case the hub needs to call you. We will not share it with partners."}
        error_messages = {
            "contact_name": {"required": "Enter your full name", "max_length": "Full name must be 200 characters or fewer"},
            "organisation": {"required": "Enter your organisation",
                             "max_length": "Organisation must be 200 characters or fewer"},
            "role": {"required": "Enter your job title or role", "max_length": "Role must be 200 characters or fewer"},
            "sector": {"required": "Select where you work", "invalid_choice": "Select where you work"},
            "phone": {"max_length": "Phone number must be 30 characters or fewer"},
        }
        widgets = {
            "contact_name": forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
            "organisation": forms.TextInput(attrs={"autocomplete": "organization"}),
            "role": forms.TextInput(attrs={"autocomplete": "organization-title", "class": "nhsuk-input--width-30"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel", "class": "nhsuk-input--width-20"}),
            "sector": forms.RadioSelect,
        }

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "").strip()
        digits = "".join(ch for ch in phone if ch.isdigit())
        if phone and (len(digits) < 10 or len(digits) > 13 or any(ch not in "0123456789 +()-" for ch in phone)):
            raise forms.ValidationError("Enter a phone number, like 01632 960 001 or 07700 900 982")
        return phone


class HubForm(StepForm):
    page_heading_field = "hub"
    hub = forms.ModelChoiceField(
        queryset=Hub.objects.filter(is_active=True),
        widget=forms.RadioSelect,
        empty_label=None,
        label="Which innovation hub should look at your inquiry?",
        error_messages={"required": "Select the innovation hub for your area",
                        "invalid_choice": "Select an innovation hub from the list"},
    )

    class Meta:
        model = Inquiry
        fields = ["hub"]

    def __init__(self, *args, suggested_hub=None, **kwargs):
        super().__init__(*args, **kwargs)
        if suggested_hub is not None:
            self.fields["hub"].help_text = (
                f"We have suggested {suggested_hub.name} from your organisation. Choose another if it is not right."
            )
            if not self.instance.hub_id:
                self.initial["hub"] = suggested_hub.pk

    def clean_hub(self):
        # Issue 10: each hub says whose inquiries it takes (its email domains, or people it accepted).
        from hubportal.submitters import hub_accepts

        hub = self.cleaned_data["hub"]
        submitter = self.instance.submitter if self.instance.submitter_id else None
        if hub is not None and submitter is not None and not hub_accepts(hub, submitter.email):
            raise forms.ValidationError(
                f"{hub.name} does not take inquiries from {submitter.email.rsplit('@', 1)[-1]} addresses. "
                f"Choose another hub, or email {hub.email} and ask them to accept your address")
        return hub


YES_NO = [("yes", "Yes"), ("no", "No")]


class ConsentForm(NoPatientDataMixin, forms.Form):
    """Consent is asked as plain questions and saved as booleans by the service."""

    page_heading_field = "consent_share_with_partners"
    consent_share_with_partners = forms.ChoiceField(
        choices=YES_NO,
        widget=forms.RadioSelect,
        label="Can the hub share your inquiry with partner organisations?",
        help_text="Partners include Health Innovation Networks, universities, councils, voluntary sector groups "
                  "and companies that could help. We share only what partners need to help you. "
                  "If you say no, the hub can still advise you and point you to resources.",
        error_messages={"required": "Select yes if the hub can share your inquiry with partner organisations",
                        "invalid_choice": "Select yes or no"},
    )
    consent_contact = forms.BooleanField(
        label="I agree that the hub and, if I said yes above, its partners may contact me about this inquiry",
        error_messages={"required": "Confirm that the hub may contact you about this inquiry"},
    )

    @classmethod
    def initial_for(cls, inquiry):
        initial = {}
        if inquiry.consent_share_with_partners is not None:
            initial["consent_share_with_partners"] = "yes" if inquiry.consent_share_with_partners else "no"
        if inquiry.consent_contact:
            initial["consent_contact"] = True
        return initial

    def answers(self):
        return {
            "consent_share_with_partners": self.cleaned_data["consent_share_with_partners"] == "yes",
            "consent_contact": self.cleaned_data["consent_contact"],
        }


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="Upload a file",
        help_text=f"Optional. Upload {ALLOWED_DESCRIPTION}, up to "
                  f"{filesizeformat(settings.ATTACHMENT_MAX_BYTES)} each. "
                  "Do not upload anything that identifies a patient.",
        error_messages={"required": "Select a file to upload",
                        "empty": "The selected file is empty",
                        "invalid": "The selected file could not be read. Try again"},
    )

    def __init__(self, *args, inquiry=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.inquiry = inquiry

    def clean_file(self):
        return attachment_check(self.cleaned_data["file"], inquiry=self.inquiry)


def attachment_check(upload, *, inquiry=None, adding=1):
    """The checks every upload passes, on the journey's attachments page and with an answer to the hub's
    question: size, the per-inquiry count (with `adding` files arriving together), Office packages, the
    allow-list by content, then the virus scan. Raises ValidationError; sets detected_type and clean_name.
    """
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise forms.ValidationError(
            f"The selected file must be smaller than {filesizeformat(settings.ATTACHMENT_MAX_BYTES)}"
        )
    if inquiry is not None and inquiry.attachments.count() + adding > settings.ATTACHMENTS_PER_INQUIRY:
        raise forms.ValidationError(
            f"You can upload up to {settings.ATTACHMENTS_PER_INQUIRY} files. Remove one to add another"
        )
    try:
        # Before the type check, so a damaged or password-protected document gets its own reason.
        check_package(upload)
    except UploadRefused as refused:
        raise forms.ValidationError(str(refused)) from None
    detected = detect_type(upload)
    if detected is None:
        raise forms.ValidationError(f"The selected file must be {ALLOWED_DESCRIPTION}")
    upload.detected_type = detected
    upload.clean_name = _clean_name(upload.name, detected.extension)
    # Last: the cheap checks above refuse bombs before clamd unpacks anything.
    label = f"{upload.clean_name!r} on inquiry {inquiry.public_id}" if inquiry else upload.clean_name
    try:
        signature = upload_scan(upload, label=label)
    except ScannerUnavailable:
        raise forms.ValidationError(
            f"The file {upload.clean_name} could not be checked for viruses, so it was not uploaded. "
            "Try again later"
        ) from None
    if signature:
        raise forms.ValidationError(f"The file {upload.clean_name} contains a virus and was not uploaded")
    return upload


def _clean_name(name, extension):
    """A display name safe in a header: no path, no control characters, the true extension."""
    base = os.path.basename(name.replace("\\", "/"))
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"/\\;').strip() or "attachment"
    stem, dot, ext = base.rpartition(".")
    if not dot or ext.lower() not in {extension, "jpeg" if extension == "jpg" else extension}:
        base = f"{base}.{extension}"
    return base[-150:]
