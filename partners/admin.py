import io

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from .directory import (
    COLUMNS,
    DirectoryImportError,
    decode_upload,
    directory_export,
    directory_import,
)
from .forms import DirectoryImportForm
from .models import Partner, PartnerContact, PartnerService

# Web addresses typed without a scheme are taken as https:// (Django 6's default, chosen now).
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class PartnerServiceInline(admin.StackedInline):
    formfield_overrides = HTTPS_URLS
    model = PartnerService
    extra = 0
    show_change_link = True
    fields = ["name", "status", "description", "url", "email", "support_needs", "themes", "innovation_types",
              "stages", "eligibility_description", "area_served", "assured_on", "assurer_email"]


class PartnerContactInline(admin.TabularInline):
    model = PartnerContact
    extra = 1
    fields = ["name", "title", "email", "phone", "receives_referrals", "is_lead", "is_active"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["name", "kind", "hub_codes", "serves_all_hubs", "is_active", "assured_on"]
    list_filter = ["kind", "is_active", "serves_all_hubs", "hubs"]
    search_fields = ["name", "alternate_name", "email"]
    filter_horizontal = ["hubs"]
    readonly_fields = ["public_id", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "alternate_name", "kind", "description", "email", "website", "is_active"]}),
        ("Hubs served", {"fields": ["hubs", "serves_all_hubs"]}),
        ("Record checks (Open Referral UK)", {"fields": ["assured_on", "assurer_email", "public_id",
                                                        "created_at", "updated_at"]}),
    ]
    inlines = [PartnerServiceInline, PartnerContactInline]
    actions = ["make_inactive"]
    change_list_template = "partners/admin/partner_change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("hubs")

    @admin.display(description="Hubs")
    def hub_codes(self, partner):
        return ", ".join(sorted(h.code for h in partner.hubs.all())) or "-"

    def get_deleted_objects(self, objs, request):
        # A partner with referrals is never deleted (Referral.partner is PROTECT). Say that it is the
        # referrals that stop it, rather than a missing permission to delete referrals.
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            perms_needed = set()
        return deleted, model_count, perms_needed, protected

    @admin.action(description="Make the selected partners inactive (keeps their referrals)")
    def make_inactive(self, request, queryset):
        count = queryset.update(is_active=False, updated_at=timezone.now())
        self.message_user(request, f"{count} partner(s) made inactive.", messages.SUCCESS)

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="partners_partner_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="partners_partner_export"),
        ] + super().get_urls()

    # Access: administrators who may add and change partners.
    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = DirectoryImportForm(request.POST or None, request.FILES or None)
        errors, status = [], 200
        if request.method == "POST" and form.is_valid():
            try:
                result = directory_import(text=decode_upload(form.cleaned_data["file"]))
                errors = result.errors
            except DirectoryImportError as problem:
                errors = problem.errors
            if not errors:
                self.message_user(request, (
                    f"Directory imported: {result.partners_created} organisations added, "
                    f"{result.partners_updated} updated; {result.services_created} services added, "
                    f"{result.services_updated} updated; {result.contacts_created} contacts added."),
                    messages.SUCCESS)
                return redirect(reverse("admin:partners_partner_changelist"))
            status = 400
        elif form.errors:
            status = 400
        context = {**self.admin_site.each_context(request), "opts": self.opts, "form": form,
                   "errors": errors, "columns": COLUMNS, "title": "Import the directory from CSV"}
        return TemplateResponse(request, "partners/admin/directory_import.html", context, status=status)

    # Access: administrators who may view partners.
    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        stream = io.StringIO()
        directory_export(stream)
        response = HttpResponse(stream.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="directory-{timezone.localdate():%Y-%m-%d}.csv"'
        return response


@admin.register(PartnerService)
class PartnerServiceAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["name", "partner", "status", "assured_on"]
    list_filter = ["status", "partner__kind"]
    search_fields = ["name", "partner__name", "description"]
    list_select_related = ["partner"]
    autocomplete_fields = ["partner"]
    readonly_fields = ["public_id", "created_at", "updated_at"]


@admin.register(PartnerContact)
class PartnerContactAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "partner", "receives_referrals", "is_lead", "is_active"]
    list_filter = ["receives_referrals", "is_lead", "is_active"]
    search_fields = ["name", "email", "partner__name"]
    list_select_related = ["partner"]
    autocomplete_fields = ["partner"]
    readonly_fields = ["public_id", "created_at"]
