"""Forms for referrals. They validate and normalise; the services change state."""

from django import forms

from intake.forms import NoPatientDataMixin

from .models import Referral

MESSAGE_HELP = ("Say what you would like them to help with. The partner sees the inquiry's answers and this "
                "message, never your notes or checklist assessments.")


def _message_field(label="Message to the partner"):
    return forms.CharField(
        label=label, help_text=MESSAGE_HELP, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter a message to the partner",
                        "max_length": "Message must be 2,000 characters or fewer"},
    )


class _Stripped(NoPatientDataMixin, forms.Form):
    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str):
                cleaned[name] = value.strip()
        return cleaned


class ReferralSendForm(_Stripped):
    """Refer to one or several suggested partners (checkboxes), and/or one other partner, with a message."""

    partners = forms.MultipleChoiceField(
        label="Suggested partners", required=False, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Select partners from the list of suggestions"})
    other_partner = forms.ChoiceField(
        label="Another partner (optional)", required=False,
        help_text="Any active partner that takes referrals from your hub.",
        error_messages={"invalid_choice": "Select a partner from the list"})
    message = _message_field()

    def __init__(self, *args, suggestions=(), other_partners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.suggestions = list(suggestions)
        self.fields["partners"].choices = [(str(s.match.public_id), s.match.name) for s in self.suggestions
                                           if s.can_send]
        self.fields["other_partner"].choices = [("", "None")] + [(str(pid), name) for pid, name in other_partners]

    def clean(self):
        cleaned = super().clean()
        chosen = list(cleaned.get("partners") or [])
        other = cleaned.get("other_partner")
        if other and other not in chosen:
            chosen.append(other)
        if not chosen and not self.has_error("partners") and not self.has_error("other_partner"):
            self.add_error("partners", "Select at least one partner to refer the inquiry to")
        cleaned["chosen"] = chosen
        return cleaned

    def selected(self, public_id):
        return str(public_id) in (self["partners"].value() or [])


class ReferralRerouteForm(_Stripped):
    partner = forms.ChoiceField(
        label="Suggested partners", required=False, widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Select a partner from the list of suggestions"})
    other_partner = forms.ChoiceField(
        label="Another partner", required=False,
        error_messages={"invalid_choice": "Select a partner from the list"})
    message = _message_field()

    def __init__(self, *args, suggestions=(), other_partners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.suggestions = list(suggestions)
        self.fields["partner"].choices = [(str(m.public_id), m.name) for m in self.suggestions]
        self.fields["other_partner"].choices = [("", "None")] + [(str(pid), name) for pid, name in other_partners]

    def clean(self):
        cleaned = super().clean()
        chosen = [c for c in (cleaned.get("partner"), cleaned.get("other_partner")) if c]
        if self.has_error("partner") or self.has_error("other_partner"):
            return cleaned
        if not chosen:
            self.add_error("partner", "Select the partner to send the inquiry to instead")
        elif len(chosen) == 2 and chosen[0] != chosen[1]:
            self.add_error("other_partner", "Choose one partner: a suggestion or another partner, not both")
        cleaned["chosen"] = chosen[0] if chosen else None
        return cleaned


class ReferralDeclineForm(_Stripped):
    reason = forms.ChoiceField(
        label="Why are you declining this referral?", choices=Referral.DeclineReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select why you are declining the referral",
                        "invalid_choice": "Select why you are declining the referral"})
    details = forms.CharField(
        label="Tell the hub more (optional unless you chose another reason)",
        help_text="For example, who might be better placed to help. Do not include patient information.",
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "Details must be 1,000 characters or fewer"})

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == Referral.DeclineReason.OTHER and not cleaned.get("details"):
            self.add_error("details", "Enter the reason you are declining the referral")
        return cleaned


class ReferralHandBackForm(_Stripped):
    reason = forms.ChoiceField(
        label="Why are you handing this referral back?", choices=Referral.DeclineReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select why you are handing the referral back",
                        "invalid_choice": "Select why you are handing the referral back"})
    details = forms.CharField(
        label="Tell the hub more", help_text="What happened, and who might help instead. Do not include patient "
                                             "information.",
        max_length=1000, widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Tell the hub why you are handing the referral back",
                        "max_length": "Details must be 1,000 characters or fewer"})


class ReferralProgressForm(_Stripped):
    note = forms.CharField(
        label="How is it going?", max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A short note for the hub. Do not include patient information.",
        error_messages={"required": "Enter a short note on how it is going",
                        "max_length": "Note must be 2,000 characters or fewer"})
    milestone_reached = forms.CharField(
        label="Milestone reached (optional)", required=False, max_length=200,
        help_text="For example, first meeting held, evaluation plan agreed, bid submitted.")
    expected_outcome_on = forms.DateField(
        label="When do you expect an outcome? (optional)", required=False,
        help_text="For example, 27 3 2027.", input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d %m %Y"],
        widget=forms.DateInput(attrs={"type": "date", "class": "nhsuk-input--width-10"}),
        error_messages={"invalid": "Enter a real date, like 27/03/2027"})
    in_kind_hours = forms.DecimalField(
        label="Staff time given in kind since your last update, in hours (optional)", required=False,
        min_value=0, max_digits=8, decimal_places=1,
        help_text="Time your organisation gave without charge, for the hub's value report. For example, 12.5.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "nhsuk-input--width-5"}),
        error_messages={"invalid": "Enter the hours as a number, like 12.5",
                        "min_value": "Hours must be 0 or more",
                        "max_decimal_places": "Enter hours to one decimal place, like 12.5",
                        "max_digits": "Hours must be 9,999,999.9 or fewer"})
    in_kind_value = forms.DecimalField(
        label="Value of other in-kind support, in pounds (optional)", required=False, min_value=0,
        max_digits=12, decimal_places=2,
        help_text="For example, equipment lent, venue or licences, at what they would have cost.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "nhsuk-input--width-10"}),
        error_messages={"invalid": "Enter the value in pounds as a number, like 1500",
                        "min_value": "The value must be £0 or more",
                        "max_decimal_places": "Enter the value to the penny at most, like 1500.50",
                        "max_digits": "The value must be £9,999,999,999.99 or less"})
    in_kind_description = forms.CharField(
        label="What was the in-kind support? (optional)", required=False, max_length=300,
        error_messages={"max_length": "Description must be 300 characters or fewer"})

    def clean_expected_outcome_on(self):
        from django.utils import timezone

        day = self.cleaned_data["expected_outcome_on"]
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError("The expected outcome date must be today or in the future")
        return day


class ReferralQuestionForm(_Stripped):
    page_heading_field = "question"

    question = forms.CharField(
        label="What would you like to ask the hub?",
        help_text="The hub will reply to you by email. Do not include patient information.",
        max_length=2000, widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter your question for the hub",
                        "max_length": "Question must be 2,000 characters or fewer"})


class ReferralOutcomeForm(_Stripped):
    outcome = forms.ChoiceField(
        label="What was the outcome?", choices=Referral.Outcome.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select the outcome of the referral",
                        "invalid_choice": "Select the outcome of the referral"})
    details = forms.CharField(
        label="Tell the hub more (optional)", required=False, max_length=2000,
        help_text="For example, what support you gave or what happens next.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "Details must be 2,000 characters or fewer"})


class HubReferralFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False,
                               choices=[("", "All")] + list(Referral.Status.choices))
