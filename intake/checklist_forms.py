"""Forms of the checklist settings pages (issue 10). They validate and normalise; intake.checklists
changes things, and checks the same rules again (ChecklistRefused) so no caller can skip them."""

from django import forms

from .checklists import WEIGHT_MAX, WEIGHT_MIN, CriterionFields
from .models import Checklist, Criterion


class ChecklistForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200,
                           help_text="For example, Manchester triage checklist",
                           error_messages={"required": "Enter a name for the checklist",
                                           "max_length": "Name must be 200 characters or fewer"})
    description = forms.CharField(label="Description (optional)", required=False, max_length=2000,
                                  help_text="Shown to assessors above the questions",
                                  widget=forms.Textarea(attrs={"rows": 3}),
                                  error_messages={"max_length": "Description must be 2000 characters or fewer"})


class ChecklistNewForm(ChecklistForm):
    kind = forms.ChoiceField(label="Who answers it", choices=Checklist.Kind.choices, widget=forms.RadioSelect,
                             initial=Checklist.Kind.TRIAGE,
                             error_messages={"required": "Choose who answers the checklist"})


FOLLOW_UP_CHOICES = [("", "No follow-up")] + [
    (code, label) for code, label in dict.fromkeys(
        (code, label) for answers in Criterion.SCALE_ANSWERS.values() for code, label, _ in answers)
] + [Criterion.NOT_APPLICABLE]


class CriterionForm(forms.Form):
    question = forms.CharField(label="Question", max_length=300,
                               error_messages={"required": "Enter the question",
                                               "max_length": "Question must be 300 characters or fewer"})
    guidance = forms.CharField(label="Hint (optional)", required=False, max_length=2000,
                               help_text="Helps the assessor answer, for example what counts as evidence",
                               widget=forms.Textarea(attrs={"rows": 2}),
                               error_messages={"max_length": "Hint must be 2000 characters or fewer"})
    weight = forms.IntegerField(
        label="Weight", min_value=WEIGHT_MIN, max_value=WEIGHT_MAX, initial=1,
        help_text=f"How much this question counts in the score, from {WEIGHT_MIN} to {WEIGHT_MAX}",
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-4", "inputmode": "numeric"}),
        error_messages={"required": "Enter a weight",
                        "invalid": f"Weight must be a whole number from {WEIGHT_MIN} to {WEIGHT_MAX}",
                        "min_value": f"Weight must be a whole number from {WEIGHT_MIN} to {WEIGHT_MAX}",
                        "max_value": f"Weight must be a whole number from {WEIGHT_MIN} to {WEIGHT_MAX}"})
    scale = forms.ChoiceField(label="Answer scale", choices=Criterion.Scale.choices, widget=forms.RadioSelect,
                              error_messages={"required": "Choose an answer scale",
                                              "invalid_choice": "Choose an answer scale"})
    allow_not_applicable = forms.BooleanField(label="Assessors may answer “Not applicable”", required=False)
    follow_up_answer = forms.ChoiceField(
        label="Answer that raises a follow-up (optional)", choices=FOLLOW_UP_CHOICES, required=False,
        error_messages={"invalid_choice": "Choose a follow-up answer that the answer scale has"})
    follow_up_text = forms.CharField(label="What must follow (optional)", required=False, max_length=300,
                                     help_text="For example, A DPIA is needed",
                                     error_messages={"max_length": "Follow-up must be 300 characters or fewer"})

    def fields_value(self) -> CriterionFields:
        data = self.cleaned_data
        return CriterionFields(question=data["question"], guidance=data["guidance"], weight=data["weight"],
                               scale=data["scale"], allow_not_applicable=data["allow_not_applicable"],
                               follow_up_answer=data["follow_up_answer"], follow_up_text=data["follow_up_text"])

    @staticmethod
    def initial_from(criterion: Criterion) -> dict:
        return {name: getattr(criterion, name) for name in (
            "question", "guidance", "weight", "scale", "allow_not_applicable", "follow_up_answer", "follow_up_text")}
