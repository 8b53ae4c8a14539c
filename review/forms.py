"""Lay review forms: they validate and normalise; the services make the changes."""

from django import forms

from intake.models import Checklist


class LayReviewerForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200,
                           error_messages={"required": "Enter the reviewer's name",
                                           "max_length": "Name must be 200 characters or fewer"})
    email = forms.EmailField(label="Email address", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
                             error_messages={"required": "Enter the reviewer's email address",
                                             "invalid": "Enter an email address like name@example.com"})

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class LayReviewerEditForm(LayReviewerForm):
    is_active = forms.TypedChoiceField(
        label="Can the hub ask them to review?", widget=forms.RadioSelect, coerce=lambda v: v == "yes",
        choices=[("yes", "Yes, they are active"), ("no", "No: do not ask them, and their unused links stop working")],
        error_messages={"required": "Select whether the reviewer is active"})


class LayReviewRequestForm(forms.Form):
    page_heading_field = "reviewers"
    reviewers = forms.MultipleChoiceField(
        label="Who should review it?", widget=forms.CheckboxSelectMultiple,
        help_text="Each reviewer is emailed their own link.",
        error_messages={"required": "Select at least one lay reviewer",
                        "invalid_choice": "Select lay reviewers from the list"})
    checklist = forms.ChoiceField(label="Questions to ask", widget=forms.RadioSelect,
                                  error_messages={"required": "Select the questions to ask",
                                                  "invalid_choice": "Select questions from the list"})
    summary = forms.CharField(
        label="Plain-English summary for the reviewers", max_length=2000,
        help_text="Describe the innovation and the problem it solves in everyday words. Reviewers see this and "
                  "the inquiry's answer to who would benefit, nothing else: leave out names, organisations, "
                  "places and anything that could identify someone.",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Enter a plain-English summary",
                        "max_length": "Summary must be 2000 characters or fewer"})

    def __init__(self, *args, reviewers, checklists, **kwargs):
        super().__init__(*args, **kwargs)
        self.reviewer_objects = {str(r.public_id): r for r in reviewers}
        self.fields["reviewers"].choices = [(str(r.public_id), f"{r.name} ({r.email})") for r in reviewers]
        self.checklist_objects = {str(c.pk): c for c in checklists}
        self.fields["checklist"].choices = [(str(c.pk), c.name) for c in checklists]
        if len(checklists) == 1:
            self.fields["checklist"].initial = str(checklists[0].pk)

    def chosen_reviewers(self):
        return [self.reviewer_objects[key] for key in self.cleaned_data["reviewers"]]

    def chosen_checklist(self) -> Checklist:
        return self.checklist_objects[self.cleaned_data["checklist"]]


def lay_review_form_class(criteria):
    """The reviewer's form: one answer per question of the lay review checklist, a comment, the time."""
    fields = {}
    for criterion in criteria:
        fields[f"answer_{criterion.pk}"] = forms.ChoiceField(
            label=criterion.question, help_text=criterion.guidance, widget=forms.RadioSelect,
            choices=criterion.answer_choices(),
            error_messages={"required": f"Answer “{criterion.question}”",
                            "invalid_choice": f"Choose an answer from the list for “{criterion.question}”"})
    fields["comment"] = forms.CharField(
        label="Anything else you would like the hub to know? (optional)", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "Your comment must be 2000 characters or fewer"})
    fields["minutes_given"] = forms.IntegerField(
        label="How many minutes did you spend on this review?", min_value=1, max_value=600,
        help_text="The hub uses this to thank or pay you for your time. For example, 30.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "nhsuk-input--width-4"}),
        error_messages={"required": "Enter how many minutes you spent, for example 30",
                        "invalid": "Enter the minutes as a number, for example 30",
                        "min_value": "Minutes must be 1 or more", "max_value": "Minutes must be 600 or fewer"})

    def answers(self):
        return {c: self.cleaned_data[f"answer_{c.pk}"] for c in criteria}

    return type("LayReviewForm", (forms.Form,), {**fields, "answers": answers})


class DeclineForm(forms.Form):
    page_heading_field = "choice"
    choice = forms.ChoiceField(
        label="Why can you not review this innovation?", widget=forms.RadioSelect,
        choices=[("decline", "I cannot review it this time"),
                 ("conflict", "I have a conflict of interest (for example, I know the people or organisation involved)")],
        error_messages={"required": "Select why you cannot review it"})
    reason = forms.CharField(label="Anything you would like to tell the hub (optional)", required=False,
                             max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"max_length": "This must be 1000 characters or fewer"})
