"""The "Record an inquiry" page: staff record an inquiry that came by phone, a meeting or an email, for
the person who asked. The questions are the journey's own forms (intake.journey.STEPS, validated the
same way); this form adds who the person is, how it came, and the consents the person gave."""

from django import forms

from .forms import YES_NO
from .journey import STEPS
from .models import Inquiry

# The journey's pages staff fill in for the person: every question page but the hub (it is this hub's),
# the consent page (the staff member records the person's answers below, with how they gave them) and
# attachments (added afterwards from the case page's email, if any).
RECORDED_STEPS = [step for step in STEPS if step.slug not in ("hub", "consent", "attachments")]

SOURCES = [(code, label) for code, label in Inquiry.Source.choices if code != Inquiry.Source.WEB]


class OnBehalfForm(forms.Form):
    email = forms.EmailField(label="Their email address", help_text="The acknowledgement and a sign-in link go here",
                             error_messages={"required": "Enter their email address",
                                             "invalid": "Enter an email address like name@nhs.net"})
    source = forms.ChoiceField(label="How did the inquiry reach the hub?", choices=SOURCES, widget=forms.RadioSelect,
                               error_messages={"required": "Select how the inquiry reached the hub"})
    consent_share_with_partners = forms.ChoiceField(
        label="Did they agree that the hub may share their inquiry with partner organisations?", choices=YES_NO,
        widget=forms.RadioSelect, help_text="Ask them: partners include Health Innovation Networks, universities, "
                                            "councils, voluntary sector groups and companies that could help.",
        error_messages={"required": "Select yes if they agreed the hub may share it with partner organisations"})
    consent_contact = forms.BooleanField(
        label="They agreed that the hub and, if they said yes above, its partners may contact them about it",
        error_messages={"required": "Confirm that they agreed the hub may contact them. Without it, "
                                    "do not record the inquiry"})
    consent_method = forms.ChoiceField(label="How did they give these answers?", choices=Inquiry.ConsentMethod.choices,
                                       widget=forms.RadioSelect,
                                       error_messages={"required": "Select how they gave their answers"})

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


def step_forms(data=None):
    """One journey form per recorded step, each with its own prefix, on an unsaved inquiry."""
    forms_ = []
    for step in RECORDED_STEPS:
        form = step.form_class(data, prefix=step.slug, instance=Inquiry())
        form.page_heading_field = None  # one h1 for the page; each question keeps its own label
        forms_.append((step, form))
    return forms_


def step_answers(forms_):
    return {name: form.cleaned_data[name] for _step, form in forms_ for name in form._meta.fields}
