"""The directory on hub staff pages (issue 10): partners, services, contacts, proposals from partners,
resources with review reminders, routing rules, and each suggestion's eligibility on the triage panel."""

import datetime as dt

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from hubportal.models import HubMembership, OutboundEmail, Reminder
from hubportal.reminders import reminders_send
from partners.models import (
    DirectoryChange,
    Partner,
    PartnerContact,
    PartnerProposal,
    PartnerService,
)
from signposting.matcher import inquiry_match
from signposting.models import Resource, RoutingRule
from signposting.selectors import triage_panel
from tests.conftest import sign_in_staff
from tests.partners.conftest import sign_in_partner
from tests.partners.factories import PartnerFactory

SERVICE = {"name": "Digital evaluation clinic", "description": "Half a day with an evaluator",
           "support_needs": ["evaluation"], "eligibility_description": "NHS teams in Dorset with a pilot running",
           "stages": ["piloted"], "area_served": "Dorset", "how_to_refer": "Refer through the hub",
           "status": "active"}


def _partner_url(name, partner, *extra):
    return reverse(name, args=["dorset", partner.public_id, *extra])


# --- Partners, services, contacts ---------------------------------------------------------------------

@pytest.mark.django_db
def test_a_member_adds_a_partner_that_is_listed_for_their_hub_with_its_history(client, hub_member, hub):
    sign_in_staff(client, hub_member)
    response = client.post(reverse("partners:staff_partner_new", args=["dorset"]),
                           {"name": " Dorset Council Public Health ", "kind": "council"})
    partner = Partner.objects.get(name="Dorset Council Public Health")
    assert response.status_code == 302 and response["Location"].endswith(f"/directory/{partner.public_id}/")
    assert list(partner.hubs.all()) == [hub]
    change = DirectoryChange.objects.get(partner=partner)
    assert change.action == "created" and change.by == hub_member and change.hub == hub


@pytest.mark.django_db
def test_a_service_added_on_the_staff_page_is_suggested_by_the_matcher_with_its_eligibility(
        client, hub_lead, inquiry, hub):
    council = PartnerFactory(name="Dorset Council Public Health", kind="council", hubs=[hub])
    sign_in_staff(client, hub_lead)
    assert inquiry_match(inquiry=inquiry, resources=False).partners == []
    response = client.post(_partner_url("partners:staff_service_new", council), SERVICE)
    assert response.status_code == 302
    service = PartnerService.objects.get(partner=council)
    assert service.tag_index == "|need:evaluation|stage:piloted|"  # kept in sync by the save
    page = client.get(_partner_url("partners:staff_partner", council)).content.decode()
    assert "Evaluation and evidence" in page and "Piloted or tested on a small scale" in page
    assert "NHS teams in Dorset with a pilot running" in page and "Refer through the hub" in page
    [match] = inquiry_match(inquiry=inquiry, resources=False).partners
    assert match.name == "Dorset Council Public Health"
    assert "Helps with Evaluation and evidence" in match.reasons
    assert match.eligibility == [("Digital evaluation clinic", "NHS teams in Dorset with a pilot running")]
    membership = HubMembership.objects.select_related("hub").get(user=hub_lead)
    html = render_to_string("signposting/_triage_panel.html", {
        "inquiry": inquiry, "membership": membership, "panel": triage_panel(inquiry=inquiry, membership=membership)})
    assert "Who can use Digital evaluation clinic: NHS teams in Dorset with a pilot running" in html


@pytest.mark.django_db
def test_a_service_without_eligibility_area_or_how_to_refer_is_refused_field_by_field(client, hub_lead, partner):
    sign_in_staff(client, hub_lead)
    bad = {**SERVICE, "eligibility_description": "", "area_served": "", "how_to_refer": "", "support_needs": []}
    response = client.post(_partner_url("partners:staff_service_new", partner), bad)
    body = response.content.decode()
    assert response.status_code == 400
    for message in ("Say who can use the service", "Enter the area the service covers",
                    "Say how to refer someone to the service", "Select at least one thing the service helps with"):
        assert message in body
    assert not PartnerService.objects.filter(name="Digital evaluation clinic").exists()


@pytest.mark.django_db
def test_a_duplicate_service_name_gets_a_specific_error(client, hub_lead, partner):
    sign_in_staff(client, hub_lead)
    response = client.post(_partner_url("partners:staff_service_new", partner),
                           {**SERVICE, "name": "real-world EVALUATION"})
    assert "Health Innovation Wessex already has a service with this name" in response.content.decode()
    assert partner.services.count() == 2


