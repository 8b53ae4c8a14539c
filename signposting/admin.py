from django.contrib import admin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .models import Referral, ReferralQuestion, Resource, RoutingRule

# Web addresses typed without a scheme are taken as https:// (Django 6's default, chosen now).
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class OfferedFilter(admin.SimpleListFilter):
    title = "offered to submitters"
    parameter_name = "offered"

    def lookups(self, request, model_admin):
        return [("yes", "Offered"), ("review", "Past its review date"), ("deadline", "Past its deadline")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "yes":
            return queryset.filter(is_active=True, review_due_on__gte=today).filter(
                Q(deadline__isnull=True) | Q(deadline__gte=today))
        if self.value() == "review":
            return queryset.filter(review_due_on__lt=today)
        if self.value() == "deadline":
            return queryset.filter(deadline__lt=today)
        return queryset


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["title", "kind", "hub", "deadline", "review_due_on", "is_active", "offered"]
    list_filter = [OfferedFilter, "kind", "hub", "is_active"]
    search_fields = ["title", "summary", "provider", "url"]
    list_select_related = ["hub"]
    readonly_fields = ["public_id", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "url", "summary", "kind", "provider", "hub", "is_active"]}),
        ("Tags", {"fields": ["support_needs", "themes", "innovation_types", "stages"]}),
        ("Dates", {"fields": ["deadline", "review_due_on", "last_reviewed_on", "public_id", "created_at",
                              "updated_at"]}),
    ]

    @admin.display(boolean=True, description="Offered")
    def offered(self, resource):
        return resource.is_offered()


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "hub", "action", "partner", "resource", "weight", "is_active"]
    list_filter = ["hub", "action", "is_active"]
    search_fields = ["name", "partner__name", "resource__title"]
    list_select_related = ["hub", "partner", "resource"]
    autocomplete_fields = ["partner", "resource"]
    fieldsets = [
        (None, {"fields": ["hub", "name", "action", "weight", "is_active"]}),
        ("Suggest, boost or exclude (one of)", {"fields": ["partner", "resource"]}),
        ("When the inquiry matches (empty lists match anything)",
         {"fields": ["support_needs", "themes", "innovation_types", "stages"]}),
    ]


class ReferralQuestionInline(admin.TabularInline):
    model = ReferralQuestion
    extra = 0
    can_delete = False
    readonly_fields = ["asked_by_name", "asked_by_email", "body", "asked_at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    """Read-only: referrals change only through the services (which write the timeline and emails)."""

    list_display = ["inquiry", "partner", "status", "sent_at", "accepted_at", "declined_at", "completed_at"]
    list_filter = ["status", "inquiry__hub", "decline_reason", "outcome"]
    search_fields = ["inquiry__reference", "partner__name"]
    list_select_related = ["inquiry", "partner"]
    date_hierarchy = "sent_at"
    inlines = [ReferralQuestionInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Referral._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
