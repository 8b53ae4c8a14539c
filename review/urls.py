from django.urls import path

from . import views

app_name = "review"

urlpatterns = [
    # Hub staff (staff_view: second factor, member of the hub in the URL).
    path("staff/<slug:hub_slug>/lay-reviewers/", views.reviewers, name="reviewers"),
    path("staff/<slug:hub_slug>/lay-reviewers/<uuid:public_id>/", views.reviewer_edit, name="reviewer_edit"),
    path("staff/<slug:hub_slug>/inquiries/<str:reference>/lay-review/", views.review_request, name="request"),
    path("staff/<slug:hub_slug>/inquiries/<str:reference>/lay-review/<uuid:public_id>/new-link/",
         views.review_resend, name="resend"),
    # Lay reviewers (their emailed link for one review request).
    path("lay-review/link/<str:token>/", views.link, name="link"),
    path("lay-review/<uuid:public_id>/", views.review, name="review"),
    path("lay-review/<uuid:public_id>/cannot-review/", views.decline, name="decline"),
    path("lay-review/<uuid:public_id>/thanks/", views.thanks, name="thanks"),
]
