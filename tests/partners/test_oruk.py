"""The Open Referral UK JSON export at /oruk/."""

import uuid

import pytest

from partners import oruk

from .factories import PartnerContactFactory, PartnerFactory, PartnerServiceFactory


@pytest.fixture
def directory(hub):
    wessex = PartnerFactory(name="Health Innovation Wessex", kind="hin", hubs=[hub], email="hello@wessex.example.org",
                            assurer_email="checker@example.nhs.uk")
    service = PartnerServiceFactory(partner=wessex, name="Real-world evaluation", support_needs=["evaluation"],
                                    themes=["core20"], area_served="Wessex", eligibility_description="NHS teams",
                                    assurer_email="checker@example.nhs.uk")
    PartnerContactFactory(partner=wessex, name="Priya Natarajan", email="priya@wessex.example.org")
    retired = PartnerFactory(name="Retired partner", kind="vcse", is_active=False)
    PartnerServiceFactory(partner=retired, name="Old service", support_needs=["ppie"])
    return {"wessex": wessex, "service": service}


@pytest.mark.django_db
def test_the_api_root_says_what_it_is(client):
    data = client.get("/oruk/").json()
    assert data["version"] == "3.0"
    assert data["publisher"]["name"] == "Innovation Hub Front Door"


@pytest.mark.django_db
def test_organizations_are_a_paginated_oruk_page(client, directory):
    data = client.get("/oruk/organizations?per_page=1").json()
    assert {k: data[k] for k in ("total_items", "total_pages", "page_number", "size", "first_page", "last_page",
                                 "empty")} == {"total_items": 2, "total_pages": 2, "page_number": 1, "size": 1,
                                               "first_page": True, "last_page": False, "empty": False}
    [organisation] = data["contents"]
    assert organisation["id"] == str(directory["wessex"].public_id)
    assert organisation["name"] == "Health Innovation Wessex"
    assert organisation["email"] == "hello@wessex.example.org"
    terms = {(a["link_type"], a["taxonomy_term"]["code"]) for a in organisation["attributes"]}
    assert terms == {("partner-type", "hin"), ("innovation-hub", "dorset")}
    assert client.get("/oruk/organizations?page=2&per_page=1").json()["contents"][0]["name"] == "Retired partner"


@pytest.mark.django_db
def test_an_organization_comes_with_its_services_and_never_its_people(client, directory):
    response = client.get(f"/oruk/organizations/{directory['wessex'].public_id}")
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    assert [s["name"] for s in data["services"]] == ["Real-world evaluation"]
    assert "priya" not in response.content.decode().lower()


@pytest.mark.django_db
def test_a_service_has_oruk_fields_and_taxonomy_attributes(client, directory):
    data = client.get(f"/oruk/services/{directory['service'].public_id}").json()
    assert data["organization_id"] == str(directory["wessex"].public_id)
    assert data["status"] == "active"
    assert data["eligibility_description"] == "NHS teams"
    assert data["assurer_email"] == "checker@example.nhs.uk"
    assert data["service_areas"][0]["name"] == "Wessex"
    assert sorted((a["link_type"], a["taxonomy_term"]["code"]) for a in data["attributes"]) == [
        ("support-need", "evaluation"), ("theme", "core20")]
    assert all(a["taxonomy_term_id"] == a["taxonomy_term"]["id"] for a in data["attributes"])
    assert data["organization"]["name"] == "Health Innovation Wessex"
    # The same ids every time.
    again = client.get(f"/oruk/services/{directory['service'].public_id}").json()
    assert [a["id"] for a in again["attributes"]] == [a["id"] for a in data["attributes"]]


@pytest.mark.django_db
def test_services_of_an_inactive_partner_are_inactive(client, directory):
    services = client.get("/oruk/services").json()["contents"]
    assert {s["name"]: s["status"] for s in services} == {"Old service": "inactive",
                                                          "Real-world evaluation": "active"}


@pytest.mark.django_db
def test_services_filter_by_taxonomy_term_and_organization(client, directory):
    by_term = client.get("/oruk/services?taxonomy_term_id=support-need:ppie").json()
    assert [s["name"] for s in by_term["contents"]] == ["Old service"]
    by_org = client.get(f"/oruk/services?organization_id={directory['wessex'].public_id}").json()
    assert [s["name"] for s in by_org["contents"]] == ["Real-world evaluation"]
    assert client.get("/oruk/services?taxonomy_term_id=colour:red").status_code == 400
    assert client.get("/oruk/services?organization_id=nope").status_code == 400


