from django.contrib import admin

from .models import AdoptionSettings, Case, GateDecision, Stage


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "hub", "position", "entry_checklist", "exit_checklist", "starts_benefit_follow_ups"]
    list_filter = ["hub"]
    ordering = ["hub", "position"]


@admin.register(AdoptionSettings)
class AdoptionSettingsAdmin(admin.ModelAdmin):
    list_display = ["hub", "benefit_follow_up_months", "benefit_reminder_working_days", "survey_reminder_working_days"]


class GateDecisionInline(admin.TabularInline):
    model = GateDecision
    extra = 0
    can_delete = False
    readonly_fields = ["decision", "from_stage", "to_stage", "decided_by", "rationale", "review_on", "barrier",
                       "outcome", "decided_at"]
    fields = readonly_fields


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases change through gate decisions on the staff pages, never here."""

    list_display = ["inquiry", "hub", "stage", "status", "stage_entered_at"]
    list_filter = ["hub", "status"]
    inlines = [GateDecisionInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
