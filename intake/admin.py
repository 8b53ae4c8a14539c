from django.contrib import admin

from .models import Checklist, Criterion


class _ReadOnly:
    """Checklists change only through the hub's settings pages (intake.checklists), which make a new
    version when one was used; an edit here would change the questions and weights behind stored scores."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CriterionInline(_ReadOnly, admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ["position", "question", "guidance", "weight", "scale", "allow_not_applicable", "follow_up_answer",
              "follow_up_text"]


@admin.register(Checklist)
class ChecklistAdmin(_ReadOnly, admin.ModelAdmin):
    # Triage checklists are for hub staff; "lay review" checklists hold the questions lay reviewers answer.
    list_display = ["name", "hub", "kind", "version", "is_active"]
    list_filter = ["hub", "kind", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [CriterionInline]
