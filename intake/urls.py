from django.urls import path

from . import views

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
]
