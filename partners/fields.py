"""A list of taxonomy codes, stored as JSON (the same on SQLite and PostgreSQL), edited as checkboxes.

Partners' services, signposting's resources and routing rules are tagged with the kernel's taxonomy
codes (hubportal/taxonomy.py), the same codes an inquiry carries, so the matcher compares like with like.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from hubportal.taxonomy import Theme, all_theme_choices


class CodeListField(models.JSONField):
    def __init__(self, *args, taxonomy=None, **kwargs):
        self.taxonomy = taxonomy
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        # The taxonomy only drives forms and validation, which migrations never use.
        name, path, args, kwargs = super().deconstruct()
        return name, path, args, kwargs

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        if self.taxonomy is None:
            return
        if not isinstance(value, list):
            raise ValidationError("Expected a list of codes.")
        unknown = [code for code in value if code not in self.taxonomy.values]
        if unknown and self.taxonomy is Theme:
            # Themes also take the hubs' own priorities (issue 10), which are data.
            from hubportal.models import HubTheme

            unknown = sorted(set(unknown) - set(HubTheme.objects.filter(code__in=unknown).values_list("code",
                                                                                                        flat=True)))
        if unknown:
            raise ValidationError(f"Unknown codes: {', '.join(map(str, unknown))}")

    def formfield(self, **kwargs):
        if self.taxonomy is None:
            return super().formfield(**kwargs)
        return forms.TypedMultipleChoiceField(
            choices=all_theme_choices if self.taxonomy is Theme else self.taxonomy.choices, widget=forms.CheckboxSelectMultiple,
            required=not self.blank, label=kwargs.get("label") or self.verbose_name.capitalize(),
            help_text=self.help_text,
        )


def tag_index(*, support_needs=(), themes=(), innovation_types=(), stages=()):
    """One searchable string of an item's tags: "|need:evaluation|theme:core20|type:digital|".

    The matcher finds candidates with a LIKE on this column (indexed text, portable between SQLite
    and PostgreSQL) instead of decoding every row's JSON lists in Python.
    """
    parts = ([f"need:{c}" for c in support_needs] + [f"theme:{c}" for c in themes]
             + [f"type:{c}" for c in innovation_types] + [f"stage:{c}" for c in stages])
    return "|" + "|".join(parts) + "|" if parts else ""
