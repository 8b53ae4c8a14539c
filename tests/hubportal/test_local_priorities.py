"""Issue 10: a hub's own priority themes, beside the national ones, chosen by submitters and used by the
list, the matcher, the metrics and the CSV. National codes stay fixed; local ones are data."""

import pytest
from django.test import Client
from django.urls import reverse

from hubportal.models import HubAuditEntry, HubMembership, HubTheme
from hubportal.taxonomy import Theme
from hubportal.testing import sign_in_staff
from intake.metrics import hub_metrics
from intake.models import Inquiry
from signposting.matcher import inquiry_match
from tests.factories import DraftFactory, SubmittedFactory
from tests.partners.factories import PartnerFactory, PartnerServiceFactory

H = "dorset"
FRAILTY = "local-dor-dorset-frailty-programme"


@pytest.fixture
def frailty(lead_client, hub):
    lead_client.post(reverse("hubportal:settings_priorities", args=[H]), {"label": " Dorset  frailty programme "})
    return HubTheme.objects.get(hub=hub)


def test_a_lead_adds_a_priority_with_a_local_code_and_it_is_audited(frailty, hub, hub_lead):
    assert (frailty.code, frailty.label, frailty.is_active) == (FRAILTY, "Dorset frailty programme", True)
    assert frailty.code not in Theme.values
    entry = HubAuditEntry.objects.get(hub=hub)
    assert (entry.what, entry.by, entry.after) == ("Local priority added", hub_lead,
                                                   {"name": "Dorset frailty programme"})


@pytest.mark.parametrize("label, message", [
    ("", "Enter the name of the priority"),
    ("dorset FRAILTY programme", "There is already a priority with that name"),
    ("Maternity care", "There is already a priority with that name"),
])
def test_it_refuses_a_priority_without_a_new_name_and_changes_nothing(lead_client, frailty, label, message):
    response = lead_client.post(reverse("hubportal:settings_priorities", args=[H]), {"label": label})
    assert response.status_code == 400
    assert response.context["form"].errors["label"] == [message]
    assert HubTheme.objects.count() == 1 and HubAuditEntry.objects.count() == 1


def test_a_submitter_to_the_hub_can_choose_it_after_choosing_the_hub(frailty, hub, other_hub, submitter_client,
                                                                    submitter):
    draft = DraftFactory(submitter=submitter, hub=hub)
    url = reverse("intake:inquiry_step", args=[draft.public_id, "themes"])
    assert "Dorset frailty programme" in submitter_client.get(url).content.decode()

    response = submitter_client.post(url, {"themes": ["core20", FRAILTY]})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.themes == ["core20", FRAILTY]
    check = submitter_client.get(reverse("intake:inquiry_check", args=[draft.public_id])).content.decode()
    assert "Dorset frailty programme" in check
    # Another hub's submitters are not offered it, and cannot send it.
    elsewhere = DraftFactory(submitter=submitter, hub=other_hub)
    url = reverse("intake:inquiry_step", args=[elsewhere.public_id, "themes"])
    assert "Dorset frailty programme" not in submitter_client.get(url).content.decode()
    response = submitter_client.post(url, {"themes": [FRAILTY]})
    assert response.status_code == 400 and "Select themes from the list" in response.content.decode()
    assert Inquiry.objects.get(pk=elsewhere.pk).themes == elsewhere.themes


def test_choosing_another_hub_drops_the_first_hubs_own_priorities(frailty, hub, other_hub, submitter_client,
                                                                   submitter):
    draft = DraftFactory(submitter=submitter, hub=hub, themes=["core20", FRAILTY])
    submitter_client.post(reverse("intake:inquiry_step", args=[draft.public_id, "hub"]), {"hub": other_hub.pk})
    draft.refresh_from_db()
    assert (draft.hub, draft.themes) == (other_hub, ["core20"])


def test_the_list_filters_by_it_and_the_csv_and_metrics_name_it(frailty, lead_client, hub):
    chosen = SubmittedFactory(hub=hub, reference="DOR-2026-00031", themes=[FRAILTY])
    SubmittedFactory(hub=hub, reference="DOR-2026-00032", themes=["core20"])

    listed = lead_client.get(reverse("intake:staff_inquiry_list", args=[H]), {"theme": FRAILTY})
    assert [i.reference for i in listed.context["page"]] == [chosen.reference]
    csv = b"".join(lead_client.get(reverse("intake:staff_inquiry_export", args=[H]),
                                   {"theme": FRAILTY}).streaming_content).decode()
    assert "Dorset frailty programme" in csv and FRAILTY not in csv
    themes = next(b for b in hub_metrics(hub=hub).breakdowns if b.key == "themes")
    assert {f.label: f.value for f in themes.figures}["Dorset frailty programme"] == 1


def test_the_matcher_suggests_a_service_tagged_with_it_and_says_why(frailty, hub):
    partner = PartnerFactory(name="Dorset Frailty Network", hubs=[hub])
    PartnerServiceFactory(partner=partner, name="Frailty pathway support", support_needs=[], themes=[FRAILTY])
    inquiry = SubmittedFactory(hub=hub, reference="DOR-2026-00033", themes=[FRAILTY], support_needed=[])

    result = inquiry_match(inquiry=inquiry, resources=False)

    match = next(m for m in result.partners if m.name == "Dorset Frailty Network")
    assert "Works on Dorset frailty programme" in match.reasons


def test_a_retired_priority_is_no_longer_offered_and_keeps_its_name_where_chosen(frailty, lead_client, hub,
                                                                                  submitter):
    inquiry = SubmittedFactory(hub=hub, reference="DOR-2026-00034", themes=[FRAILTY])
    lead_client.post(reverse("hubportal:settings_priority_active", args=[H, FRAILTY]), {"active": "no"})

    frailty.refresh_from_db()
    assert frailty.is_active is False
    assert inquiry.theme_labels() == ["Dorset frailty programme"]
    draft = DraftFactory(submitter=submitter, hub=hub)
    client = Client()
    client.force_login(submitter)
    page = client.get(reverse("intake:inquiry_step", args=[draft.public_id, "themes"])).content.decode()
    assert "Dorset frailty programme" not in page
    assert HubAuditEntry.objects.filter(what="Local priority retired").exists()


@pytest.mark.parametrize("actor", ["hub_member", "other_hub_lead"])
def test_only_the_hubs_leads_add_or_retire_priorities(actor, hub, frailty, hub_member, other_hub_lead):
    client = Client()
    sign_in_staff(client, hub_member if actor == "hub_member" else other_hub_lead)
    assert client.post(reverse("hubportal:settings_priorities", args=[H]), {"label": "Mine"}).status_code == 404
    assert client.post(reverse("hubportal:settings_priority_active", args=[H, FRAILTY]),
                       {"active": "no"}).status_code == 404
    assert list(HubTheme.objects.values_list("label", "is_active")) == [("Dorset frailty programme", True)]
    assert HubMembership.objects.filter(hub=hub).count() == 2
    assert Inquiry.objects.count() == 0
