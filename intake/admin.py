from django.contrib import admin

from .models import Checklist, Criterion


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 1
    fields = ["position", "question", "guidance", "weight", "scale", "allow_not_applicable", "follow_up_answer",
              "follow_up_text"]


@admin.register(Checklist)
class ChecklistAdmin(admin.ModelAdmin):
    # Triage checklists are for hub staff; "lay review" checklists hold the questions lay reviewers answer.
    list_display = ["name", "hub", "kind", "is_active"]
    list_filter = ["hub", "kind", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [CriterionInline]
