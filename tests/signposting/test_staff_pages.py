"""Hub staff's referral pages: the triage panel, sending, re-routing, closing, the hub's referral list."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from hubportal.models import HubMembership
from intake.models import Inquiry
from signposting import services
from signposting.models import Referral
from signposting.selectors import triage_panel
from tests.conftest import sign_in_staff
from tests.factories import SubmittedFactory

SEND_URL = "/staff/dorset/inquiries/DOR-2026-00001/referrals/"


def _membership(user):
    return HubMembership.objects.select_related("hub").get(user=user)


@pytest.mark.django_db
def test_the_panel_suggests_partners_with_reasons_and_offers_to_send(inquiry, partner, partner_contact,
                                                                     other_partner, hub_lead):
    panel = triage_panel(inquiry=inquiry, membership=_membership(hub_lead))
    assert panel.can_refer
    assert [s.match.name for s in panel.suggestions] == ["Health Innovation Wessex", "Bournemouth University"]
    assert panel.send_url == SEND_URL
    html = render_to_string("signposting/_triage_panel.html",
                            {"inquiry": inquiry, "membership": _membership(hub_lead), "panel": panel})
    assert "Partners and referrals" in html
    assert f'value="{partner.public_id}"' in html
    assert "Helps with Evaluation and evidence" in html
    assert 'name="referral-partners"' in html and 'name="referral-message"' in html
    assert "Send referrals" in html
    assert "This inquiry has not been referred yet" in html


@pytest.mark.django_db
def test_without_consent_the_panel_says_so_and_offers_no_send(inquiry, partner, partner_contact, hub_lead):
    Inquiry.objects.filter(pk=inquiry.pk).update(consent_share_with_partners=False)
    inquiry.refresh_from_db()
    panel = triage_panel(inquiry=inquiry, membership=_membership(hub_lead))
    assert not panel.can_refer and panel.form is None
    html = render_to_string("signposting/_triage_panel.html",
                            {"inquiry": inquiry, "membership": _membership(hub_lead), "panel": panel})
    assert "did not agree to share their inquiry with partner organisations" in html
    assert "Send referrals" not in html and "<form" not in html


@pytest.mark.django_db
def test_the_panel_refuses_an_inquiry_of_another_hub(inquiry, other_hub_lead):
    with pytest.raises(PermissionError):
        triage_panel(inquiry=inquiry, membership=_membership(other_hub_lead))


@pytest.mark.django_db
def test_the_referrals_page_shows_the_panel(lead_client, inquiry, partner, partner_contact):
    response = lead_client.get(SEND_URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Refer to partners: Virtual ward pilot" in body and "Health Innovation Wessex" in body


@pytest.mark.django_db
def test_staff_send_suggested_and_other_partners_with_a_message_in_one_step(
        lead_client, inquiry, partner, partner_contact, hub, hub_lead):
    from tests.partners.factories import PartnerContactFactory, PartnerFactory

    council = PartnerFactory(name="Dorset Council", kind="council", hubs=[hub])
    PartnerContactFactory(partner=council)
    response = lead_client.post(SEND_URL, {"referral-partners": [str(partner.public_id)],
                                           "referral-other_partner": str(council.public_id),
                                           "referral-message": "  Could you help evaluate the pilot?  "})
    assert response.status_code == 302
    assert response["Location"] == "/staff/dorset/inquiries/DOR-2026-00001/"
    referrals = list(Referral.objects.order_by("pk"))
    assert [r.partner for r in referrals] == [partner, council]
    assert all(r.message == "Could you help evaluate the pilot?" and r.sent_by == hub_lead for r in referrals)
    assert referrals[0].reasons[0] == "Helps with Evaluation and evidence"
    assert referrals[1].reasons == []


@pytest.mark.django_db
def test_sending_with_no_partner_chosen_shows_an_error_and_sends_nothing(lead_client, inquiry, partner,
                                                                         partner_contact):
    response = lead_client.post(SEND_URL, {"referral-message": "Please help"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in body
    assert "Select at least one partner to refer the inquiry to" in body
    assert 'href="#id_referral-partners_0"' in body and 'id="id_referral-partners_0"' in body
    assert "Please help" in body
    assert Referral.objects.count() == 0


@pytest.mark.django_db
def test_sending_without_a_message_shows_an_error_and_keeps_the_choice(lead_client, inquiry, partner,
                                                                       partner_contact):
    response = lead_client.post(SEND_URL, {"referral-partners": [str(partner.public_id)], "referral-message": ""})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Enter a message to the partner" in body
    assert f'value="{partner.public_id}" aria-describedby="id_referral-partners_0-hint" checked' in body
    assert Referral.objects.count() == 0


@pytest.mark.django_db
def test_a_partner_the_service_refuses_is_named_and_nothing_is_sent(lead_client, inquiry, partner, partner_contact,
                                                                    other_partner):
    # Bournemouth University is suggested but has nobody to receive referrals.
    response = lead_client.post(SEND_URL, {"referral-partners": [str(partner.public_id), str(other_partner.public_id)],
                                           "referral-message": "Please help"})
    assert response.status_code == 400
    assert ("Nothing was sent. Bournemouth University has no contact who receives referrals"
            in response.content.decode())
    assert Referral.objects.count() == 0


@pytest.mark.django_db
def test_a_made_up_partner_id_is_refused(lead_client, inquiry, partner, partner_contact):
    response = lead_client.post(SEND_URL, {"referral-partners": ["00000000-0000-0000-0000-000000000000"],
                                           "referral-message": "Please help"})
    assert response.status_code == 400
    assert "Select partners from the list of suggestions" in response.content.decode()
    assert Referral.objects.count() == 0


@pytest.mark.django_db
def test_without_consent_a_post_sends_nothing(lead_client, inquiry, partner, partner_contact):
    Inquiry.objects.filter(pk=inquiry.pk).update(consent_share_with_partners=False)
    response = lead_client.post(SEND_URL, {"referral-partners": [str(partner.public_id)],
                                           "referral-message": "Please help"})
    assert response.status_code == 302
    assert Referral.objects.count() == 0


@pytest.mark.django_db
def test_staff_of_another_hub_get_404_on_every_referral_page(other_lead_client, inquiry, partner, partner_contact,
                                                             hub_lead):
    referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    services.referral_decline(referral=referral, contact=partner_contact, reason="no_capacity")
    for method, url in [("get", SEND_URL), ("post", SEND_URL),
                        ("get", f"{SEND_URL}{referral.public_id}/reroute/"),
                        ("post", f"{SEND_URL}{referral.public_id}/reroute/"),
                        ("post", f"{SEND_URL}{referral.public_id}/close/"),
                        ("get", "/staff/dorset/referrals/")]:
        response = getattr(other_lead_client, method)(url, {"referral-message": "x", "message": "x"})
        assert response.status_code == 404, (method, url)
        assert "Virtual ward pilot" not in response.content.decode()
    assert Referral.objects.count() == 1


@pytest.mark.django_db
def test_their_own_hubs_url_with_another_hubs_reference_is_404(other_lead_client, inquiry):
    assert other_lead_client.get("/staff/manchester/inquiries/DOR-2026-00001/referrals/").status_code == 404


@pytest.mark.django_db
def test_a_draft_is_not_found(lead_client, submitter, hub):
    SubmittedFactory(submitter=submitter, hub=hub, reference="DOR-2026-00077", status="draft")
    assert lead_client.get("/staff/dorset/inquiries/DOR-2026-00077/referrals/").status_code == 404


@pytest.mark.django_db
def test_anonymous_visitors_and_submitters_are_sent_to_staff_sign_in(client, submitter, inquiry):
    for c in (client,):
        for method, url in [("get", SEND_URL), ("post", SEND_URL), ("get", "/staff/dorset/referrals/")]:
            response = getattr(c, method)(url)
            assert response.status_code == 302
            assert response["Location"].startswith("/staff/sign-in/?next=")
    client.force_login(submitter)  # signed in by email link: no second factor
    assert client.get(SEND_URL)["Location"].startswith("/staff/sign-in/")


@pytest.mark.django_db
def test_a_declined_referral_is_rerouted_from_its_page(lead_client, inquiry, partner, partner_contact,
                                                       other_partner, other_partner_contact, hub_lead):
    referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    services.referral_decline(referral=referral, contact=partner_contact, reason="no_capacity")
    panel_html = lead_client.get(SEND_URL).content.decode()
    reroute_url = f"{SEND_URL}{referral.public_id}/reroute/"
    assert f'href="{reroute_url}"' in panel_html

    page = lead_client.get(reroute_url).content.decode()
    assert "Bournemouth University" in page and 'value="' + str(partner.public_id) not in page

    empty = lead_client.post(reroute_url, {"message": "Over to you"})
    assert empty.status_code == 400
    assert "Select the partner to send the inquiry to instead" in empty.content.decode()
    assert Referral.objects.count() == 1

    done = lead_client.post(reroute_url, {"partner": str(other_partner.public_id), "message": "Over to you"})
    assert done.status_code == 302
    new = Referral.objects.get(partner=other_partner)
    assert new.rerouted_from == referral
    again = lead_client.get(reroute_url)
    assert again.status_code == 302  # re-routed already
    assert Referral.objects.count() == 2


@pytest.mark.django_db
def test_staff_close_an_open_referral(lead_client, inquiry, partner, partner_contact, hub_lead):
    referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    response = lead_client.post(f"{SEND_URL}{referral.public_id}/close/")
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.CLOSED and referral.close_reason == "hub_closed"


@pytest.mark.django_db
def test_questions_from_partners_show_on_the_panel_with_a_reply_link(lead_client, inquiry, partner, partner_contact,
                                                                     hub_lead):
    referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    services.referral_ask(referral=referral, contact=partner_contact, question="Who is the clinical lead?")
    body = lead_client.get(SEND_URL).content.decode()
    assert "Who is the clinical lead?" in body
    assert 'href="mailto:priya@wessex.example.org?subject=DOR-2026-00001"' in body


@pytest.mark.django_db
def test_the_hubs_referral_list_is_paginated_filtered_and_bounded(lead_client, hub, submitter, hub_lead, partner,
                                                                  partner_contact, other_hub, other_hub_lead,
                                                                  django_assert_max_num_queries):
    from tests.partners.factories import PartnerContactFactory, PartnerFactory

    manchester_partner = PartnerFactory(name="Health Innovation Manchester", hubs=[other_hub])
    PartnerContactFactory(partner=manchester_partner)
    manchester_inquiry = SubmittedFactory(submitter=submitter, hub=other_hub, reference="MAN-2026-00001")
    services.referral_send(inquiry=manchester_inquiry, partner=manchester_partner, by=other_hub_lead)

    def make(count, start):
        for n in range(start, start + count):
            inquiry = SubmittedFactory(submitter=submitter, hub=hub, reference=f"DOR-2026-{n:05d}")
            services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)

    make(2, 100)
    with django_assert_max_num_queries(12) as small:
        assert lead_client.get("/staff/dorset/referrals/").status_code == 200
    make(25, 200)
    with django_assert_max_num_queries(12) as large:
        body = lead_client.get("/staff/dorset/referrals/").content.decode()
    assert len(small.captured_queries) == len(large.captured_queries)
    assert "27 referrals" in body and "MAN-2026-00001" not in body
    assert body.count("/\">DOR-2026-") == 20
    filtered = lead_client.get("/staff/dorset/referrals/?status=declined").content.decode()
    assert "No referrals with this status yet" in filtered
    bad = lead_client.get("/staff/dorset/referrals/?status=nonsense")
    assert bad.status_code == 200 and "27 referrals" in bad.content.decode()


@pytest.mark.django_db
def test_a_hub_member_may_send_referrals_too(client, inquiry, partner, partner_contact, hub_member):
    sign_in_staff(client, hub_member)
    response = client.post(SEND_URL, {"referral-partners": [str(partner.public_id)], "referral-message": "Help"})
    assert response.status_code == 302
    assert Referral.objects.get().sent_by == hub_member


@pytest.mark.django_db
def test_the_referral_send_url_is_the_one_intake_posts_to(inquiry):
    assert reverse("signposting:referral_send", args=["dorset", "DOR-2026-00001"]) == SEND_URL


@pytest.mark.django_db
def test_the_panel_issues_the_same_queries_however_many_referrals_and_questions(inquiry, hub, hub_lead, partner,
                                                                                partner_contact):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.partners.factories import (
        PartnerContactFactory,
        PartnerFactory,
        PartnerServiceFactory,
    )

    def render():
        with CaptureQueriesContext(connection) as queries:
            panel = triage_panel(inquiry=inquiry, membership=_membership(hub_lead))
            render_to_string("signposting/_triage_panel.html",
                             {"inquiry": inquiry, "membership": _membership(hub_lead), "panel": panel})
        return len(queries)

    referral = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    services.referral_ask(referral=referral, contact=partner_contact, question="When?")
    # Answered, so the contacts who answered are read here too (one query for all, when there are any).
    services.referral_decline(referral=referral, contact=partner_contact, reason="out_of_scope")
    small = render()
    for n in range(6):
        other = PartnerFactory(name=f"Partner {n}", hubs=[hub])
        PartnerServiceFactory(partner=other, support_needs=["evaluation"])
        contact = PartnerContactFactory(partner=other)
        sent = services.referral_send(inquiry=inquiry, partner=other, by=hub_lead)
        services.referral_ask(referral=sent, contact=contact, question="Why?")
        services.referral_decline(referral=sent, contact=contact, reason="no_capacity")
    assert render() == small


@pytest.mark.django_db
def test_the_panel_names_who_answered_and_what_was_re_routed_from_and_to(inquiry, partner, partner_contact,
                                                                         other_partner, hub_lead):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.partners.factories import PartnerContactFactory

    PartnerContactFactory(partner=other_partner)
    first = services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    services.referral_decline(referral=first, contact=partner_contact, reason="no_capacity")
    second = services.referral_reroute(referral=first, partner=other_partner, by=hub_lead)
    with CaptureQueriesContext(connection) as queries:
        panel = triage_panel(inquiry=inquiry, membership=_membership(hub_lead))
        html = render_to_string("signposting/_triage_panel.html",
                                {"inquiry": inquiry, "membership": _membership(hub_lead), "panel": panel})
    by_pk = {r.pk: r for r in panel.referrals}
    assert by_pk[first.pk].declined_by == partner_contact and by_pk[first.pk].rerouted_to.pk == second.pk
    assert by_pk[second.pk].rerouted_from.pk == first.pk and by_pk[second.pk].declined_by is None
    assert f"by {partner_contact.name}" in html
    assert f"Re-routed to {other_partner.name}" in html and f"instead of {partner.name}" in html
    # Read from the referrals already fetched: no query per referral for contacts or re-routes.
    assert not [q for q in queries.captured_queries
                if '"signposting_referral"."id" =' in q["sql"] or '"partners_partnercontact"."id" =' in q["sql"]]
