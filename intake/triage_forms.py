"""Forms of the hub staff pages. They validate and normalise; the services change state."""

import datetime as dt

from django import forms
from django.utils import timezone

from hubportal.date_input import DateInputField
from hubportal.models import User
from hubportal.taxonomy import InnovationType, KindOfHelp, Stage, SupportNeed, Theme

from .models import Inquiry


class VersionedForm(forms.Form):
    """Carries the version of the inquiry the person was looking at (see services._guarded_update),
    and when they loaded the page, so an edit conflict can show what happened since."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    # Only ever used to choose which timeline lines to show after a conflict, never to decide anything
    # (the version does that), so a tampered value shows more or fewer lines and no more.
    seen_at = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen_at"].initial = lambda: timezone.now().isoformat()

    def clean_seen_at(self):
        try:
            seen_at = dt.datetime.fromisoformat(self.cleaned_data["seen_at"])
        except ValueError:
            return None
        return seen_at if timezone.is_aware(seen_at) else None


def member_choices(hub):
    """The hub's members as (pk, name) choices, by name. Read once per request: the list page's filter and
    bulk forms both offer them, from the same hub object (membership.hub), which lives for one request."""
    choices = hub.__dict__.get("_member_choices")
    if choices is None:
        members = User.objects.filter(hub_memberships__hub=hub).order_by("full_name").values_list(
            "pk", "full_name", "email")
        choices = hub.__dict__["_member_choices"] = [(pk, full_name or email) for pk, full_name, email in members]
    return list(choices)


class AssignForm(VersionedForm):
    assignee = forms.TypedChoiceField(
        label="Assign to", coerce=int, empty_value=None, required=False,
        error_messages={"invalid_choice": "Select a member of this hub"},
    )

    def __init__(self, *args, hub, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "Nobody")] + member_choices(hub)

    def clean_assignee(self):
        pk = self.cleaned_data["assignee"]
        return User.objects.get(pk=pk) if pk else None


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Add an internal note", max_length=5000,
        help_text="Only hub staff see notes. The submitter and partners never do.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the note", "max_length": "Note must be 5000 characters or fewer"},
    )


class RequestInfoForm(VersionedForm):
    page_heading_field = "question"
    question = forms.CharField(
        label="What do you need to know?", max_length=2000,
        help_text="The submitter is emailed a link and answers here. The email does not include your question.",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter your question for the submitter",
                        "max_length": "Question must be 2000 characters or fewer"},
    )


class CloseForm(VersionedForm):
    page_heading_field = "outcome"
    outcome = forms.ChoiceField(
        label="What is the outcome?", widget=forms.RadioSelect,
        choices=[c for c in Inquiry.Outcome.choices if c[0] != Inquiry.Outcome.DUPLICATE],
        error_messages={"required": "Select the outcome", "invalid_choice": "Select an outcome from the list"},
    )
    reason = forms.CharField(
        label="Reason", max_length=2000, help_text="The submitter sees the outcome, not this reason.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the reason for closing",
                        "max_length": "Reason must be 2000 characters or fewer"},
    )


class DuplicateForm(VersionedForm):
    page_heading_field = "original"
    original = forms.CharField(
        label="Which inquiry does this duplicate?", max_length=20,
        help_text="Its reference, like DOR-2026-00042. It may belong to any hub.",
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-10", "spellcheck": "false"}),
        error_messages={"required": "Enter the reference of the original inquiry"},
    )

    def __init__(self, *args, inquiry, **kwargs):
        super().__init__(*args, **kwargs)
        self.inquiry = inquiry

    def clean_original(self):
        reference = self.cleaned_data["original"].strip().upper()
        original = Inquiry.objects.filter(reference=reference).exclude(pk=self.inquiry.pk).first()
        if original is None:
            raise forms.ValidationError("There is no other inquiry with that reference")
        return original


class ParkForm(VersionedForm):
    page_heading_field = "until"
    until = DateInputField(
        label="Park until", help_text="For example, 27 3 2027. It comes back to the hub lead at 9am on that date, or on the next "
                                 "working day if that date is a weekend or a bank holiday.",
        error_messages={"required": "Enter the date to park until"},
    )
    reason = forms.CharField(label="Why is it parked? (optional)", max_length=200, required=False,
                             error_messages={"max_length": "Reason must be 200 characters or fewer"})

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until <= timezone.localdate():
            raise forms.ValidationError("The date must be in the future")
        if until > timezone.localdate() + dt.timedelta(days=366 * 2):
            raise forms.ValidationError("The date must be within two years")
        return until


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one <input type="file" multiple>, as a list (empty when none is chosen)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(one, initial) for one in files]


class AnswerInfoForm(forms.Form):
    page_heading_field = "answer"
    answer = forms.CharField(
        label="Your answer", max_length=4000, widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Do not include anything that could identify a patient.",
        error_messages={"required": "Enter your answer", "max_length": "Answer must be 4000 characters or fewer"},
    )
    files = MultipleFileField(
        label="Attach files (optional)", required=False,
        error_messages={"empty": "The selected file is empty",
                        "invalid": "The selected file could not be read. Try again"},
    )

    def __init__(self, *args, inquiry, **kwargs):
        from django.conf import settings
        from django.template.defaultfilters import filesizeformat

        from .validators import ALLOWED_DESCRIPTION

        super().__init__(*args, **kwargs)
        self.inquiry = inquiry
        self.fields["files"].help_text = (
            f"You can choose more than one. Upload {ALLOWED_DESCRIPTION}, up to "
            f"{filesizeformat(settings.ATTACHMENT_MAX_BYTES)} each. Do not upload anything that identifies a patient.")

    def clean_answer(self):
        from .forms import NHS_NUMBER_MESSAGE
        from .validators import find_nhs_numbers

        answer = self.cleaned_data["answer"].strip()
        if find_nhs_numbers(answer):
            raise forms.ValidationError(NHS_NUMBER_MESSAGE)
        return answer

    def clean_files(self):
        """The journey's checks (forms.attachment_check) on each file; every refusal is listed."""
        from .forms import attachment_check

        uploads = self.cleaned_data["files"]
        errors = []
        for upload in uploads:
            try:
                attachment_check(upload, inquiry=self.inquiry, adding=len(uploads))
            except forms.ValidationError as refused:
                errors.extend(f"{upload.name}: {message}" if len(uploads) > 1 else message
                              for message in refused.messages)
        if errors:
            raise forms.ValidationError(list(dict.fromkeys(errors)))
        return uploads


