"""Forms of the adoption pages. They validate and normalise (numbers with units, dates, scores); the
services change state."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone

from intake.models import Inquiry
from intake.triage_forms import checklist_form_class, member_choices

from .models import Barrier, BenefitLine, Case

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d %m %Y"]


def _date_field(label, help_text, required=True):
    return forms.DateField(
        label=label, help_text=help_text, required=required, input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date", "class": "nhsuk-input--width-10"}),
        error_messages={"required": f"Enter the {label.lower()}", "invalid": "Enter a real date, like 27/03/2027"})


class DecimalText(forms.CharField):
    """A number as people type it ("1,250", "£3,400.50", "12.5%"): commas, a pound sign and a per cent
    sign are allowed around it; anything else is refused with a clear message."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"class": "nhsuk-input--width-10", "inputmode": "decimal",
                                                           "spellcheck": "false"}))
        super().__init__(*args, **kwargs)
        # The length is checked on the text in to_python; the validators would see the Decimal.
        self.validators = []

    def to_python(self, value):
        raw = super().to_python(value)
        if self.max_length is not None and len(raw) > self.max_length:
            raise forms.ValidationError(f"Enter {self.label.lower()} in {self.max_length} characters or fewer")
        text = raw.strip().replace(",", "").replace("£", "").rstrip("%").strip()
        if text == "":
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(f"Enter {self.label.lower()} as a number, like 1250 or 12.5") from None
        if not number.is_finite() or abs(number) >= Decimal("1e12"):
            raise forms.ValidationError(f"Enter {self.label.lower()} as a number below a trillion")
        return number.quantize(Decimal("0.01"))


class VersionedCaseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


def gate_form_class(*, decision, criteria=()):
    """The form of one gate decision: the criteria answers (services.gate_criteria: exit and entry checklists
    when progressing), and the rationale, review date, barrier and outcome the decision needs."""
    criteria = list(criteria)
    base = checklist_form_class(None, criteria) if criteria else forms.Form
    fields = {"version": forms.IntegerField(widget=forms.HiddenInput, min_value=0)}
    fields["rationale"] = forms.CharField(
        label="Rationale", max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why: for the timeline, the board and the value report. Staff only.",
        error_messages={"required": "Enter the rationale for this decision",
                        "max_length": "Rationale must be 2000 characters or fewer"})
    if decision in Case.NEEDS_REVIEW_DATE:
        fields["review_on"] = _date_field("Review date", "For example, 27 3 2027. The case's owner is reminded at 9am "
                                                         "that day, or the next working day.")
    if decision == Case.Decision.STOP:
        fields["outcome"] = forms.ChoiceField(
            label="Outcome", widget=forms.RadioSelect,
            choices=[c for c in Inquiry.Outcome.choices if c[0] not in (Inquiry.Outcome.DUPLICATE,)],
            error_messages={"required": "Select the outcome"})
    fields["barrier"] = forms.ChoiceField(
        label="Barrier (optional)" if decision != Case.Decision.STOP else "Main barrier",
        required=decision == Case.Decision.STOP, choices=[("", "None")] + list(Barrier.choices),
        help_text="What held the case back, if anything: counted in the value report.",
        error_messages={"required": "Select the main barrier"})

    def clean_review_on(self):
        day = self.cleaned_data["review_on"]
        if day <= timezone.localdate():
            raise forms.ValidationError("The review date must be in the future")
        if day > timezone.localdate() + dt.timedelta(days=366 * 2):
            raise forms.ValidationError("The review date must be within two years")
        return day

    attrs = {**fields, "clean_review_on": clean_review_on, "page_heading_field": None}
    if not hasattr(base, "answers"):
        attrs["answers"] = lambda self: None
    return type("GateForm", (base,), attrs)


class SponsorForm(forms.Form):
    sponsor_name = forms.CharField(label="Sponsor's name", max_length=200,
                                   error_messages={"required": "Enter the sponsor's name"})
    sponsor_email = forms.EmailField(label="Sponsor's email address", max_length=254,
                                     help_text="They are emailed a link to record benefit actuals at each follow-up.",
                                     error_messages={"required": "Enter the sponsor's email address",
                                                     "invalid": "Enter an email address like name@nhs.net"})


