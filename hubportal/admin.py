from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import (
    EmailLink,
    Hub,
    HubMembership,
    HubOrganisation,
    OutboundEmail,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from .outbox import EmailNotResendable, outbound_email_resend


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "created_at"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    fieldsets = [
        (None, {"fields": ["email", "full_name", "password"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "created_at"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})]
    readonly_fields = ["last_login", "created_at"]


class HubOrganisationInline(admin.TabularInline):
    model = HubOrganisation
    extra = 1


class HubMembershipInline(admin.TabularInline):
    model = HubMembership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Hub)
class HubAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "email", "triage_target_working_days", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [HubOrganisationInline, HubMembershipInline]


@admin.register(EmailLink)
class EmailLinkAdmin(admin.ModelAdmin):
    list_display = ["purpose", "email", "created_at", "expires_at", "used_at"]
    list_filter = ["purpose"]
    search_fields = ["email"]
    # The hash is useless to anyone reading it; still, nobody edits links by hand.
    readonly_fields = [f.name for f in EmailLink._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "template", "to", "status", "attempts", "sent_at"]
    list_filter = ["status", "template"]
    search_fields = ["to", "key"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Send again (failed emails only)")
    def resend(self, request, queryset):
        queued = 0
        for pk in queryset.filter(status=OutboundEmail.Status.FAILED).values_list("pk", flat=True):
            try:
                outbound_email_resend(hub=None, email_id=pk, by=request.user)
            except EmailNotResendable:
                continue  # sent again by someone else meanwhile
            queued += 1
        self.message_user(request, f"{queued} failed email(s) queued again.", messages.SUCCESS)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Administrators see every hub's endpoints; hub leads manage them on their Channels page."""

    list_display = ["name", "hub", "kind", "is_active", "created_at"]
    list_filter = ["kind", "is_active", "hub"]
    search_fields = ["name", "url"]
    # The signing secret is for the hub's leads (their page shows it), not for reading in admin.
    exclude = ["secret"]
    # Read only: addresses are checked (https, outside the service) only by the leads' form.
    readonly_fields = [f.name for f in WebhookEndpoint._meta.fields if f.name != "secret"]

    def has_add_permission(self, request):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "endpoint", "hub", "status", "attempts", "last_status_code", "sent_at"]
    list_filter = ["status", "event", "hub"]
    search_fields = ["key"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False