@pytest.mark.django_db
def test_changing_a_service_records_before_and_after(client, hub_member, partner):
    service = partner.services.get(name="Real-world evaluation")
    sign_in_staff(client, hub_member)
    client.post(_partner_url("partners:staff_service_edit", partner, service.public_id),
                {**SERVICE, "name": "Real-world evaluation", "area_served": "Wessex"})
    change = DirectoryChange.objects.get(subject=f"service:{service.public_id}")
    assert change.changes["area_served"] == ["", "Wessex"]
    assert change.changes["how_to_refer"] == ["", "Refer through the hub"]


@pytest.mark.django_db
def test_contacts_say_who_gets_referrals_and_digests(client, hub_member, partner):
    sign_in_staff(client, hub_member)
    client.post(_partner_url("partners:staff_contact_new", partner),
                {"name": "Sam Lee", "email": "Sam.Lee@Wessex.example.org", "receives_referrals": "on",
                 "is_active": "on"})
    contact = PartnerContact.objects.get(partner=partner)
    assert contact.email == "sam.lee@wessex.example.org"
    assert contact.receives_referrals and not contact.receives_digest
    duplicate = client.post(_partner_url("partners:staff_contact_new", partner),
                            {"name": "Sam again", "email": "sam.lee@wessex.example.org"})
    assert "already has a contact with this email address" in duplicate.content.decode()
    assert PartnerContact.objects.filter(partner=partner).count() == 1


@pytest.mark.django_db
def test_the_directory_searches_and_pages(client, hub_member, hub, other_hub):
    for n in range(30):
        PartnerFactory(name=f"Partner {n:02}", kind="vcse", hubs=[hub])
    PartnerFactory(name="Manchester only", kind="vcse", hubs=[other_hub])
    sign_in_staff(client, hub_member)
    url = reverse("partners:staff_directory", args=["dorset"])
    first = client.get(url).content.decode()
    assert "30 partners" in first and "Partner 24" in first and "Partner 25" not in first
    assert "Manchester only" not in first
    assert "Partner 25" in client.get(url + "?page=2").content.decode()
    found = client.get(url + "?q=partner 1").content.decode()
    assert "10 partners" in found and "Partner 10" in found and "Partner 20" not in found


@pytest.mark.django_db
def test_the_directory_keeps_a_fixed_query_count_as_partners_grow(client, hub_member, hub,
                                                                  django_assert_max_num_queries):
    sign_in_staff(client, hub_member)
    url = reverse("partners:staff_directory", args=["dorset"])
    client.get(url)
    for n in range(40):
        PartnerFactory(name=f"Partner {n:02}", kind="vcse", hubs=[hub])
    with django_assert_max_num_queries(12):
        client.get(url)


@pytest.mark.django_db
def test_a_national_partner_or_another_hubs_partner_cannot_be_edited_here(client, hub_lead, hub, other_hub):
    national = PartnerFactory(name="NHS Confederation", kind="nhs", serves_all_hubs=True)
    theirs = PartnerFactory(name="Manchester only", kind="vcse", hubs=[other_hub])
    sign_in_staff(client, hub_lead)
    assert client.get(_partner_url("partners:staff_partner", national)).status_code == 200
    assert client.post(_partner_url("partners:staff_partner_edit", national),
                       {"name": "Renamed", "kind": "nhs"}).status_code == 404
    assert client.get(_partner_url("partners:staff_partner", theirs)).status_code == 404
    assert client.post(_partner_url("partners:staff_service_new", theirs), SERVICE).status_code == 404
    assert Partner.objects.filter(name="NHS Confederation").exists() and not PartnerService.objects.filter(
        partner=theirs).exists()


@pytest.mark.django_db
def test_a_submitter_a_partner_and_anonymous_are_sent_to_sign_in(client, submitter, partner, partner_contact):
    url = _partner_url("partners:staff_partner_edit", partner)
    assert client.post(url, {"name": "X", "kind": "vcse"})["Location"].startswith("/staff/sign-in/")
    client.force_login(submitter)
    assert client.post(url, {"name": "X", "kind": "vcse"}).status_code == 302
    client.logout()
    sign_in_partner(client, partner_contact.email)
    assert client.post(url, {"name": "X", "kind": "vcse"}).status_code == 302
    assert Partner.objects.get(pk=partner.pk).name == "Health Innovation Wessex"