class MilestoneForm(forms.Form):
    title = forms.CharField(label="What", max_length=200, error_messages={"required": "Enter what the milestone is"})
    owner_name = forms.CharField(label="Owner", max_length=200, help_text="The person or team who will deliver it.",
                                 error_messages={"required": "Enter who owns the milestone"})
    owner_user = forms.TypedChoiceField(label="Hub member to remind", coerce=int, empty_value=None, required=False,
                                        help_text="Leave as the case's owner to remind the assignee or the hub leads.")
    due_on = _date_field("Due date", "For example, 27 3 2027. Reminders go on the due date and once when overdue.")

    def __init__(self, *args, hub, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_user"].choices = [("", "The case's owner")] + member_choices(hub)

    def clean_owner_user(self):
        from hubportal.models import User

        pk = self.cleaned_data["owner_user"]
        return User.objects.get(pk=pk) if pk else None

    def clean_due_on(self):
        day = self.cleaned_data["due_on"]
        if day < timezone.localdate():
            raise forms.ValidationError("The due date must be today or in the future")
        return day


class BenefitLineForm(forms.Form):
    measure = forms.CharField(label="What is measured", max_length=200,
                              help_text="For example, falls per 1,000 bed days, clinician hours saved, cost.",
                              error_messages={"required": "Enter what is measured"})
    unit = forms.ChoiceField(label="Unit", choices=[("", "Choose a unit")] + list(BenefitLine.Unit.choices),
                             error_messages={"required": "Choose the unit"})
    baseline = DecimalText(label="Baseline", required=False, help_text="The value before the change.")
    target = DecimalText(label="Target", required=False, help_text="Needs a baseline.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("target") is not None and cleaned.get("baseline") is None and "baseline" not in self.errors:
            self.add_error("baseline", "Enter a baseline before a target")
        return cleaned


def actuals_form_class(lines):
    """One number (and an optional note) per benefit line, in the line's unit."""
    fields = {}
    for line in lines:
        fields[f"value_{line.pk}"] = DecimalText(
            label=f"{line.measure} ({line.get_unit_display()})", required=True,
            help_text=(f"Baseline {line.baseline}" if line.baseline is not None else "No baseline")
            + (f", target {line.target}" if line.target is not None else ""),
            error_messages={"required": f"Enter the actual for {line.measure}"})
        fields[f"note_{line.pk}"] = forms.CharField(label="Note (optional)", required=False, max_length=500)

    def values(self):
        return {line: (self.cleaned_data[f"value_{line.pk}"], self.cleaned_data[f"note_{line.pk}"]) for line in lines}

    return type("ActualsForm", (forms.Form,), {**fields, "values": values})


SCORES = [(str(n), str(n)) for n in range(1, 11)]


class SurveyForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label="How satisfied are you with the hub's support?", coerce=int, choices=SCORES,
        widget=forms.RadioSelect(attrs={"class": "nhsuk-radios--inline"}),
        help_text="1 is very dissatisfied, 10 is very satisfied.",
        error_messages={"required": "Select a score from 1 to 10 for your satisfaction"})
    would_recommend = forms.TypedChoiceField(
        label="How likely are you to recommend the hub to a colleague?", coerce=int, choices=SCORES,
        widget=forms.RadioSelect(attrs={"class": "nhsuk-radios--inline"}),
        help_text="1 is not at all likely, 10 is extremely likely.",
        error_messages={"required": "Select a score from 1 to 10 for recommending the hub"})
    comment = forms.CharField(label="Anything else you would like to tell the hub? (optional)", required=False,
                              max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))


def _positive(label, maximum):
    return forms.IntegerField(label=label, min_value=1, max_value=maximum,
                              widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-4"}),
                              error_messages={"required": f"Enter {label.lower()}",
                                              "min_value": f"{label} must be at least 1",
                                              "max_value": f"{label} must be {maximum} or fewer",
                                              "invalid": f"Enter {label.lower()} as a whole number"})


class AdoptionSettingsForm(forms.Form):
    follow_up_months = forms.CharField(
        label="Benefit follow-ups, in months after entering the benefits stage", max_length=40,
        help_text="Whole months separated by commas, like 3, 6, 12.",
        error_messages={"required": "Enter at least one follow-up month"})
    benefit_reminder_working_days = _positive("Working days before the sponsor is reminded", 60)
    survey_reminder_working_days = _positive("Working days before the survey reminder", 60)
    milestone_overdue_working_days = _positive("Working days after a milestone's due date to say it is overdue", 30)
    partner_progress_interval_days = _positive("Days between progress update requests to partners", 365)
    partner_progress_chase_working_days = _positive("Working days before a silent partner is chased", 60)
    partner_progress_escalation_working_days = _positive("Working days after the chase before the hub leads are told",
                                                         60)

    def clean_follow_up_months(self):
        parts = [p.strip() for p in self.cleaned_data["follow_up_months"].split(",") if p.strip()]
        try:
            months = sorted({int(p) for p in parts})
        except ValueError:
            raise forms.ValidationError("Enter whole months separated by commas, like 3, 6, 12") from None
        if not months or months[0] < 1 or months[-1] > 60:
            raise forms.ValidationError("Each follow-up must be between 1 and 60 months")
        return months


class BoardFilterForm(forms.Form):
    q = forms.CharField(label="Reference or title", required=False, max_length=100)
    status = forms.ChoiceField(label="Status", required=False,
                               choices=[("open", "Open (active, on hold, parked)")] + list(Case.Status.choices))
    assignee = forms.TypedChoiceField(label="Assigned to", coerce=int, empty_value=None, required=False)
    overdue = forms.BooleanField(label="Only cases with overdue milestones", required=False)
    stage = forms.SlugField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, hub, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "Anyone")] + member_choices(hub)

    def filters(self):
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "", False)}
