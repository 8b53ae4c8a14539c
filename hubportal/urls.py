from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, reverse
from django.views.generic import TemplateView
from django_otp.admin import OTPAdminSite

from . import (
    account_views,
    api_token_views,
    dataprot_views,
    email_views,
    settings_views,
    staff_views,
    views,
    webhook_views,
)

# Admin needs the same second factor as every staff page, and signs in through the staff sign-in.
admin.site.__class__ = OTPAdminSite
admin.site.login = lambda request, extra_context=None: redirect_to_login(
    request.GET.get("next", "/admin/"), reverse("hubportal:staff_sign_in"))
admin.site.site_header = settings.SERVICE_NAME + " administration"
admin.site.site_title = settings.SERVICE_NAME

kernel = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/check-your-email/", views.sign_in_sent, name="sign_in_sent"),
    path("sign-in/link/<str:token>/", views.sign_in_confirm, name="sign_in_confirm"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("staff/sign-in/", staff_views.staff_sign_in, name="staff_sign_in"),
    path("staff/sign-in/code/", staff_views.staff_code, name="staff_code"),
    path("staff/sign-in/set-up/", staff_views.staff_set_up, name="staff_set_up"),
    path("staff/sign-in/password/", staff_views.staff_set_password, name="staff_set_password"),
    path("staff/invitation/link/<str:token>/", staff_views.staff_invitation, name="staff_invitation"),
    # Hub staff (password + TOTP, member of the hub in the URL): emails that did not go.
    path("staff/<slug:hub_slug>/emails/", email_views.failed_emails, name="staff_failed_emails"),
    path("staff/<slug:hub_slug>/emails/<int:email_id>/resend/", email_views.email_resend, name="staff_email_resend"),
    path("staff/<slug:hub_slug>/emails/<int:email_id>/not-delivered/", email_views.email_mark_not_delivered,
         name="staff_email_mark_not_delivered"),
    path("staff/<slug:hub_slug>/emails/<int:email_id>/delivered/", email_views.email_mark_delivered,
         name="staff_email_mark_delivered"),
    # Hub staff: read-only API tokens for the figures API (leads make and revoke them).
    path("staff/<slug:hub_slug>/api-tokens/", api_token_views.api_tokens, name="staff_api_tokens"),
    path("staff/<slug:hub_slug>/api-tokens/new/", api_token_views.api_token_new, name="staff_api_token_new"),
    path("staff/<slug:hub_slug>/api-tokens/<uuid:public_id>/revoke/", api_token_views.api_token_revoke_view,
         name="staff_api_token_revoke"),
    # Channels: a hub's leads manage its webhook endpoints; its staff see deliveries that did not go.
    path("staff/<slug:hub_slug>/channels/", webhook_views.webhooks, name="staff_webhooks"),
    path("staff/<slug:hub_slug>/channels/<uuid:endpoint_id>/test/", webhook_views.webhook_test,
         name="staff_webhook_test"),
    path("staff/<slug:hub_slug>/channels/<uuid:endpoint_id>/switch-off/", webhook_views.webhook_deactivate,
         name="staff_webhook_deactivate"),
    path("staff/<slug:hub_slug>/channels/failed/", webhook_views.webhook_failures, name="staff_webhook_failures"),
    path("staff/<slug:hub_slug>/channels/failed/<uuid:delivery_id>/resend/", webhook_views.webhook_resend,
         name="staff_webhook_resend"),
    path("account/", account_views.account, name="account"),
    path("digests/unsubscribe/<str:token>/", account_views.digest_unsubscribe, name="digest_unsubscribe"),
    # Access: anyone; static information pages.
    path("accessibility/", TemplateView.as_view(template_name="hubportal/accessibility.html"), name="accessibility"),
    # Access: anyone; the retention schedule as each hub set it.
    path("privacy/", dataprot_views.privacy, name="privacy"),
    # Issue 12: a person's data (download, erasure) and the hub's retention and erasure requests.
    path("account/your-data/", dataprot_views.data_export, name="data_export"),
    path("account/your-data/link/<str:token>/", dataprot_views.data_export_link, name="data_export_link"),
    path("account/erase/", dataprot_views.erasure_request, name="erasure_request"),
    # Issue 10: the hub's settings (members read; leads change). Checklists are intake's, under the same path.
    path("staff/<slug:hub_slug>/settings/", settings_views.settings_home, name="settings"),
    path("staff/<slug:hub_slug>/settings/service-levels/", settings_views.service_levels,
         name="settings_service_levels"),
    path("staff/<slug:hub_slug>/settings/team/", settings_views.team, name="settings_team"),
    path("staff/<slug:hub_slug>/settings/team/<int:user_id>/", settings_views.team_member,
         name="settings_team_member"),
    path("staff/<slug:hub_slug>/settings/priorities/", settings_views.priorities, name="settings_priorities"),
    path("staff/<slug:hub_slug>/settings/priorities/<slug:code>/active/", settings_views.priority_active,
         name="settings_priority_active"),
    path("staff/<slug:hub_slug>/settings/who-may-submit/", settings_views.who_may_submit,
         name="settings_who_may_submit"),
    path("staff/<slug:hub_slug>/settings/who-may-submit/<int:pk>/remove/", settings_views.accepted_address_remove,
         name="settings_accepted_address_remove"),
    path("staff/<slug:hub_slug>/settings/audit/", settings_views.audit_log, name="settings_audit"),
    path("staff/<slug:hub_slug>/retention/", dataprot_views.staff_retention, name="staff_retention"),
    path("staff/<slug:hub_slug>/erasure-requests/", dataprot_views.staff_erasure_requests,
         name="staff_erasure_requests"),
    path("staff/<slug:hub_slug>/erasure-requests/<uuid:public_id>/", dataprot_views.staff_erasure_request,
         name="staff_erasure_request"),
]

urlpatterns = [
    path("", include((kernel, "hubportal"))),
    path("healthz", views.healthz, name="healthz"),
    path("", include("intake.urls")),
    path("", include("signposting.urls")),
    path("", include("adoption.urls")),
    path("", include("partners.urls")),
    path("", include("review.urls")),
    path("admin/", admin.site.urls),
]
