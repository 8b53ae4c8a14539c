"""CSV import and export of the directory: per-row errors, all or nothing, round trip."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partners.directory import COLUMNS, directory_export, directory_import
from partners.models import Partner, PartnerContact, PartnerService

from .factories import PartnerContactFactory, PartnerFactory, PartnerServiceFactory

HEADER = ("organisation_name,organisation_type,hubs,organisation_website,service_name,support_needs,themes,"
          "service_status,referral_contacts,lead_contact\n")


def _csv(*rows, header=HEADER):
    return header + "".join(row + "\n" for row in rows)


@pytest.mark.django_db
def test_it_imports_organisations_services_and_contacts(hub, other_hub):
    text = _csv(
        "Health Innovation Wessex,hin,DOR,https://healthinnovationwessex.org.uk/,Real-world evaluation,"
        "evaluation;adoption,health_inequalities,,Priya Natarajan <Priya@Wessex.example.org>,",
        "Health Innovation Wessex,hin,DOR,https://healthinnovationwessex.org.uk/,Adoption and spread,adoption,,"
        "active,,Sam Lead <sam@wessex.example.org>",
        "Healthwatch Dorset,ppie,DOR;MAN,,,,,,,",
    )
    result = directory_import(text=text)
    assert result.ok, [str(e) for e in result.errors]
    assert (result.partners_created, result.services_created, result.contacts_created) == (2, 2, 2)
    wessex = Partner.objects.get(name="Health Innovation Wessex")
    assert wessex.kind == "hin" and list(wessex.hubs.all()) == [hub]
    evaluation = wessex.services.get(name="Real-world evaluation")
    assert evaluation.support_needs == ["evaluation", "adoption"]
    assert evaluation.tag_index == "|need:evaluation|need:adoption|theme:health_inequalities|"
    assert evaluation.status == "active"
    priya = PartnerContact.objects.get(email="priya@wessex.example.org")
    assert (priya.name, priya.receives_referrals, priya.is_lead) == ("Priya Natarajan", True, False)
    sam = PartnerContact.objects.get(email="sam@wessex.example.org")
    assert (sam.receives_referrals, sam.is_lead) == (False, True)
    healthwatch = Partner.objects.get(name="Healthwatch Dorset")
    assert set(healthwatch.hubs.all()) == {hub, other_hub}
    assert healthwatch.services.count() == 0


@pytest.mark.django_db
def test_one_bad_row_changes_nothing_and_every_problem_is_reported_with_its_row(hub):
    existing = PartnerFactory(name="Bournemouth University", kind="university", description="Before")
    text = _csv(
        "Health Innovation Wessex,hin,DOR,,Evaluation,evaluation,,,,",
        "Bournemouth University,university,DOR,not a web address,Evaluation,evaluation,,,,",
        "Dorset Council,town_hall,XYZ,,Public health,evaluation;ig,,closed,Someone <not-an-email>,",
        ",hin,,,,,,,,",
    )
    result = directory_import(text=text)
    assert [str(e) for e in result.errors] == [
        "Row 3, organisation_website: 'not a web address' is not a web address starting with https://",
        "Row 4, organisation_type: 'town_hall' is not one of: hin, university, council, vcse, ppie, industry, nhs, "
        "research",
        "Row 4, hubs: XYZ not known; use hub codes from: DOR",
        "Row 4, service_status: 'closed' is not one of: active, inactive, defunct, temporarily closed",
        "Row 4, support_needs: 'ig' not known; use codes from: evaluation, funding, procurement, "
        "information_governance, digital, ppie, project_management, partners, adoption, regulatory",
        "Row 4, referral_contacts: 'not-an-email' is not an email address, like name@example.org",
        "Row 5, organisation_name: enter the organisation's name",
    ]
    assert list(Partner.objects.values_list("name", flat=True)) == ["Bournemouth University"]
    existing.refresh_from_db()
    assert existing.description == "Before"
    assert PartnerService.objects.count() == 0


@pytest.mark.django_db
def test_it_reports_file_level_problems(hub):
    assert [str(e) for e in directory_import(text="").errors] == [
        "The file: is empty; the first row must name the columns"]
    assert [str(e) for e in directory_import(text="organisation_name,colour\nX,red\n").errors] == [
        "Row 1: the columns organisation_type are missing",
        "Row 1: the columns colour are not known; the columns are: " + ", ".join(COLUMNS),
    ]
    assert [str(e) for e in directory_import(text="organisation_name,organisation_type\n").errors] == [
        "The file: has no rows under the header"]
    assert [str(e) for e in directory_import(text="organisation_name,organisation_type\nA,hin,extra\n").errors] == [
        "Row 2: has more cells than the header has columns"]


@pytest.mark.django_db
def test_rows_of_one_organisation_must_agree_and_services_must_not_repeat(hub):
    text = _csv(
        "Wessex,hin,DOR,https://a.example.org/,Evaluation,evaluation,,,,",
        "Wessex,university,DOR,https://a.example.org/,Evaluation,evaluation,,,,",
        "Wessex,hin,DOR,https://a.example.org/,evaluation,funding,,,,",
    )
    assert [str(e) for e in directory_import(text=text).errors] == [
        "Row 3, organisation_type: differs from row 2 for the same organisation",
        "Row 3, service_name: this organisation's service 'Evaluation' is already on row 2",
        "Row 4, service_name: this organisation's service 'evaluation' is already on row 2",
    ]
    assert Partner.objects.count() == 0


@pytest.mark.django_db
def test_service_columns_without_a_service_name_are_an_error(hub):
    errors = directory_import(text=_csv("Wessex,hin,DOR,,,evaluation,,,,")).errors
    assert [str(e) for e in errors] == [
        "Row 2, service_name: enter the service's name (the row fills support_needs)"]


@pytest.mark.django_db
def test_export_then_import_changes_nothing(hub, other_hub):
    wessex = PartnerFactory(name="Health Innovation Wessex", kind="hin", hubs=[hub, other_hub],
                            description="Spreads innovation, = and more", email="hello@wessex.example.org")
    PartnerServiceFactory(partner=wessex, name="Evaluation", support_needs=["evaluation", "funding"],
                          themes=["core20"], stages=["piloted"], eligibility_description="NHS teams in Wessex",
                          area_served="Wessex")
    PartnerContactFactory(partner=wessex, name="Priya Natarajan", email="priya@wessex.example.org", is_lead=True)
    PartnerFactory(name="=cmd|' /C calc'!A0", kind="industry")  # a name a spreadsheet would run
    stream = io.StringIO()
    directory_export(stream)
    exported = stream.getvalue()
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [r["organisation_name"] for r in rows] == ["'=cmd|' /C calc'!A0", "Health Innovation Wessex"]
    assert rows[1]["hubs"] == "DOR;MAN" and rows[1]["support_needs"] == "evaluation;funding"
    assert rows[1]["referral_contacts"] == "Priya Natarajan <priya@wessex.example.org>"

    result = directory_import(text=exported)
    assert result.ok, [str(e) for e in result.errors]
    assert (result.partners_created, result.partners_updated, result.services_created, result.services_updated,
            result.contacts_created) == (0, 0, 0, 0, 0)
    assert Partner.objects.filter(name="=cmd|' /C calc'!A0").exists()
    again = io.StringIO()
    directory_export(again)
    assert again.getvalue() == exported


@pytest.mark.django_db
def test_an_import_updates_by_id_and_never_deletes(hub):
    wessex = PartnerFactory(name="Wessex AHSN", kind="hin", hubs=[hub])
    old_service = PartnerServiceFactory(partner=wessex, name="Old service")
    text = ("organisation_id,organisation_name,organisation_type,service_name,support_needs\n"
            f"{wessex.public_id},Health Innovation Wessex,hin,New service,adoption\n")
    result = directory_import(text=text)
    assert result.ok
    assert (result.partners_updated, result.services_created) == (1, 1)
    wessex.refresh_from_db()
    assert wessex.name == "Health Innovation Wessex"
    assert set(wessex.services.values_list("name", flat=True)) == {"Old service", "New service"}
    assert list(wessex.hubs.all()) == [hub]  # no hubs column: hubs left as they were
    assert PartnerService.objects.filter(pk=old_service.pk).exists()


@pytest.mark.django_db
def test_an_unknown_id_is_an_error(hub):
    text = ("organisation_id,organisation_name,organisation_type\n"
            "00000000-0000-0000-0000-000000000000,Wessex,hin\n")
    assert [str(e) for e in directory_import(text=text).errors] == [
        "Row 2, organisation_id: no organisation has this id; leave it blank to add a new one"]


@pytest.mark.django_db
def test_renaming_onto_another_organisations_name_is_an_error(hub):
    PartnerFactory(name="Bournemouth University", kind="university")
    wessex = PartnerFactory(name="Wessex", kind="hin")
    text = f"organisation_id,organisation_name,organisation_type\n{wessex.public_id},bournemouth university,hin\n"
    assert [str(e) for e in directory_import(text=text).errors] == [
        "Row 2, organisation_name: another organisation in the directory already has this name"]


# --- In Django admin --------------------------------------------------------------------------------

@pytest.fixture
def admin_client(client, db):
    from tests.conftest import sign_in_staff
    from tests.factories import UserFactory

    admin = UserFactory(email="admin@example.nhs.uk", is_staff=True, is_superuser=True)
    return sign_in_staff(client, admin)


@pytest.mark.django_db
def test_admin_imports_a_csv_and_says_what_it_did(admin_client, hub):
    upload = SimpleUploadedFile("directory.csv", _csv("Wessex,hin,DOR,,Evaluation,evaluation,,,,").encode(),
                                content_type="text/csv")
    response = admin_client.post("/admin/partners/partner/import/", {"file": upload}, follow=True)
    assert "Directory imported: 1 organisations added" in response.content.decode()
    assert Partner.objects.get().name == "Wessex"


@pytest.mark.django_db
def test_admin_shows_every_row_error_and_imports_nothing(admin_client, hub):
    upload = SimpleUploadedFile("directory.csv", _csv("Wessex,hin,DOR,,Evaluation,evaluation,,,,",
                                                      "Bad,nope,DOR,,,,,,,").encode(), content_type="text/csv")
    response = admin_client.post("/admin/partners/partner/import/", {"file": upload})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was imported" in body and "Row 3, organisation_type" in body
    assert Partner.objects.count() == 0


@pytest.mark.django_db
def test_admin_refuses_a_file_that_is_not_csv(admin_client):
    upload = SimpleUploadedFile("directory.xlsx", b"PK\x03\x04", content_type="application/octet-stream")
    response = admin_client.post("/admin/partners/partner/import/", {"file": upload})
    assert response.status_code == 400
    assert "The selected file must be a CSV file" in response.content.decode()


@pytest.mark.django_db
def test_admin_exports_the_directory(admin_client, hub):
    PartnerFactory(name="Wessex", kind="hin", hubs=[hub])
    response = admin_client.get("/admin/partners/partner/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment; filename=\"directory-" in response["Content-Disposition"]
    assert response.content.decode().splitlines()[0] == ",".join(COLUMNS)


@pytest.mark.django_db
def test_admin_refuses_deleting_a_partner_with_referrals(admin_client, submitter, hub, hub_lead):
    from signposting import services
    from tests.factories import SubmittedFactory

    wessex = PartnerFactory(name="Wessex", kind="hin", hubs=[hub])
    PartnerContactFactory(partner=wessex)
    services.referral_send(inquiry=SubmittedFactory(submitter=submitter, hub=hub), partner=wessex, by=hub_lead)
    page = admin_client.get(f"/admin/partners/partner/{wessex.pk}/delete/")
    assert "Cannot delete partner" in page.content.decode()
    assert "protected related objects" in page.content.decode()
    assert "to Wessex" in page.content.decode()  # the referral that protects it is named
    admin_client.post(f"/admin/partners/partner/{wessex.pk}/delete/", {"post": "yes"})
    assert Partner.objects.filter(pk=wessex.pk).exists()


@pytest.mark.django_db
def test_the_import_and_export_are_for_administrators_only(client, hub_lead, hub):
    from tests.conftest import sign_in_staff

    sign_in_staff(client, hub_lead)  # hub staff, not an administrator
    for url in ("/admin/partners/partner/import/", "/admin/partners/partner/export/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("row, column, message", [
    ("Wessex\x00,hin,DOR,,,,,,,", "organisation_name", "contains a NUL character"),
    ("Wessex,hin,DOR,,Evaluation,evaluation,,,Priya <priya\x00@wessex.example.org>,", "referral_contacts",
     "contains a NUL character"),
    ("Wessex,hin,DOR,https://example.org/" + "a" * 300 + ",,,,,,", "organisation_website",
     "is 320 characters long; the most allowed is 200"),
    ("Wessex,hin,DOR,,,,,,,Priya " + "N" * 250 + " <priya@wessex.example.org>", "lead_contact",
     "the most allowed is 200"),
    ("Wessex,hin,DOR,,,,,,,Priya <" + "p" * 60 + "@" + ("w" * 60 + ".") * 4 + "org>", "lead_contact",
     "the most allowed is 254"),
])
def test_a_nul_or_over_long_cell_is_a_row_error_and_changes_nothing(hub, row, column, message):
    result = directory_import(text=_csv(row))
    assert len(result.errors) == 1, [str(e) for e in result.errors]
    [error] = result.errors
    assert (error.row, error.column) == (2, column)
    assert message in error.message
    assert not Partner.objects.exists() and not PartnerContact.objects.exists()


@pytest.mark.django_db
def test_a_cell_larger_than_the_csv_reader_takes_is_a_file_error(hub):
    result = directory_import(text=_csv("Wessex,hin,DOR,,,,,,,\"" + "x" * 200_000 + "\""))
    assert [str(e) for e in result.errors] == ["Row 2: has a cell longer than 131072 characters"]
    assert not Partner.objects.exists()


@pytest.mark.django_db
def test_admin_reports_a_nul_cell_instead_of_failing(admin_client, hub):
    upload = SimpleUploadedFile("directory.csv", _csv("Wessex\x00,hin,DOR,,,,,,,").encode(), content_type="text/csv")
    response = admin_client.post("/admin/partners/partner/import/", {"file": upload})
    assert response.status_code == 400
    assert "Row 2, organisation_name: contains a NUL character" in response.content.decode()
    assert not Partner.objects.exists()
