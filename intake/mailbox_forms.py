"""Forms of the "Arrived by email" queue and the mailbox settings. They validate; services act."""

from django import forms

from hubportal.taxonomy import KindOfHelp

from .forms import NoPatientDataMixin
from .models import HubMailbox, Inquiry


class MailboxSettingsForm(forms.Form):
    host = forms.CharField(label="IMAP server", max_length=253, help_text="For example, outlook.office365.com",
                           error_messages={"required": "Enter the IMAP server's name"})
    port = forms.IntegerField(label="Port", min_value=1, max_value=65535, initial=993,
                              widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-5"}),
                              error_messages={"required": "Enter the port", "invalid": "Enter the port as a number",
                                              "min_value": "Enter a port from 1 to 65535",
                                              "max_value": "Enter a port from 1 to 65535"})
    security = forms.ChoiceField(label="How to connect securely", choices=HubMailbox.Security.choices,
                                 widget=forms.RadioSelect, initial=HubMailbox.Security.TLS,
                                 error_messages={"required": "Select how to connect securely"})
    username = forms.CharField(label="User name", max_length=254, help_text="Usually the mailbox's email address",
                               error_messages={"required": "Enter the user name"})
    password = forms.CharField(
        label="Password or app password", required=False, max_length=500,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
        help_text="Stored encrypted and never shown again. Leave empty to keep the saved one.")
    folder = forms.CharField(label="Folder to read", max_length=200, initial="INBOX",
                             error_messages={"required": "Enter the folder to read, for example INBOX"})
    after_import = forms.ChoiceField(label="After an email is imported", choices=HubMailbox.AfterImport.choices,
                                     widget=forms.RadioSelect, initial=HubMailbox.AfterImport.MARK,
                                     error_messages={"required": "Select what to do after an email is imported"})
    move_to_folder = forms.CharField(label="Folder to move imported emails to", max_length=200, required=False)
    is_enabled = forms.BooleanField(label="Fetch emails from this mailbox", required=False, initial=True)

    def __init__(self, *args, has_password=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_password = has_password

    def clean(self):
        cleaned = super().clean()
        if not self.has_password and not cleaned.get("password"):
            self.add_error("password", "Enter the mailbox's password or app password")
        if cleaned.get("after_import") == HubMailbox.AfterImport.MOVE and not cleaned.get("move_to_folder"):
            self.add_error("move_to_folder", "Enter the folder to move imported emails to")
        if cleaned.get("move_to_folder") and cleaned.get("move_to_folder") == cleaned.get("folder"):
            self.add_error("move_to_folder", "Enter a folder other than the one that is read")
        return cleaned


class RecordForm(NoPatientDataMixin, forms.Form):
    """The inquiry staff record for the person who wrote; prefilled from the email."""

    page_heading_field = None
    email = forms.EmailField(label="Their email address", help_text="The acknowledgement and sign-in link go here",
                             error_messages={"required": "Enter their email address",
                                             "invalid": "Enter an email address like name@nhs.net"})
    contact_name = forms.CharField(label="Their name", max_length=200,
                                   error_messages={"required": "Enter their name"})
    organisation = forms.CharField(label="Their organisation (optional)", max_length=200, required=False)
    kind_of_help = forms.ChoiceField(label="What kind of help do they need?", choices=KindOfHelp.choices,
                                     widget=forms.RadioSelect,
                                     error_messages={"required": "Select what kind of help they need"})
    title = forms.CharField(label="Title", max_length=120,
                            error_messages={"required": "Enter a title",
                                            "max_length": "Title must be 120 characters or fewer"})
    problem = forms.CharField(label="What they wrote", max_length=2000, widget=forms.Textarea(attrs={"rows": 8}),
                              help_text="Shorten it to 2000 characters if needed. Remove anything that identifies a patient.",
                              error_messages={"required": "Enter what they asked",
                                              "max_length": "What they wrote must be 2000 characters or fewer"})

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str):
                cleaned[name] = value.strip()
        return cleaned

    def answers(self):
        data = self.cleaned_data
        return {name: data[name] for name in ("contact_name", "organisation", "kind_of_help", "title", "problem")}


class AttachForm(forms.Form):
    reference = forms.CharField(label="Reference of the inquiry", max_length=20,
                                help_text="For example, DOR-2026-00042",
                                error_messages={"required": "Enter the reference of the inquiry"})

    def __init__(self, *args, hub, **kwargs):
        super().__init__(*args, **kwargs)
        self.hub = hub

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip().upper()
        inquiry = Inquiry.objects.filter(hub=self.hub, reference=reference).first()
        if inquiry is None:
            raise forms.ValidationError("No inquiry of this hub has that reference")
        if not inquiry.is_open:
            raise forms.ValidationError("That inquiry is closed. Emails are attached to open inquiries only")
        self.inquiry = inquiry
        return reference


class DismissForm(forms.Form):
    reason = forms.CharField(label="Why dismiss it?", max_length=500,
                             help_text="For example: spam, not for this hub, answered by phone",
                             error_messages={"required": "Enter why you are dismissing this email",
                                             "max_length": "Reason must be 500 characters or fewer"})