def _choices_with_any(choices, any_label="Any"):
    return [("", any_label), *choices]


# The list's sortable columns, an allow-list: the key in the URL -> (column heading, ORM fields).
# "-key" sorts the other way. Nothing else reaches order_by().
SORT_COLUMNS = {
    "reference": ("Reference", ("reference",)),
    "title": ("Title", ("title",)),
    "status": ("Status", ("status",)),
    "due": ("Triage due", ("triage_due_on", "submitted_at")),
    "organisation": ("Organisation", ("organisation",)),
    "kind": ("Kind of help", ("kind_of_help",)),
    "score": ("Checklist score", ("score",)),
    "assignee": ("Assignee", ("assignee__full_name",)),
    "sent": ("Sent", ("submitted_at",)),
}
# Columns no sent inquiry has empty (NULL): NOT NULL in the table, or required to send.
NEVER_BLANK = {"reference", "title", "status", "organisation", "kind_of_help", "submitted_at", "updated_at"}
# Orders without a column of their own, kept for links people have saved and the dashboard's.
NAMED_SORTS = {"newest": "-sent", "oldest": "sent", "updated": None}


def sort_ordering(key):
    """ORM ordering for an allowed sort key (see SORT_COLUMNS); blanks (no score, nobody) go last."""
    from django.db.models import F

    if key == "updated":
        return ("-updated_at", "-pk")
    key = NAMED_SORTS.get(key, key)
    descending = key.startswith("-")
    fields = SORT_COLUMNS[key.lstrip("-")][1]
    # A column a sent inquiry always has is ordered plainly, so the hub's index on it (Inquiry.Meta's
    # inquiry_list_*) reads forwards or backwards; only columns that can be blank say where blanks go.
    order = [(f"-{name}" if descending else name) if name in NEVER_BLANK
             else F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True) for name in fields]
    return (*order, "-pk" if descending else "pk")


# The first, chosen unless another is: a search's best matches first (intake.staff_views._paginator), else
# newest first. Without it the form always sent "newest", and a search typed in the form was never ranked.
SORT_CHOICES = [("", "Best match (newest first when not searching)"), ("newest", "Newest first"),
                ("oldest", "Oldest first"), ("updated", "Recently updated")] + [
    choice for key, (heading, _fields) in SORT_COLUMNS.items()
    for choice in ((key, f"{heading} (A to Z, low to high)"), (f"-{key}", f"{heading} (Z to A, high to low)"))]


