from django.urls import path

from . import staff_views, views

app_name = "partners"

urlpatterns = [
    # Partner contacts' sign-in by emailed link.
    path("partner/sign-in/", views.sign_in, name="sign_in"),
    path("partner/sign-in/check-your-email/", views.sign_in_sent, name="sign_in_sent"),
    path("partner/sign-in/link/<str:token>/", views.sign_in_confirm, name="sign_in_confirm"),
    path("partner/sign-out/", views.sign_out, name="sign_out"),
    path("partner/weekly-email/", views.digest_choice, name="digest_choice"),
    path("partner/organisations/<uuid:public_id>/suggest-changes/", views.proposal_new, name="proposal_new"),
    # Hub staff: the directory (staff_view: second factor, member of the hub in the URL).
    path("staff/<slug:hub_slug>/directory/", staff_views.directory, name="staff_directory"),
    path("staff/<slug:hub_slug>/directory/new/", staff_views.partner_new, name="staff_partner_new"),
    path("staff/<slug:hub_slug>/directory/<uuid:public_id>/", staff_views.partner_detail, name="staff_partner"),
    path("staff/<slug:hub_slug>/directory/<uuid:public_id>/edit/", staff_views.partner_edit,
         name="staff_partner_edit"),
    path("staff/<slug:hub_slug>/directory/<uuid:public_id>/services/new/", staff_views.service_edit,
         name="staff_service_new"),
    path("staff/<slug:hub_slug>/directory/<uuid:public_id>/services/<uuid:service_id>/", staff_views.service_edit,
         name="staff_service_edit"),
    path("staff/<slug:hub_slug>/directory/<uuid:public_id>/contacts/new/", staff_views.contact_edit,
         name="staff_contact_new"),
    path("staff/<slug:hub_slug>/directory/<uuid:public_id>/contacts/<uuid:contact_id>/", staff_views.contact_edit,
         name="staff_contact_edit"),
    path("staff/<slug:hub_slug>/directory/<uuid:public_id>/proposals/<uuid:proposal_id>/",
         staff_views.proposal_decide, name="staff_proposal"),
    # Open Referral UK (HSDS 3.0 API) export, at the paths the ORUK API specification names.
    path("oruk/", views.oruk_index, name="oruk_index"),
    path("oruk/organizations", views.oruk_organizations, name="oruk_organizations"),
    path("oruk/organizations/<uuid:public_id>", views.oruk_organization, name="oruk_organization"),
    path("oruk/services", views.oruk_services, name="oruk_services"),
    path("oruk/services/<uuid:public_id>", views.oruk_service, name="oruk_service"),
    path("oruk/taxonomies", views.oruk_taxonomies, name="oruk_taxonomies"),
    path("oruk/taxonomies/<slug:taxonomy_id>", views.oruk_taxonomy, name="oruk_taxonomy"),
    path("oruk/taxonomy_terms", views.oruk_taxonomy_terms, name="oruk_taxonomy_terms"),
    path("oruk/taxonomy_terms/<str:term_id>", views.oruk_taxonomy_term, name="oruk_taxonomy_term"),
]
