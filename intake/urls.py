from django.urls import path

from . import metrics_views, staff_views, views

app_name = "intake"

urlpatterns = [
    path("", views.start, name="start"),
    path("inquiries/", views.inquiry_list, name="inquiry_list"),
    path("inquiries/new/", views.inquiry_new, name="inquiry_new"),
    path("inquiries/<uuid:public_id>/", views.inquiry_detail, name="inquiry_detail"),
    path("inquiries/<uuid:public_id>/questions/<slug:slug>/", views.inquiry_step, name="inquiry_step"),
    path("inquiries/<uuid:public_id>/check-your-answers/", views.inquiry_check, name="inquiry_check"),
    path("inquiries/<uuid:public_id>/sent/", views.inquiry_submitted, name="inquiry_submitted"),
    path("inquiries/<uuid:public_id>/delete/", views.inquiry_delete, name="inquiry_delete"),
    path("attachments/<uuid:public_id>/", views.attachment_download, name="attachment_download"),
    path("attachments/<uuid:public_id>/remove/", views.attachment_remove, name="attachment_remove"),
    path("inquiries/<uuid:public_id>/answer/", views.inquiry_answer, name="inquiry_answer"),
    path("inquiries/<uuid:public_id>/withdraw-consent/", views.inquiry_withdraw_consent,
         name="inquiry_withdraw_consent"),
    # Hub staff (password + TOTP, member of the hub in the URL).
    path("staff/", staff_views.staff_home, name="staff_home"),
    path("staff/<slug:hub_slug>/", staff_views.dashboard, name="staff_dashboard"),
    path("staff/<slug:hub_slug>/inquiries/", staff_views.inquiry_list, name="staff_inquiry_list"),
    path("staff/<slug:hub_slug>/inquiries/export.csv", staff_views.inquiry_export, name="staff_inquiry_export"),
    path("staff/<slug:hub_slug>/inquiries/bulk/", staff_views.inquiry_bulk, name="staff_inquiry_bulk"),
    path("staff/<slug:hub_slug>/saved-searches/", staff_views.saved_search_create, name="staff_saved_search_create"),
    path("staff/<slug:hub_slug>/saved-searches/<int:pk>/delete/", staff_views.saved_search_delete,
         name="staff_saved_search_delete"),
    path("staff/<slug:hub_slug>/inquiries/<str:reference>/", staff_views.inquiry_detail, name="staff_inquiry"),
    path("staff/<slug:hub_slug>/inquiries/<str:reference>/attachments/<uuid:public_id>/",
         staff_views.attachment_download, name="staff_attachment_download"),
    path("staff/<slug:hub_slug>/inquiries/<str:reference>/assign/", staff_views.inquiry_assign,
         name="staff_inquiry_assign"),
    path("staff/<slug:hub_slug>/inquiries/<str:reference>/notes/", staff_views.inquiry_note,
         name="staff_inquiry_note"),
    path("staff/<slug:hub_slug>/inquiries/<str:reference>/decide/<slug:decision>/", staff_views.inquiry_decide,
         name="staff_inquiry_decide"),
    path("staff/<slug:hub_slug>/inquiries/<str:reference>/assess/<slug:checklist_slug>/",
         staff_views.inquiry_assess, name="staff_inquiry_assess"),
    path("staff/<slug:hub_slug>/metrics/", metrics_views.metrics, name="staff_metrics"),
    path("staff/<slug:hub_slug>/metrics.csv", metrics_views.metrics_csv, name="staff_metrics_csv"),
]
