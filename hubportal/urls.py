from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from . import views

kernel = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/check-your-email/", views.sign_in_sent, name="sign_in_sent"),
    path("sign-in/link/<str:token>/", views.sign_in_confirm, name="sign_in_confirm"),
    path("sign-out/", views.sign_out, name="sign_out"),
    # Access: anyone; static information pages.
    path("accessibility/", TemplateView.as_view(template_name="hubportal/accessibility.html"), name="accessibility"),
    path("privacy/", TemplateView.as_view(template_name="hubportal/privacy.html"), name="privacy"),
]

urlpatterns = [
    path("", include((kernel, "hubportal"))),
    path("healthz", views.healthz, name="healthz"),
    path("", include("intake.urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = settings.SERVICE_NAME + " administration"
admin.site.site_title = settings.SERVICE_NAME
