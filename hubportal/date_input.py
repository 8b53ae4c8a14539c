"""The NHS.UK date input: a date typed as day, month and year boxes, with the design system's errors.

`DateInputField` is the one field for every date a person types (the nhsuk crispy pack draws it with
templates/nhsuk/fields/date.html). Errors follow the NHS.UK pattern and say which box is wrong, and
only those boxes are marked: "Date must include a month", "Date must be a real date",
"Year must include 4 numbers". Whatever was typed is shown again as typed.
"""

import datetime as dt

from django import forms

PARTS = ("day", "month", "year")


class _Unreadable(list):
    """A date in one value (an old link) that is not year-month-day: refused as not a real date."""


class DateInputWidget(forms.MultiWidget):
    def __init__(self, attrs=None):
        super().__init__({part: forms.TextInput() for part in PARTS}, attrs)
        # The boxes the last error is about (set by DateInputField.clean); None: all of them, as usual.
        self.error_parts = None

    def decompress(self, value):
        if isinstance(value, dt.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def value_from_datadict(self, data, files, name):
        parts = super().value_from_datadict(data, files, name)
        if not any(parts) and data.get(name):
            # A link or saved search from before the boxes (?submitted_from=2026-04-01) still works,
            # and a bad one gets the same errors as if it had been typed in the boxes.
            bits = str(data.get(name)).split("-")
            if len(bits) == 3:
                year, month, day = bits
                return [day, month, year]
            return _Unreadable(["", "", ""])
        return parts

    def value_omitted_from_data(self, data, files, name):
        return name not in data and super().value_omitted_from_data(data, files, name)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for part, sub in zip(PARTS, context["widget"]["subwidgets"], strict=True):
            sub["is_error"] = None if self.error_parts is None else part in self.error_parts
        return context


class DateInputField(forms.MultiValueField):
    """A date from three boxes. `subject` names it in errors ("Date", "Sent from date")."""

    widget = DateInputWidget

    def __init__(self, *, subject="Date", **kwargs):
        self.subject = subject
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault("required", f"Enter the {subject.lower()}")
        parts = [forms.CharField(required=False) for _ in PARTS]
        super().__init__(parts, require_all_fields=False, **kwargs)

    def _refuse(self, message, parts=PARTS):
        self.widget.error_parts = set(parts)
        raise forms.ValidationError(message, code="invalid")

    def clean(self, value):
        self.widget.error_parts = None
        if isinstance(value, _Unreadable):
            self._refuse(f"{self.subject} must be a real date")
        typed = [str(part or "").strip() for part in (value or [None] * 3)]
        if not any(typed):
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return None
        missing = [part for part, text in zip(PARTS, typed, strict=True) if not text]
        if missing:
            self._refuse(f"{self.subject} must include a {' and '.join(missing)}", missing)
        not_numbers = [part for part, text in zip(PARTS, typed, strict=True) if not text.isdigit()]
        if not_numbers:
            self._refuse(f"{self.subject} must be a real date", not_numbers)
        day, month, year = typed
        if len(year) != 4:
            self._refuse("Year must include 4 numbers", ["year"])
        try:
            date = dt.date(int(year), int(month), int(day))
        except ValueError:
            wrong = ["month"] if not 1 <= int(month) <= 12 else ["year"] if int(year) < dt.MINYEAR else ["day"]
            self._refuse(f"{self.subject} must be a real date", wrong)
        self.run_validators(date)
        return date

    def compress(self, data_list):  # clean() above does the work; MultiValueField requires it
        raise NotImplementedError
