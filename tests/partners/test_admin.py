"""Admin for every model of the directory and of signposting."""

import pytest

from signposting import services
from tests.conftest import sign_in_staff
from tests.factories import SubmittedFactory, UserFactory

from .factories import (
    PartnerContactFactory,
    PartnerFactory,
    PartnerServiceFactory,
    ResourceFactory,
    RoutingRuleFactory,
)

MODELS = ["partners/partner", "partners/partnerservice", "partners/partnercontact", "signposting/resource",
          "signposting/routingrule", "signposting/referral"]


@pytest.fixture
def admin_client(client, db):
    return sign_in_staff(client, UserFactory(email="admin@example.nhs.uk", is_staff=True, is_superuser=True))


@pytest.fixture
def records(hub, submitter, hub_lead):
    partner = PartnerFactory(name="Health Innovation Wessex", hubs=[hub])
    service = PartnerServiceFactory(partner=partner)
    contact = PartnerContactFactory(partner=partner)
    resource = ResourceFactory(hub=hub)
    rule = RoutingRuleFactory(hub=hub, partner=partner)
    referral = services.referral_send(inquiry=SubmittedFactory(submitter=submitter, hub=hub), partner=partner,
                                      by=hub_lead)
    services.referral_ask(referral=referral, contact=contact, question="When?")
    return {"partners/partner": partner, "partners/partnerservice": service, "partners/partnercontact": contact,
            "signposting/resource": resource, "signposting/routingrule": rule, "signposting/referral": referral}


@pytest.mark.django_db
def test_every_model_has_a_working_list_and_change_page(admin_client, records):
    for model in MODELS:
        assert admin_client.get(f"/admin/{model}/").status_code == 200, model
        assert admin_client.get(f"/admin/{model}/{records[model].pk}/change/").status_code == 200, model
        if model != "signposting/referral":
            assert admin_client.get(f"/admin/{model}/add/").status_code == 200, model
    # Referrals change only through their services: no adding or deleting them in admin.
    assert admin_client.get("/admin/signposting/referral/add/").status_code == 403


@pytest.mark.django_db
def test_resources_can_be_filtered_by_whether_they_are_offered(admin_client, hub):
    from datetime import timedelta

    from django.utils import timezone

    ResourceFactory(title="Current toolkit")
    ResourceFactory(title="Stale toolkit", review_due_on=timezone.localdate() - timedelta(days=1))
    offered = admin_client.get("/admin/signposting/resource/?offered=yes").content.decode()
    assert "Current toolkit" in offered and "Stale toolkit" not in offered
    stale = admin_client.get("/admin/signposting/resource/?offered=review").content.decode()
    assert "Stale toolkit" in stale and "Current toolkit" not in stale


@pytest.mark.django_db
def test_a_rule_for_a_partner_that_does_not_serve_the_hub_is_refused(admin_client, hub, other_hub):
    manchester = PartnerFactory(name="Health Innovation Manchester", hubs=[other_hub])
    response = admin_client.post("/admin/signposting/routingrule/add/", {
        "hub": hub.pk, "name": "Send IG to Manchester", "action": "add", "weight": 10, "is_active": "on",
        "partner": manchester.pk})
    assert response.status_code == 200
    assert "This partner does not serve the hub" in response.content.decode()
    from signposting.models import RoutingRule

    assert not RoutingRule.objects.exists()


@pytest.mark.django_db
def test_a_rule_needs_exactly_one_target(admin_client, hub):
    response = admin_client.post("/admin/signposting/routingrule/add/", {
        "hub": hub.pk, "name": "Nothing", "action": "add", "weight": 10})
    assert "Choose a partner or a resource (one of them)." in response.content.decode()


@pytest.mark.django_db
def test_making_partners_inactive_from_the_list(admin_client, hub):
    partner = PartnerFactory(name="Old partner", hubs=[hub])
    admin_client.post("/admin/partners/partner/", {"action": "make_inactive", "_selected_action": [partner.pk]})
    partner.refresh_from_db()
    assert partner.is_active is False
