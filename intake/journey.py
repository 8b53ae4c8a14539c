"""The submission journey: its question pages in order, and what "complete" means.

One list drives the pages, the back links, the "Check your answers" rows and the completeness check,
so adding a question is one entry here and one form.
"""

from dataclasses import dataclass, field

from . import forms


@dataclass(frozen=True)
class Step:
    slug: str
    form_class: type
    title: str  # the question, for "Check your answers" and page titles
    # Model fields this step answers, and those that must be answered before submitting.
    fields: tuple
    required: tuple = field(default=())
    missing_message: str = ""


STEPS = [
    Step("kind-of-help", forms.KindOfHelpForm, "Kind of help", ("kind_of_help",), ("kind_of_help",),
         "Select what kind of help you need"),
    Step("title", forms.TitleForm, "Title", ("title",), ("title",), "Enter a title for your inquiry"),
    Step("problem", forms.ProblemForm, "The problem", ("problem",), ("problem",),
         "Describe the problem you are trying to solve"),
    Step("innovation", forms.InnovationForm, "The innovation", ("proposed_innovation",),
         ("proposed_innovation",), "Describe the innovation"),
    Step("who-benefits", forms.BenefitsForm, "Who benefits", ("who_benefits",), ("who_benefits",),
         "Enter who would benefit and how"),
    Step("innovation-type", forms.InnovationTypeForm, "Type of innovation", ("innovation_type",),
         ("innovation_type",), "Select the type of innovation"),
    Step("stage", forms.StageForm, "Stage and evidence", ("stage", "evidence"), ("stage",),
         "Select how far along the innovation is"),
    Step("support", forms.SupportForm, "Support needed", ("support_needed",), ("support_needed",),
         "Select at least one kind of support"),
    # The sector is asked here (issue 10) but not required to send, so drafts begun before it was asked
    # still go; the page itself requires it of anyone who answers it.
    Step("about-you", forms.AboutYouForm, "About you",
         ("contact_name", "organisation", "role", "sector", "phone"),
         ("contact_name", "organisation", "role"), "Tell us your name, organisation and role"),
    Step("hub", forms.HubForm, "Innovation hub", ("hub",), ("hub",), "Select the innovation hub for your area"),
    # After the hub: it offers the hub's own priorities beside the national ones (issue 10).
    Step("themes", forms.ThemesForm, "Priority themes", ("themes",)),
    Step("consent", forms.ConsentForm, "Consent",
         ("consent_share_with_partners", "consent_contact"),
         ("consent_share_with_partners", "consent_contact"), "Answer the questions about consent"),
    Step("attachments", forms.AttachmentForm, "Attachments", ()),
]
STEPS_BY_SLUG = {step.slug: step for step in STEPS}
FIRST_STEP = STEPS[0]


def step_after(step):
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def step_before(step):
    index = STEPS.index(step)
    return STEPS[index - 1] if index > 0 else None


def _answered(inquiry, name):
    value = getattr(inquiry, name + "_id", None) if name == "hub" else getattr(inquiry, name)
    if name == "consent_contact":
        return value is True
    if isinstance(value, bool):
        return True
    return value not in (None, "", [])


def missing_steps(inquiry):
    """The steps whose required answers are missing, in journey order."""
    return [step for step in STEPS if any(not _answered(inquiry, name) for name in step.required)]


def first_unanswered_step(inquiry):
    missing = missing_steps(inquiry)
    return missing[0] if missing else None


def _display(inquiry, name):
    """An answer as a person reads it: labels for codes, Yes/No for consents, lists for lists."""
    value = getattr(inquiry, name)
    if name == "hub":
        return inquiry.hub.name if inquiry.hub_id else ""
    if name == "support_needed":
        return inquiry.support_needed_labels()
    if name == "themes":
        return inquiry.theme_labels()
    if name.startswith("consent"):
        return {True: "Yes", False: "No", None: ""}[value]
    display = getattr(inquiry, f"get_{name}_display", None)
    return display() if display and value else value


ROW_LABELS = {
    "kind_of_help": "Kind of help", "title": "Title", "problem": "The problem",
    "proposed_innovation": "The innovation", "who_benefits": "Who benefits",
    "innovation_type": "Type of innovation", "stage": "Stage", "evidence": "Evidence so far",
    "support_needed": "Support needed", "themes": "Priority themes", "contact_name": "Name",
    "organisation": "Organisation", "role": "Role", "sector": "Sector", "phone": "Phone number", "hub": "Innovation hub",
    "consent_share_with_partners": "Share with partner organisations",
    "consent_contact": "Hub and partners may contact me",
}


@dataclass(frozen=True)
class AnswerRow:
    step: Step
    label: str
    text: str = ""
    items: tuple = ()


def answer_rows(inquiry):
    """One row per answer, in journey order, for summary lists (a list answer fills `items`)."""
    rows = []
    for step in STEPS:
        for name in step.fields:
            value = _display(inquiry, name)
            if isinstance(value, list):
                rows.append(AnswerRow(step, ROW_LABELS[name], items=tuple(value)))
            else:
                rows.append(AnswerRow(step, ROW_LABELS[name], text=value or ""))
    return rows