class InquiryFilterForm(forms.Form):
    """The list's filters from the query string. Unknown keys are ignored; bad values are dropped."""

    q = forms.CharField(label="Search title and text", required=False, max_length=200)
    status = forms.MultipleChoiceField(label="Status", required=False, widget=forms.CheckboxSelectMultiple,
                                       choices=[c for c in Inquiry.Status.choices if c[0] != "draft"])
    kind_of_help = forms.ChoiceField(label="Kind of help", required=False,
                                     choices=_choices_with_any(KindOfHelp.choices))
    support = forms.ChoiceField(label="Support needed", required=False,
                                choices=_choices_with_any(SupportNeed.choices))
    theme = forms.ChoiceField(label="Theme", required=False, choices=_choices_with_any(Theme.choices))
    innovation_type = forms.ChoiceField(label="Innovation type", required=False,
                                        choices=_choices_with_any(InnovationType.choices))
    stage = forms.ChoiceField(label="Stage", required=False, choices=_choices_with_any(Stage.choices))
    organisation = forms.CharField(label="Organisation", required=False, max_length=200)
    assignee = forms.ChoiceField(label="Assignee", required=False)
    submitted_from = DateInputField(label="Sent from", subject="Sent from date", required=False)
    submitted_to = DateInputField(label="Sent to", subject="Sent to date", required=False)
    # No inquiry was sent outside these years, and the selector adds a day to "Sent to": 9999-12-31
    # plus one day is past the last date Python has, which used to make the list and export a 500.
    FIRST_YEAR, LAST_YEAR = 2000, 2099
    overdue = forms.BooleanField(label="Only overdue for triage", required=False)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=SORT_CHOICES)
    queue = forms.ChoiceField(label="Queue", required=False)

    def __init__(self, *args, hub, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "Anyone"), ("me", "Me"), ("none", "Nobody")] + [
            (str(pk), name) for pk, name in member_choices(hub)]
        from .selectors import QUEUES

        self.fields["queue"].choices = [("", "Any")] + [(key, q.title) for key, q in QUEUES.items()]
        # The hub's own priorities beside the national themes (issue 10).
        from hubportal.taxonomy import theme_choices

        self.fields["theme"].choices = _choices_with_any(theme_choices(hub))

    def _clean_year(self, name):
        day = self.cleaned_data.get(name)
        if day and not self.FIRST_YEAR <= day.year <= self.LAST_YEAR:
            self.fields[name].widget.error_parts = {"year"}
            raise forms.ValidationError(f"{self.fields[name].subject} must be from {self.FIRST_YEAR} "
                                        f"to {self.LAST_YEAR}")
        return day

    def full_clean(self):
        super().full_clean()
        # The list still shows, only without the filter in error: say so beside the error.
        for name, errors in list(self._errors.items()):
            self._errors[name] = self.error_class([f"{error} (this filter is not applied)" for error in errors])

    def clean_submitted_from(self):
        return self._clean_year("submitted_from")

    def clean_submitted_to(self):
        return self._clean_year("submitted_to")

    def filters(self):
        """The valid filters only: an invalid field is ignored rather than failing the page."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "", [], False)}


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=[("assign", "Assign"), ("close", "Close")],
                               error_messages={"required": "Choose what to do with the selected inquiries"})
    selected = forms.MultipleChoiceField(error_messages={"required": "Select at least one inquiry"})
    assignee = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    outcome = forms.ChoiceField(required=False, choices=[("", "Choose an outcome")] + [
        c for c in Inquiry.Outcome.choices if c[0] != Inquiry.Outcome.DUPLICATE])
    reason = forms.CharField(required=False, max_length=2000,
                             error_messages={"max_length": "Reason must be 2000 characters or fewer"})

    ACTIONS = [("assign", "Assign to"), ("close", "Close with outcome")]

    def __init__(self, *args, hub, references, **kwargs):
        # Its own ids: the list's filter form beside it has an "assignee" too.
        kwargs.setdefault("auto_id", "bulk-%s")
        super().__init__(*args, **kwargs)
        # The choices are the posted references themselves; one with a NUL in it would reach PostgreSQL
        # (which refuses it with a 500), so it is no choice and fails as "not one of the choices".
        self.fields["selected"].choices = [(r, r) for r in references if "\x00" not in r]
        self.fields["assignee"].choices = [("", "Nobody")] + member_choices(hub)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "close":
            if not cleaned.get("outcome"):
                self.add_error("outcome", "Select the outcome for the inquiries you are closing")
            if not cleaned.get("reason"):
                self.add_error("reason", "Enter the reason for closing")
        return cleaned


def checklist_form_class(checklist, criteria):
    """A form with one answer and one comment per criterion of a checklist."""
    fields = {}
    for criterion in criteria:
        fields[f"answer_{criterion.pk}"] = forms.ChoiceField(
            label=criterion.question, help_text=criterion.guidance, widget=forms.RadioSelect,
            choices=criterion.answer_choices(),
            error_messages={"required": f"Answer “{criterion.question}”",
                            "invalid_choice": f"Choose an answer from the list for “{criterion.question}”"},
        )
        fields[f"comment_{criterion.pk}"] = forms.CharField(
            label="Comment (optional)", required=False, max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2}),
            error_messages={"max_length": "Comment must be 2000 characters or fewer"})
    fields["summary"] = forms.CharField(label="Summary (optional)", required=False, max_length=2000,
                                        widget=forms.Textarea(attrs={"rows": 3}),
                                        error_messages={"max_length": "Summary must be 2000 characters or fewer"})

    def answers(self):
        return {c: (self.cleaned_data[f"answer_{c.pk}"], self.cleaned_data[f"comment_{c.pk}"]) for c in criteria}

    return type("ChecklistForm", (forms.Form,), {**fields, "answers": answers})


class SavedSearchForm(forms.Form):
    name = forms.CharField(
        label="Name this search", max_length=80,
        help_text="For example, Overdue IG questions",
        error_messages={"required": "Enter a name for this search",
                        "max_length": "Name must be 80 characters or fewer"},
    )
    is_shared = forms.BooleanField(label="Share it with everyone in the hub", required=False)
    query = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())