# --- A partner's proposals ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_partner_contact_proposes_changes_that_the_hub_approves_with_the_history_kept(
        client, partner, partner_contact, hub_member):
    sign_in_partner(client, partner_contact.email)
    url = reverse("partners:proposal_new", args=[partner.public_id])
    assert "Health Innovation Wessex" in client.get(url).content.decode()
    response = client.post(url, {"name": "Health Innovation Wessex", "description": "The AHSN for Wessex",
                                 "website": partner.website, "email": partner.email,
                                 "alternate_name": partner.alternate_name})
    assert response.status_code == 302
    proposal = PartnerProposal.objects.get(partner=partner)
    assert proposal.values == {"description": "The AHSN for Wessex"}
    before = partner.description
    assert Partner.objects.get(pk=partner.pk).description == before  # nothing changes until the hub approves
    client.logout()
    sign_in_staff(client, hub_member)
    decide = _partner_url("partners:staff_proposal", partner, proposal.public_id)
    assert "The AHSN for Wessex" in client.get(decide).content.decode()
    client.post(decide, {"decision": "approve"})
    assert Partner.objects.get(pk=partner.pk).description == "The AHSN for Wessex"
    proposal.refresh_from_db()
    assert proposal.status == "approved" and proposal.decided_by == hub_member
    change = DirectoryChange.objects.get(partner=partner, action="proposal_approved")
    assert change.changes == {"description": [before, "The AHSN for Wessex"]}
    assert "priya@wessex.example.org" in change.note
    # Deciding twice (a second tab, another hub) changes nothing more.
    client.post(decide, {"decision": "reject", "reason": "late"})
    assert PartnerProposal.objects.get(pk=proposal.pk).status == "approved"


@pytest.mark.django_db
def test_the_hub_rejects_a_proposal_with_a_reason_and_the_record_stays(client, partner, partner_contact, hub_lead):
    from partners.services import partner_proposal_create

    proposal = partner_proposal_create(partner=partner, contact=partner_contact, values={"name": "Wessex HIN"})
    sign_in_staff(client, hub_lead)
    decide = _partner_url("partners:staff_proposal", partner, proposal.public_id)
    assert "Enter why you are rejecting" in client.post(decide, {"decision": "reject"}).content.decode()
    client.post(decide, {"decision": "reject", "reason": "We use the legal name"})
    assert Partner.objects.get(pk=partner.pk).name == "Health Innovation Wessex"
    change = DirectoryChange.objects.get(partner=partner, action="proposal_rejected")
    assert "We use the legal name" in change.note


@pytest.mark.django_db
def test_a_contact_cannot_propose_for_another_organisation_or_propose_nothing(
        client, partner, partner_contact, other_partner, other_partner_contact):
    sign_in_partner(client, other_partner_contact.email)
    assert client.get(reverse("partners:proposal_new", args=[partner.public_id])).status_code == 404
    client.logout()
    sign_in_partner(client, partner_contact.email)
    same = client.post(reverse("partners:proposal_new", args=[partner.public_id]),
                       {"name": partner.name, "website": partner.website, "email": partner.email,
                        "description": partner.description, "alternate_name": partner.alternate_name})
    assert "Change at least one thing" in same.content.decode()
    assert not PartnerProposal.objects.exists()


# --- Resources ------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_resource_reminds_its_owner_before_review_once_per_stage(client, hub_member, hub, outbox):
    sign_in_staff(client, hub_member)
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), tick=False):
        response = client.post(reverse("signposting:staff_resource_new", args=["dorset"]), {
            "title": "IG toolkit", "url": "https://example.org/ig", "kind": "toolkit", "support_needs": ["information_governance"],
            "review_due_on": "2026-06-01", "owner": hub_member.pk, "is_active": "on"})
        assert response.status_code == 302
    resource = Resource.objects.get(title="IG toolkit")
    assert resource.hub == hub and resource.owner == hub_member
    assert sorted(Reminder.objects.filter(kind="resource.review").values_list("stage", flat=True)) == [
        "month:2026-06-01", "week:2026-06-01"]
    with time_machine.travel(dt.datetime(2026, 5, 5, 10, tzinfo=dt.UTC), tick=False):
        reminders_send()
        reminders_send()  # a second sweep sends nothing more
    sent = OutboundEmail.objects.filter(template="reminder", to=hub_member.email)
    assert sent.count() == 1 and "IG toolkit" in sent.get().context["subject"]
    # Saving it again with the same date plans nothing new: the month reminder is not sent twice.
    with time_machine.travel(dt.datetime(2026, 5, 5, 11, tzinfo=dt.UTC), tick=False):
        editor = sign_in_staff(Client(), hub_member)
        edited = editor.post(reverse("signposting:staff_resource_edit", args=["dorset", resource.public_id]), {
            "title": "IG toolkit v2", "url": "https://example.org/ig", "kind": "toolkit",
            "support_needs": ["information_governance"], "review_due_on": "2026-06-01", "owner": hub_member.pk,
            "is_active": "on"})
    assert edited["Location"] == reverse("signposting:staff_resources", args=["dorset"])
    with time_machine.travel(dt.datetime(2026, 5, 6, 10, tzinfo=dt.UTC), tick=False):
        reminders_send()
    assert OutboundEmail.objects.filter(template="reminder", to=hub_member.email).count() == 1
    assert DirectoryChange.objects.filter(subject=f"resource:{resource.public_id}", action="changed").exists()


