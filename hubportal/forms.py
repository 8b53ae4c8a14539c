from django import forms
from django.conf import settings


def email_domain_allowed(email):
    domain = email.rsplit("@", 1)[-1].lower()
    for allowed in settings.SUBMITTER_EMAIL_DOMAINS:
        allowed = allowed.lower().lstrip(".")
        if allowed == "*" or domain == allowed or domain.endswith("." + allowed):
            return True
    return False


class SignInForm(forms.Form):
    page_heading_field = "email"

    email = forms.EmailField(
        label="What is your work email address?",
        help_text="We will email you a link to sign in. Use your NHS email address.",
        max_length=254,
        error_messages={
            "required": "Enter your work email address",
            "invalid": "Enter an email address in the correct format, like name@nhs.net",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false",
                                       "class": "nhsuk-input--width-30"}),
    )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if not email_domain_allowed(email):
            allowed = ", ".join(settings.SUBMITTER_EMAIL_DOMAINS)
            raise forms.ValidationError(
                f"Enter an NHS email address. This service accepts addresses ending in {allowed}"
            )
        return email
