from django.urls import path

from . import directory_views, embed, views

app_name = "signposting"

urlpatterns = [
    # Hub staff (staff_view: second factor, member of the hub in the URL).
    path("staff/<slug:hub_slug>/inquiries/<str:reference>/referrals/", views.referral_send, name="referral_send"),
    path("staff/<slug:hub_slug>/inquiries/<str:reference>/referrals/<uuid:public_id>/reroute/",
         views.referral_reroute, name="referral_reroute"),
    path("staff/<slug:hub_slug>/inquiries/<str:reference>/referrals/<uuid:public_id>/close/",
         views.referral_close, name="referral_close"),
    path("staff/<slug:hub_slug>/referrals/", views.hub_referrals, name="hub_referrals"),
    path("staff/<slug:hub_slug>/directory/<uuid:public_id>/retire/", directory_views.partner_retire,
         name="staff_partner_retire"),
    path("staff/<slug:hub_slug>/resources/", directory_views.resources, name="staff_resources"),
    path("staff/<slug:hub_slug>/resources/new/", directory_views.resource_edit, name="staff_resource_new"),
    path("staff/<slug:hub_slug>/resources/<uuid:public_id>/", directory_views.resource_edit,
         name="staff_resource_edit"),
    path("staff/<slug:hub_slug>/routing/", directory_views.routing_rules, name="staff_routing_rules"),
    path("staff/<slug:hub_slug>/routing/new/", directory_views.routing_rule_edit, name="staff_routing_rule_new"),
    path("staff/<slug:hub_slug>/routing/<int:pk>/", directory_views.routing_rule_edit,
         name="staff_routing_rule_edit"),
    path("staff/<slug:hub_slug>/intranet-widget/", embed.embed_settings, name="embed_settings"),
    # Anyone: the hub's widget for a trust intranet, framed only by the sites the hub lists.
    path("embed/<slug:hub_slug>/", embed.embed, name="embed"),
    # Partner contacts (their emailed link for one referral, or signed in for their organisation's).
    path("partner/", views.partner_home, name="partner_home"),
    path("partner/referrals/<uuid:public_id>/", views.partner_referral, name="partner_referral"),
    path("partner/referrals/<uuid:public_id>/link/<str:token>/", views.referral_link, name="referral_link"),
    path("partner/referrals/<uuid:public_id>/link/<str:token>/new/", views.referral_link_renew,
         name="referral_link_renew"),
    path("partner/referrals/<uuid:public_id>/accept/", views.referral_accept, name="referral_accept"),
    path("partner/referrals/<uuid:public_id>/decline/", views.referral_decline, name="referral_decline"),
    path("partner/referrals/<uuid:public_id>/question/", views.referral_question, name="referral_question"),
    path("partner/referrals/<uuid:public_id>/outcome/", views.referral_outcome, name="referral_outcome"),
    path("partner/referrals/<uuid:public_id>/progress/", views.referral_progress, name="referral_progress"),
    path("partner/referrals/<uuid:public_id>/hand-back/", views.referral_hand_back, name="referral_hand_back"),
]