@pytest.mark.django_db
def test_taxonomies_and_terms_are_listed_with_uuid_ids_that_never_change(client, directory, hub):
    taxonomies = client.get("/oruk/taxonomies").json()["contents"]
    assert [oruk.taxonomy_slug(t["id"]) for t in taxonomies] == [
        "support-need", "theme", "innovation-type", "stage", "partner-type", "innovation-hub"]
    hubs = next(t for t in taxonomies if t["name"] == "Innovation hubs")
    [term] = client.get(f"/oruk/taxonomy_terms?taxonomy_id={hubs['id']}").json()["contents"]
    assert term == {"id": term["id"], "code": "dorset", "name": "Dorset Innovation Hub",
                    "description": "Dorset Innovation Hub", "taxonomy": "innovation-hub", "language": "en",
                    "taxonomy_id": hubs["id"]}
    assert uuid.UUID(term["id"]) and uuid.UUID(hubs["id"])
    assert client.get("/oruk/taxonomy_terms?taxonomy_id=innovation-hub").json()["contents"] == [term]
    assert client.get(f"/oruk/taxonomy_terms/{term['id']}").json() == term
    assert client.get(f"/oruk/taxonomies/{hubs['id']}").json() == hubs


@pytest.mark.django_db
def test_the_readable_ids_the_export_used_before_hsds_uuids_still_work(client, directory):
    """Links and filters made before ids became UUIDs keep working."""
    term = client.get("/oruk/taxonomy_terms/support-need:evaluation").json()
    assert term["name"] == "Evaluation and evidence" and uuid.UUID(term["id"])
    assert client.get("/oruk/taxonomies/theme").json()["name"] == "Priority themes"
    by_uuid = client.get(f"/oruk/services?taxonomy_term_id={term['id']}").json()["contents"]
    by_name = client.get("/oruk/services?taxonomy_term_id=support-need:evaluation").json()["contents"]
    assert [s["name"] for s in by_uuid] == [s["name"] for s in by_name] == ["Real-world evaluation"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/oruk/organizations?page=0", "/oruk/organizations?per_page=1000",
                                 "/oruk/services?page=two"])
def test_bad_paging_is_a_400_saying_why(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "page" in response.json()["error"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", [f"/oruk/organizations/{uuid.UUID(int=1)}", f"/oruk/services/{uuid.UUID(int=2)}",
                                 "/oruk/taxonomies/colour", "/oruk/taxonomy_terms/theme:none"])
def test_unknown_ids_are_a_json_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "error" in response.json()


@pytest.mark.django_db
def test_the_lists_issue_a_fixed_number_of_queries(client, hub, django_assert_max_num_queries):
    def make(count, start):
        for n in range(start, start + count):
            partner = PartnerFactory(name=f"Partner {n}", hubs=[hub])
            PartnerServiceFactory(partner=partner)

    make(2, 0)
    counts = []
    for _ in range(2):
        for url in ("/oruk/organizations", "/oruk/services"):
            with django_assert_max_num_queries(4) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured.captured_queries))
        make(30, 100)
    assert counts[:2] == counts[2:]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["page=" + "9" * 30, "page=9223372036854775808", "page=99999999&per_page=50"])
def test_a_page_far_beyond_the_last_is_an_empty_oruk_page(client, directory, query):
    for endpoint in ("organizations", "services", "taxonomies", "taxonomy_terms"):
        response = client.get(f"/oruk/{endpoint}?{query}")
        assert response.status_code == 200, (endpoint, response.status_code)
        data = response.json()
        assert data["contents"] == [] and data["size"] == 0 and data["last_page"] is True
        assert data["page_number"] == int(query.split("&")[0].split("=")[1])


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["page=-1", "page=abc", "page=1e3", "page=" + "9" * 5000,
                                   "per_page=" + "9" * 30])
def test_unreadable_paging_is_a_400_saying_why(client, query):
    response = client.get(f"/oruk/services?{query}")
    assert response.status_code == 400
    assert "error" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["taxonomy_id=%00", "organization_id=%00", "taxonomy_term_id=a%00b"])
def test_a_nul_character_in_a_filter_is_a_400(client, query):
    endpoint = "taxonomy_terms" if query.startswith("taxonomy_id") else "services"
    assert client.get(f"/oruk/{endpoint}?{query}").status_code == 400
