"""Issue 10: who may submit. Each hub's email domains (the deployment's setting is the default), people a
hub accepted after a check, and the submitter's sector, which the metrics break down by."""

import pytest
from django.test import Client
from django.urls import reverse

from hubportal.models import Hub, HubAcceptedAddress, HubAuditEntry
from hubportal.submitters import hub_accepts, submitter_may_sign_in
from hubportal.testing import sign_in_staff
from intake.metrics import hub_metrics
from tests.factories import DraftFactory, SubmittedFactory, UserFactory

H = "dorset"


def _domains(client, text):
    return client.post(reverse("hubportal:settings_who_may_submit", args=[H]), {"action": "domains", "domains": text})


@pytest.fixture(autouse=True)
def _default_domains(settings):
    settings.SUBMITTER_EMAIL_DOMAINS = ["nhs.net", "nhs.uk"]


def test_a_hub_without_domains_of_its_own_accepts_the_deployments_default(hub):
    assert hub_accepts(hub, "jo@dchft.nhs.uk")
    assert not hub_accepts(hub, "jo@dorsetcouncil.gov.uk")


def test_a_lead_sets_the_hubs_domains_and_a_council_address_may_then_sign_in(lead_client, hub, hub_lead, client):
    response = _domains(lead_client, "dorsetcouncil.gov.uk\n@BCPCouncil.gov.uk, nhs.uk\nnhs.uk")

    assert response.status_code == 302
    hub.refresh_from_db()
    assert hub.accepted_email_domains == "dorsetcouncil.gov.uk\nbcpcouncil.gov.uk\nnhs.uk"
    assert hub_accepts(hub, "amy@dorsetcouncil.gov.uk") and hub_accepts(hub, "jo@uhd.nhs.uk")
    assert not hub_accepts(hub, "jo@nhs.net")  # the hub's own list replaces the default
    assert submitter_may_sign_in("amy@dorsetcouncil.gov.uk")
    entry = HubAuditEntry.objects.get(what="Accepted email domains changed")
    assert (entry.before, entry.after) == ({"domains": "the default"},
                                           {"domains": ["dorsetcouncil.gov.uk", "bcpcouncil.gov.uk", "nhs.uk"]})
    sign_in = Client().post(reverse("hubportal:sign_in"), {"email": "amy@dorsetcouncil.gov.uk"})
    assert sign_in.status_code == 302


@pytest.mark.parametrize("text", ["dorset council.gov.uk", "nhs", "*", "http://nhs.uk", "-bad.nhs.uk"])
def test_it_refuses_an_invalid_domain_with_a_specific_error_and_changes_nothing(lead_client, hub, text):
    Hub.objects.filter(pk=hub.pk).update(accepted_email_domains="nhs.uk")
    response = _domains(lead_client, text)
    assert response.status_code == 400
    [error] = response.context["domains_form"].errors["domains"]
    assert error.endswith("is not an email domain. Enter domains like dchft.nhs.uk, one a line")
    hub.refresh_from_db()
    assert hub.accepted_email_domains == "nhs.uk"
    assert not HubAuditEntry.objects.exists()


def test_a_member_of_staff_accepts_a_person_from_an_unlisted_address_after_checking_them(client, hub, hub_member):
    assert not submitter_may_sign_in("practice.manager@poolesurgery.example.org")
    sign_in_staff(client, hub_member)
    response = client.post(reverse("hubportal:settings_who_may_submit", args=[H]), {
        "action": "accept", "email": "Practice.Manager@poolesurgery.example.org",
        "how_checked": "Phoned the surgery's main number"})

    assert response.status_code == 302
    accepted = HubAcceptedAddress.objects.get(hub=hub)
    assert (accepted.email, accepted.how_checked, accepted.accepted_by) == (
        "practice.manager@poolesurgery.example.org", "Phoned the surgery's main number", hub_member)
    assert submitter_may_sign_in("practice.manager@poolesurgery.example.org")
    assert hub_accepts(hub, "practice.manager@poolesurgery.example.org")
    assert HubAuditEntry.objects.filter(what="Person accepted to submit", by=hub_member).exists()


def test_accepting_needs_to_say_how_they_were_checked(lead_client, hub):
    response = lead_client.post(reverse("hubportal:settings_who_may_submit", args=[H]),
                                {"action": "accept", "email": "x@example.org", "how_checked": " "})
    assert response.status_code == 400
    assert response.context["accept_form"].errors["how_checked"] == ["Say how you checked who they are"]
    assert not HubAcceptedAddress.objects.exists()


def test_a_member_cannot_set_the_domains(client, hub, hub_member):
    sign_in_staff(client, hub_member)
    assert _domains(client, "example.org").status_code == 404
    hub.refresh_from_db()
    assert hub.accepted_email_domains == ""


@pytest.mark.parametrize("actor", ["other_hub_lead", "submitter", "anonymous"])
def test_nobody_outside_the_hubs_staff_accepts_a_person(actor, hub, other_hub_lead, submitter):
    client = Client()
    if actor == "other_hub_lead":
        sign_in_staff(client, other_hub_lead)
    elif actor == "submitter":
        client.force_login(submitter)
    response = client.post(reverse("hubportal:settings_who_may_submit", args=[H]),
                           {"action": "accept", "email": "x@example.org", "how_checked": "trust me"})
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert reverse("hubportal:staff_sign_in") in response["Location"]
    assert not HubAcceptedAddress.objects.exists()


def test_the_hub_step_refuses_a_hub_that_does_not_take_the_persons_address(hub, other_hub, client):
    Hub.objects.filter(pk=other_hub.pk).update(accepted_email_domains="gmcp.nhs.uk")
    person = UserFactory(email="jo@dchft.nhs.uk")
    draft = DraftFactory(submitter=person, hub=None)
    client.force_login(person)
    url = reverse("intake:inquiry_step", args=[draft.public_id, "hub"])

    response = client.post(url, {"hub": other_hub.pk})

    assert response.status_code == 400
    assert ("Manchester Innovation Hub does not take inquiries from dchft.nhs.uk addresses. Choose another hub, "
            "or email innovation.manchester@example.nhs.uk and ask them to accept your address") in (
        response.context["form"].errors["hub"])
    draft.refresh_from_db()
    assert draft.hub is None
    assert client.post(url, {"hub": hub.pk}).status_code == 302


def test_the_journey_records_the_sector_and_the_metrics_break_down_by_it(hub, submitter_client, submitter):
    draft = DraftFactory(submitter=submitter, hub=hub)
    url = reverse("intake:inquiry_step", args=[draft.public_id, "about-you"])
    answers = {"contact_name": "Jo Bloggs", "organisation": "Dorset Council", "role": "Commissioner"}
    response = submitter_client.post(url, answers)
    assert response.status_code == 400
    assert response.context["form"].errors["sector"] == ["Select where you work"]

    assert submitter_client.post(url, {**answers, "sector": "local_authority"}).status_code == 302
    draft.refresh_from_db()
    assert draft.sector == "local_authority"
    SubmittedFactory(hub=hub, reference="DOR-2026-00041", sector="local_authority")
    SubmittedFactory(hub=hub, reference="DOR-2026-00042", sector="vcse")
    SubmittedFactory(hub=hub, reference="DOR-2026-00043")
    sectors = next(b for b in hub_metrics(hub=hub).breakdowns if b.key == "sector")
    figures = {f.label: f.value for f in sectors.figures}
    assert figures["A local authority (council)"] == 1
    assert figures["The voluntary, community or social enterprise sector (VCSE)"] == 1
    assert figures["Not given"] == 1
