from django.urls import path

from . import report_views, views

app_name = "adoption"

urlpatterns = [
    # Hub staff (staff_view: second factor, member of the hub in the URL).
    path("staff/<slug:hub_slug>/stages/", views.board, name="board"),
    path("staff/<slug:hub_slug>/stages/settings/", views.adoption_settings, name="settings"),
    path("staff/<slug:hub_slug>/cases/<str:reference>/", views.case, name="case"),
    path("staff/<slug:hub_slug>/cases/<str:reference>/decide/<slug:decision>/", views.case_decide,
         name="case_decide"),
    path("staff/<slug:hub_slug>/cases/<str:reference>/sponsor/", views.case_sponsor, name="case_sponsor"),
    path("staff/<slug:hub_slug>/cases/<str:reference>/milestones/", views.milestone_add, name="milestone_add"),
    path("staff/<slug:hub_slug>/cases/<str:reference>/milestones/<uuid:public_id>/done/", views.milestone_done,
         name="milestone_done"),
    path("staff/<slug:hub_slug>/cases/<str:reference>/benefits/", views.benefit_add, name="benefit_add"),
    path("staff/<slug:hub_slug>/cases/<str:reference>/follow-ups/<uuid:public_id>/", views.follow_up_actuals,
         name="follow_up_actuals"),
    # The value report (issue 11, part B): the hub's, and a network lead's across their hubs.
    path("staff/<slug:hub_slug>/value-report/", report_views.hub_value_report, name="value_report"),
    path("staff/<slug:hub_slug>/value-report.csv", report_views.hub_value_report_csv, name="value_report_csv"),
    path("staff/<slug:hub_slug>/value-report.pdf", report_views.hub_value_report_pdf, name="value_report_pdf"),
    path("staff/<slug:hub_slug>/value-report/narrative/", report_views.hub_value_report_narrative,
         name="value_report_narrative"),
    path("network/value-report/", report_views.network_report, name="network_report"),
    path("network/value-report.csv", report_views.network_report_csv, name="network_report_csv"),
    path("network/value-report.pdf", report_views.network_report_pdf, name="network_report_pdf"),
    # The sponsor, by the emailed link for one follow-up.
    path("benefits/link/<str:token>/", views.benefit_link, name="benefit_link"),
    path("benefits/<uuid:public_id>/", views.benefit_actuals, name="benefit_actuals"),
    # The submitter (signed in by emailed link).
    path("inquiries/<uuid:public_id>/survey/", views.survey, name="survey"),
]
