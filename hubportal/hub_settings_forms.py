"""Forms of the hub settings pages (issue 10): they validate; hubportal.hub_settings changes things."""

from django import forms

from .hub_settings import SERVICE_LEVEL_FIELDS
from .models import Hub, HubMembership

_DAYS = "Enter a whole number of working days from 1 to 60"


def _days_field(label, help_text=""):
    return forms.IntegerField(
        label=label, help_text=help_text or "Working days", min_value=1, max_value=60,
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-4", "inputmode": "numeric"}),
        error_messages={"required": _DAYS, "invalid": _DAYS, "min_value": _DAYS, "max_value": _DAYS})


class ServiceLevelsForm(forms.Form):
    triage_target_working_days = _days_field(SERVICE_LEVEL_FIELDS["triage_target_working_days"],
                                             "Working days from an inquiry arriving to the hub's first decision")
    info_reminder_working_days = _days_field(SERVICE_LEVEL_FIELDS["info_reminder_working_days"],
                                             "Working days a question to the submitter waits before a reminder")
    info_close_suggestion_working_days = _days_field(SERVICE_LEVEL_FIELDS["info_close_suggestion_working_days"],
                                                     "Working days after the reminder before the lead is told "
                                                     "the inquiry can be closed")
    partner_target_working_days = _days_field(SERVICE_LEVEL_FIELDS["partner_target_working_days"],
                                              "Working days a partner has to accept or decline a referral")
    partner_reminder_working_days = _days_field(SERVICE_LEVEL_FIELDS["partner_reminder_working_days"],
                                                "Working days before the partner contact is reminded")
    partner_escalation_working_days = _days_field(SERVICE_LEVEL_FIELDS["partner_escalation_working_days"],
                                                  "Working days before the partner's lead and the hub lead are told")

    @classmethod
    def for_hub(cls, hub: Hub, data=None):
        return cls(data, initial={name: getattr(hub, name) for name in SERVICE_LEVEL_FIELDS})

    def clean(self):
        cleaned = super().clean()
        reminder, escalation = cleaned.get("partner_reminder_working_days"), cleaned.get(
            "partner_escalation_working_days")
        if reminder and escalation and escalation <= reminder:
            self.add_error("partner_escalation_working_days",
                           "Escalate later than the reminder: enter more working days than for the reminder")
        return cleaned


class InviteForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=200,
                                error_messages={"required": "Enter the person's full name",
                                                "max_length": "Name must be 200 characters or fewer"})
    email = forms.EmailField(label="Work email address", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                                            "class": "nhsuk-input--width-30"}),
                             error_messages={"required": "Enter their work email address",
                                             "invalid": "Enter an email address in the correct format, "
                                                        "like name@nhs.net"})
    role = forms.ChoiceField(label="Role", choices=HubMembership.Role.choices, widget=forms.RadioSelect,
                             initial=HubMembership.Role.MEMBER, error_messages={"required": "Choose a role"})

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=HubMembership.Role.choices, widget=forms.RadioSelect,
                             error_messages={"required": "Choose a role"})


class RemoveForm(forms.Form):
    hand_to = forms.ChoiceField(label="Who takes over their open inquiries?", widget=forms.RadioSelect,
                                error_messages={"required": "Choose who takes over their open inquiries"})

    def __init__(self, *args, others, **kwargs):
        super().__init__(*args, **kwargs)
        self.others = {str(m.user_id): m.user for m in others}
        self.fields["hand_to"].choices = [(str(m.user_id), f"{m.user.get_full_name()} ({m.get_role_display()})")
                                          for m in others] + [("nobody", "Nobody: leave them unassigned")]

    def hand_to_user(self):
        return self.others.get(self.cleaned_data["hand_to"])


class ThemeForm(forms.Form):
    label = forms.CharField(label="Name of the priority", max_length=120,
                            help_text="For example, Dorset frailty programme",
                            error_messages={"required": "Enter the name of the priority",
                                            "max_length": "Name must be 120 characters or fewer"})


class DomainsForm(forms.Form):
    domains = forms.CharField(
        label="Email domains this hub accepts", required=False, widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text="One a line, for example dchft.nhs.uk. Each accepts its subdomains too. Leave it empty to "
                  "accept the service's default.",
        error_messages={"max_length": "Enter 5000 characters or fewer"})

    def clean_domains(self):
        from .submitters import InvalidDomain, domains_parse

        try:
            return "\n".join(domains_parse(self.cleaned_data["domains"]))
        except InvalidDomain as error:
            raise forms.ValidationError(str(error)) from error


class AcceptAddressForm(forms.Form):
    email = forms.EmailField(label="Their email address", max_length=254,
                             widget=forms.EmailInput(attrs={"spellcheck": "false", "class": "nhsuk-input--width-30"}),
                             error_messages={"required": "Enter their email address",
                                             "invalid": "Enter an email address in the correct format, "
                                                        "like name@nhs.net"})
    how_checked = forms.CharField(label="How did you check who they are?", max_length=300,
                                  help_text="For example, phoned the practice manager at Poole Road Surgery",
                                  error_messages={"required": "Say how you checked who they are",
                                                  "max_length": "Enter 300 characters or fewer"})

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()
