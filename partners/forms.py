from django import forms


class PartnerSignInForm(forms.Form):
    page_heading_field = "email"

    email = forms.EmailField(
        label="What is your email address?",
        help_text="Use the address your organisation's referrals are sent to. We will email you a link to sign in.",
        max_length=254,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false",
                                       "class": "nhsuk-input--width-30"}),
    )

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class DirectoryImportForm(forms.Form):
    page_heading_field = "file"

    file = forms.FileField(
        label="Upload a directory CSV file",
        help_text="One row per partner service, with the columns described in the import guide. "
                  "If any row has a problem, nothing is changed.",
        error_messages={"required": "Select a CSV file to import",
                        "empty": "The selected file is empty"},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError("The selected file must be a CSV file")
        return upload


class DigestChoiceForm(forms.Form):
    receives_digest = forms.ChoiceField(
        label="Weekly email of referrals waiting for you", widget=forms.RadioSelect,
        choices=[("yes", "Yes, send it every Monday"), ("no", "No, thank you")],
        error_messages={"required": "Select yes or no", "invalid_choice": "Select yes or no"},
    )
