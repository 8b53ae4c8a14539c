from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import (
    EmailLink,
    Hub,
    HubMembership,
    HubOrganisation,
    JobHeartbeat,
    NetworkLead,
    OutboundEmail,
    Reminder,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from .outbox import (
    STUCK_AFTER,
    EmailNotResendable,
    EmailNotStuck,
    outbound_email_mark_delivered,
    outbound_email_mark_not_delivered,
    outbound_email_resend,
)
from .permissions import is_staff_account
from .reminders import FAILED as REMINDER_FAILED
from .reminders import reminder_retry
from .services import staff_device_reset, staff_invite


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
    actions = ["invite", "reset_authenticator"]

    @admin.action(description="Email a staff invitation (set a password and an authenticator)")
    def invite(self, request, queryset):
        self._for_staff(request, queryset, staff_invite, "invitation(s) emailed")

    @admin.action(description="Reset the authenticator and email a new invitation")
    def reset_authenticator(self, request, queryset):
        self._for_staff(request, queryset, staff_device_reset, "authenticator(s) reset and invitation(s) emailed")

    def _for_staff(self, request, queryset, service, done):
        staff = [user for user in queryset if user.is_active and is_staff_account(user)]
        for user in staff:
            service(user=user, by=request.user)
        self.message_user(request, f"{len(staff)} {done}.", messages.SUCCESS)
        if len(staff) < len(queryset):
            self.message_user(request, f"{len(queryset) - len(staff)} skipped: not active hub staff or "
                                       f"administrators.", messages.WARNING)


# Authenticators are set up only by their owner, through an emailed invitation, and reset only by the
# action above: django-otp's own admin would let an administrator add a device or read its key (and
# so take the account over with its password). Here they can only be seen.
try:
    admin.site.unregister(TOTPDevice)
except NotRegistered:
    pass


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__email"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


@admin.register(NetworkLead)
class NetworkLeadAdmin(admin.ModelAdmin):
    """Administrators make network leads (then invite them from the user's page, like any staff)."""

    list_display = ["user", "network_name", "created_at"]
    filter_horizontal = ["hubs"]
    raw_id_fields = ["user"]


@admin.register(EmailLink)
class EmailLinkAdmin(admin.ModelAdmin):
    list_display = ["purpose", "email", "created_at", "expires_at", "used_at"]
    list_filter = ["purpose"]
    search_fields = ["email"]
    # The hash is useless to anyone reading it; still, nobody edits links by hand.
    readonly_fields = [f.name for f in EmailLink._meta.fields]

    def has_add_permission(self, request):
        return False


class NeedsAttentionFilter(admin.SimpleListFilter):
    """Failed, or stuck in `sending`: the hub pages show a hub's; here administrators see every one,
    including those of no hub (sign-in links), which no hub's staff can see."""

    title = "needs a person"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("yes", "Failed or stuck while sending"), ("no_hub", "Failed or stuck, of no hub")]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no_hub"):
            return queryset
        stuck_before = timezone.now() - STUCK_AFTER
        queryset = queryset.filter(Q(status=OutboundEmail.Status.FAILED)
                                   | Q(status=OutboundEmail.Status.SENDING, claimed_at__lt=stuck_before))
        return queryset.filter(hub__isnull=True) if self.value() == "no_hub" else queryset


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "template", "to", "hub", "status", "attempts", "sent_at"]
    list_filter = [NeedsAttentionFilter, "status", "template"]
    search_fields = ["to", "key"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    actions = ["resend", "mark_not_delivered", "mark_delivered"]

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

    def _resolve_stuck(self, request, queryset, service, done):
        marked = 0
        for pk in queryset.filter(status=OutboundEmail.Status.SENDING).values_list("pk", flat=True):
            try:
                service(hub=None, email_id=pk, by=request.user)
            except EmailNotStuck:
                continue  # not stuck long enough, or someone marked it meanwhile
            marked += 1
        self.message_user(request, f"{marked} stuck email(s) marked {done}.", messages.SUCCESS)

    @admin.action(description="I checked: not delivered (stuck emails only; then send again)")
    def mark_not_delivered(self, request, queryset):
        self._resolve_stuck(request, queryset, outbound_email_mark_not_delivered, "not delivered")

    @admin.action(description="I checked: it was delivered (stuck emails only)")
    def mark_delivered(self, request, queryset):
        self._resolve_stuck(request, queryset, outbound_email_mark_delivered, "delivered")


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """Reminders, and above all the failed ones (outcome "failed", with the handler's error)."""

    list_display = ["due_at", "kind", "stage", "subject", "hub", "done_at", "outcome"]
    list_filter = ["outcome", "kind", "stage"]
    search_fields = ["subject"]
    readonly_fields = [f.name for f in Reminder._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Try again (failed reminders only)")
    def retry(self, request, queryset):
        retried = sum(reminder_retry(reminder_id=pk)
                      for pk in queryset.filter(outcome=REMINDER_FAILED).values_list("pk", flat=True))
        self.message_user(request, f"{retried} failed reminder(s) will be sent by the next sweep.", messages.SUCCESS)


@admin.register(JobHeartbeat)
class JobHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "beat_at"]
    readonly_fields = ["name", "beat_at"]

    def has_add_permission(self, request):
        return False


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
