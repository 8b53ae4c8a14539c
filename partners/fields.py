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

    Searched with LIKE (portable between SQLite and PostgreSQL) for the tags that have no bit in
    TAG_BITS (a hub's own priority themes), and by the directory filters and the ORUK export.
    """
    parts = ([f"need:{c}" for c in support_needs] + [f"theme:{c}" for c in themes]
             + [f"type:{c}" for c in innovation_types] + [f"stage:{c}" for c in stages])
    return "|" + "|".join(parts) + "|" if parts else ""


# The bit of each national tag in the `tag_bits` column, which the matcher tests with `&` (issue 13):
# a LIKE per tag on every row of the directory was most of the matcher's time, and no index helps,
# because a typical inquiry's tags are shared by a third to a half of all rows. Rows store these
# positions, so this list only ever grows at its end: a new code is appended (tests fail until it is),
# and existing positions never move. Themes a hub adds for itself (issue 10) are data, so they have
# no bit: the matcher finds them with LIKE on tag_index. 35 of the 63 bits a signed 64-bit integer has.
TAG_BIT_ORDER = (
    "need:evaluation", "need:funding", "need:procurement", "need:information_governance", "need:digital",
    "need:ppie", "need:project_management", "need:partners", "need:adoption", "need:regulatory",
    "theme:health_inequalities", "theme:core20", "theme:maternity", "theme:severe_mental_illness",
    "theme:chronic_respiratory", "theme:early_cancer_diagnosis", "theme:hypertension", "theme:prevention",
    "theme:urgent_care", "theme:elective_recovery", "theme:workforce", "theme:net_zero",
    "theme:digital_inclusion",
    "type:digital", "type:medical_device", "type:diagnostic", "type:medicine", "type:pathway", "type:workforce",
    "type:other",
    "stage:idea", "stage:developing", "stage:piloted", "stage:in_use_here", "stage:proven_elsewhere",
)
TAG_BITS = {tag: 1 << position for position, tag in enumerate(TAG_BIT_ORDER)}


def tag_bits(index):
    """The tag_bits value of a tag_index string: the bits of the tags it holds that have one."""
    return sum(TAG_BITS.get(tag, 0) for tag in set(index.split("|")))