@pytest.mark.django_db
def test_a_review_date_after_the_deadline_is_refused(client, hub_member):
    sign_in_staff(client, hub_member)
    response = client.post(reverse("signposting:staff_resource_new", args=["dorset"]), {
        "title": "Fund", "url": "https://example.org/f", "kind": "funding_call", "support_needs": ["funding"],
        "deadline": "2026-05-01", "review_due_on": "2026-06-01", "owner": hub_member.pk})
    assert "The review date must be on or before the deadline" in response.content.decode()
    assert not Resource.objects.exists()


@pytest.mark.django_db
def test_a_national_resource_is_listed_but_not_editable_here(client, hub_member):
    national = Resource.objects.create(title="NHS Innovation Service", url="https://example.org/n", kind="guidance",
                                       review_due_on=dt.date(2099, 1, 1))
    sign_in_staff(client, hub_member)
    assert "NHS Innovation Service" in client.get(reverse("signposting:staff_resources", args=["dorset"])).content.decode()
    assert client.get(reverse("signposting:staff_resource_edit", args=["dorset", national.public_id])).status_code == 404


# --- Routing rules ---------------------------------------------------------------------------------------

RULE = {"name": "IG questions to Wessex", "action": "add", "support_needs": ["information_governance"], "weight": "10",
        "is_active": "on"}


@pytest.mark.django_db
def test_a_rule_is_added_on_the_staff_page(client, hub_member, partner, hub):
    sign_in_staff(client, hub_member)
    response = client.post(reverse("signposting:staff_routing_rule_new", args=["dorset"]),
                           {**RULE, "partner": str(partner.public_id)})
    assert response.status_code == 302
    rule = RoutingRule.objects.get(hub=hub)
    assert rule.partner == partner and rule.support_needs == ["information_governance"]
    assert DirectoryChange.objects.filter(subject=f"rule:{rule.pk}", action="created").exists()


@pytest.mark.django_db
def test_a_retired_partner_chosen_in_a_rule_gets_a_specific_error_and_changes_nothing(client, hub_member, partner):
    rule = RoutingRule.objects.create(hub=partner.hubs.get(), name="Old", action="boost", partner=partner)
    Partner.objects.filter(pk=partner.pk).update(is_active=False)
    sign_in_staff(client, hub_member)
    for url in (reverse("signposting:staff_routing_rule_new", args=["dorset"]),
                reverse("signposting:staff_routing_rule_edit", args=["dorset", rule.pk])):
        response = client.post(url, {**RULE, "partner": str(partner.public_id)})
        assert response.status_code == 400
        assert "Health Innovation Wessex has been retired. Choose an active partner" in response.content.decode()
    assert RoutingRule.objects.count() == 1 and RoutingRule.objects.get().name == "Old"
    assert not DirectoryChange.objects.exists()


@pytest.mark.django_db
def test_a_rule_needs_exactly_one_target_and_a_partner_of_the_hub(client, hub_member, partner, other_hub):
    theirs = PartnerFactory(name="Manchester only", kind="vcse", hubs=[other_hub])
    sign_in_staff(client, hub_member)
    url = reverse("signposting:staff_routing_rule_new", args=["dorset"])
    assert "Choose a partner or a resource" in client.post(url, RULE).content.decode()
    assert "no longer takes referrals from" in client.post(
        url, {**RULE, "partner": str(theirs.public_id)}).content.decode()
    assert "Select a partner from the list" in client.post(url, {**RULE, "partner": "nonsense"}).content.decode()
    assert not RoutingRule.objects.exists()


@pytest.mark.django_db
def test_another_hubs_lead_cannot_see_or_change_the_hubs_rules(client, other_hub_lead, partner, hub):
    rule = RoutingRule.objects.create(hub=hub, name="Old", action="boost", partner=partner)
    sign_in_staff(client, other_hub_lead)
    assert client.post(reverse("signposting:staff_routing_rule_edit", args=["dorset", rule.pk]),
                       {**RULE, "partner": str(partner.public_id)}).status_code == 404
    assert client.post(reverse("signposting:staff_routing_rule_edit", args=["manchester", rule.pk]),
                       {**RULE, "partner": str(partner.public_id)}).status_code == 404
    assert RoutingRule.objects.get().name == "Old"
