"""Every Open Referral UK endpoint's output conforms to the HSDS 3.0 JSON Schemas in schemas/ (written
from the published specification; see schemas/README.md), not only to our own expectations."""

import json
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource

from .factories import PartnerContactFactory, PartnerFactory, PartnerServiceFactory

SCHEMAS = Path(__file__).parent / "schemas"
BASE = "https://hubportal.invalid/schemas/hsds-3.0/"


def _registry():
    resources = []
    for path in SCHEMAS.glob("*.json"):
        contents = json.loads(path.read_text())
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def errors_against(instance, name):
    validator = jsonschema.Draft202012Validator(
        {"$ref": BASE + name + ".json"}, registry=REGISTRY, format_checker=jsonschema.FormatChecker())
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(instance)]


def page_errors(data, item):
    found = errors_against(data, "page")
    for i, entry in enumerate(data["contents"]):
        found += [f"contents/{i}/{e}" for e in errors_against(entry, item)]
    return found


def test_the_schemas_are_valid_draft_2020_12_schemas():
    for path in sorted(SCHEMAS.glob("*.json")):
        jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text()))


def test_the_schemas_catch_what_they_should():
    """A guard on the guard: the schemas refuse nulls, non-UUID ids, bad emails and unknown statuses."""
    service = {"id": "7b1f7d3e-0c4e-4a43-8a2e-2f0f7b9d6a11", "name": "x", "status": "active"}
    assert errors_against(service, "service") == []
    assert errors_against({**service, "email": None}, "service")
    assert errors_against({**service, "id": "support-need"}, "service")
    assert errors_against({**service, "email": "not an address"}, "service")
    assert errors_against({**service, "status": "open"}, "service")
    assert errors_against({"id": service["id"], "name": "x"}, "service")  # status is required


@pytest.fixture
def directory(hub, other_hub):
    """Partners as they come: a full one, a sparse one (no email, website, services' details) and an
    inactive one, so both filled and empty optional fields are checked."""
    wessex = PartnerFactory(name="Health Innovation Wessex", kind="hin", hubs=[hub, other_hub],
                            email="hello@wessex.example.org", website="https://wessexahsn.org.uk",
                            alternate_name="Wessex HIN")
    PartnerServiceFactory(partner=wessex, name="Real-world evaluation", support_needs=["evaluation", "funding"],
                          themes=["core20"], stages=["piloted"], area_served="Wessex",
                          eligibility_description="NHS teams", assurer_email="checker@example.nhs.uk",
                          url="https://wessexahsn.org.uk/evaluation", email="evaluation@wessex.example.org")
    PartnerContactFactory(partner=wessex, name="Priya Natarajan", email="priya@wessex.example.org")
    sparse = PartnerFactory(name="Sparse partner", kind="vcse", hubs=[hub], email="", website="", description="")
    PartnerServiceFactory(partner=sparse, name="Bare service", support_needs=[], themes=[], area_served="",
                          eligibility_description="", url="", email="", assurer_email="", description="")
    retired = PartnerFactory(name="Retired partner", kind="university", is_active=False)
    PartnerServiceFactory(partner=retired, name="Old service", support_needs=["ppie"])
    return {"wessex": wessex, "sparse": sparse}


@pytest.mark.django_db
def test_the_api_root_conforms(client):
    assert errors_against(client.get("/oruk/").json(), "api_meta") == []


@pytest.mark.django_db
def test_organizations_and_each_organization_conform(client, directory):
    listing = client.get("/oruk/organizations").json()
    assert listing["total_items"] == 3
    assert page_errors(listing, "organization") == []
    for entry in listing["contents"]:
        assert errors_against(client.get(f"/oruk/organizations/{entry['id']}").json(), "organization") == []


@pytest.mark.django_db
def test_services_and_each_service_conform(client, directory):
    listing = client.get("/oruk/services").json()
    assert listing["total_items"] == 3
    assert page_errors(listing, "service") == []
    for entry in listing["contents"]:
        assert errors_against(client.get(f"/oruk/services/{entry['id']}").json(), "service") == []


@pytest.mark.django_db
def test_taxonomies_and_their_terms_conform(client, directory):
    taxonomies = client.get("/oruk/taxonomies").json()
    assert page_errors(taxonomies, "taxonomy") == []
    terms = client.get("/oruk/taxonomy_terms?per_page=200").json()
    assert terms["total_items"] > 30
    assert page_errors(terms, "taxonomy_term") == []
    for taxonomy in taxonomies["contents"]:
        assert errors_against(client.get(f"/oruk/taxonomies/{taxonomy['id']}").json(), "taxonomy") == []
        of_it = client.get(f"/oruk/taxonomy_terms?taxonomy_id={taxonomy['id']}&per_page=200").json()
        assert of_it["contents"], taxonomy["name"]
        assert {t["taxonomy_id"] for t in of_it["contents"]} == {taxonomy["id"]}
    for term in terms["contents"][:5]:
        assert errors_against(client.get(f"/oruk/taxonomy_terms/{term['id']}").json(), "taxonomy_term") == []


@pytest.mark.django_db
def test_every_attribute_points_at_a_term_the_api_serves(client, directory):
    """Ids must join up: an attribute's taxonomy_term_id is a term the taxonomy_terms endpoint knows."""
    served = {t["id"] for t in client.get("/oruk/taxonomy_terms?per_page=200").json()["contents"]}
    services = client.get("/oruk/services").json()["contents"]
    organizations = client.get("/oruk/organizations").json()["contents"]
    used = {a["taxonomy_term_id"] for record in services + organizations for a in record["attributes"]}
    assert used and used <= served
