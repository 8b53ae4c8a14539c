"""Subject access (the archive by single-use link, and by command for a letter) and erasure (asked by
the person, approved by the hub lead, referrals closed and partners told, staff deactivated)."""

import io
import json
import re
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse

from hubportal.models import DataExport, EmailLink, ErasureRequest, OutboundEmail, User
from hubportal.personal_data import erasure_request_approve, erasure_request_create
from intake.models import Attachment, InformationRequest, Inquiry, InquiryAccess, InquiryEvent
from intake.services import inquiry_set_legal_hold
from signposting.models import Referral, ReferralQuestion
from signposting.services import referral_send
from tests.factories import DraftFactory


@pytest.fixture
def evidence(inquiry):
    attachment = Attachment(inquiry=inquiry, uploaded_by=inquiry.submitter, original_name="pilot results.pdf",
                            stored_name="abc123.pdf", content_type="application/pdf", size=13)
    attachment.file.save("abc123.pdf", ContentFile(b"%PDF-1.4 data"), save=True)
    return attachment


def _archive(content):
    archive = zipfile.ZipFile(io.BytesIO(content))
    return json.loads(archive.read("data.json")), archive


def _link_from(message):
    return re.search(r"/account/your-data/link/([^/\s]+)/", message.body).group(1)


@pytest.mark.django_db
class TestDownload:
    def test_a_submitter_downloads_everything_once_through_the_emailed_link(
            self, submitter_client, submitter, inquiry, evidence, hub_lead, django_capture_on_commit_callbacks,
            outbox):
        InformationRequest.objects.create(inquiry=inquiry, requested_by=hub_lead, question="Which ward?",
                                          answer="Ward 7")
        InquiryEvent.objects.create(inquiry=inquiry, kind="note_added", actor=hub_lead, is_visible_to_submitter=False)
        InquiryEvent.objects.create(inquiry=inquiry, kind="review_started", actor=hub_lead)
        OutboundEmail.objects.create(key="ack", to=submitter.email, template="inquiry_acknowledgement",
                                     context={}, status="sent")
        InquiryAccess.objects.create(inquiry=inquiry, actor_kind="staff", user=hub_lead, who="Sarah Whitfield",
                                     what="Case page", ip="10.0.0.1")
        with django_capture_on_commit_callbacks(execute=True):
            response = submitter_client.post(reverse("hubportal:data_export"))
        assert response.status_code == 302
        export = DataExport.objects.get()
        assert (export.user, export.via, export.status) == (submitter, "account", "ready")
        email = OutboundEmail.objects.get(template="data_export_ready")
        assert email.to == submitter.email and email.has_secret and email.status == "sent"
        assert email.context == {}  # the link is a secret: wiped once sent
        [message] = [m for m in outbox if m.to == [submitter.email]]
        token = _link_from(message)
        link = EmailLink.objects.get(purpose="data_export")
        assert link.subject_ref == str(export.public_id)

        page = submitter_client.get(reverse("hubportal:data_export_link", args=[token]))
        assert page.status_code == 200 and DataExport.objects.get().downloaded_at is None
        download = submitter_client.post(reverse("hubportal:data_export_link", args=[token]))
        assert download.status_code == 200
        assert download["Content-Disposition"].startswith('attachment; filename="your-data.zip"')
        data, archive = _archive(b"".join(download.streaming_content))
        assert DataExport.objects.get().status == "downloaded"

        record = data["inquiries"]["inquiries"][0]
        assert record["reference"] == "DOR-2026-00001"
        assert "Virtual ward pilot" in json.dumps(record["answers"])
        assert record["messages"] == [{"question_from_the_hub": "Which ward?", "asked_at": record["messages"][0]["asked_at"],
                                       "your_answer": "Ward 7", "answered_at": None}]
        kinds = [line["what"] for line in record["timeline"]]
        assert "The hub started reviewing your inquiry" in kinds and "Internal note added" not in kinds
        assert archive.read("files/DOR-2026-00001/pilot results.pdf") == b"%PDF-1.4 data"
        [seen] = data["inquiries"]["who_saw_your_inquiries"]
        assert (seen["inquiry"], seen["who"], seen["what"]) == ("DOR-2026-00001", "Sarah Whitfield", "Case page")
        assert data["account"]["account"]["email"] == submitter.email
        from hubportal.digests import DEFAULT_FREQUENCY

        assert data["account"]["account"]["digest_frequency"] == DEFAULT_FREQUENCY["submitter"]
        assert [e["template"] for e in data["account"]["emails_sent_to_you"]] == ["inquiry_acknowledgement"]

        again = submitter_client.post(reverse("hubportal:data_export_link", args=[token]))
        assert again.status_code == 410

    def test_a_link_for_someone_elses_archive_downloads_nothing(self, client, submitter, other_submitter, inquiry):
        from hubportal.services import email_link_create

        export = DataExport.objects.create(user=submitter, email=submitter.email, status="ready")
        export.file.save("x.zip", ContentFile(b"PK"), save=True)
        token = email_link_create(purpose="data_export", email=other_submitter.email,
                                  subject_ref=str(export.public_id)).raw_token
        response = client.post(reverse("hubportal:data_export_link", args=[token]))
        assert response.status_code == 404
        assert DataExport.objects.get().downloaded_at is None


@pytest.mark.django_db
def test_the_command_writes_a_partner_contacts_and_a_staff_members_data_for_a_letter(
        tmp_path, inquiry, partner, partner_contact, hub_lead):
    referral = referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
    ReferralQuestion.objects.create(referral=referral, asked_by=partner_contact, asked_by_name=partner_contact.name,
                                    asked_by_email=partner_contact.email, body="Is there a budget?")
    output = tmp_path / "priya.zip"
    call_command("subject_access_export", "Priya@Wessex.example.org", "--output", str(output), stdout=io.StringIO())
    data, _ = _archive(output.read_bytes())
    assert data["partner_contact"][0]["name"] == "Priya Natarajan"
    assert data["referrals"]["questions_you_asked_as_a_partner"][0]["question"] == "Is there a budget?"
    assert DataExport.objects.get(email="priya@wessex.example.org").via == "letter"

    output = tmp_path / "lead.zip"
    call_command("subject_access_export", hub_lead.email, "--output", str(output), stdout=io.StringIO())
    data, _ = _archive(output.read_bytes())
    assert data["account"]["hub_memberships"] == [{"hub": "Dorset Innovation Hub", "role": "Hub lead",
                                                   "since": data["account"]["hub_memberships"][0]["since"]}]
    # The lead's referral is on the timeline as the routing it caused (one line per thing that happened).
    assert ("DOR-2026-00001", "Routed to partner organisations") in [
        (action["inquiry"], action["what"]) for action in data["inquiries"]["staff_actions"]]


@pytest.mark.django_db
class TestErasure:
    def test_the_hub_lead_sees_what_would_be_kept_and_why_then_approves(
            self, submitter, inquiry, evidence, partner, partner_contact, hub_lead, lead_client,
            hub, django_capture_on_commit_callbacks):
        from django.test import Client

        submitter_client = Client()
        submitter_client.force_login(submitter)
        referral = referral_send(inquiry=inquiry, partner=partner, by=hub_lead)
        held = DraftFactory(submitter=submitter, hub=hub, title="Held draft")
        inquiry_set_legal_hold(inquiry=held, by=hub_lead, reason="Claim CL-42 open")
        draft = DraftFactory(submitter=submitter, hub=hub, title="Plain draft")
        path = evidence.file.path

        response = submitter_client.post(reverse("hubportal:erasure_request"))
        assert response.status_code == 302
        request = ErasureRequest.objects.get()
        assert (request.hub, request.status, request.email) == (hub, "pending", "jo.bloggs@nhs.net")
        assert OutboundEmail.objects.get(template="erasure_requested").to == hub_lead.email

        # A lead reads the plan in the apps' own words.
        page = lead_client.get(reverse("hubportal:staff_erasure_request", args=[hub.slug, request.public_id]))
        text = page.content.decode()
        assert "Under legal hold: Claim CL-42 open" in text
        assert "Health Innovation Wessex is told the referral is closed" in text
        assert "It is closed as withdrawn" in text

        inquiry.refresh_from_db()
        responded, decided = inquiry.first_response_at, inquiry.decided_at
        with django_capture_on_commit_callbacks(execute=True):
            response = lead_client.post(reverse("hubportal:staff_erasure_request", args=[hub.slug, request.public_id]))
        assert response.status_code == 302

        inquiry.refresh_from_db()
        assert inquiry.status == "closed" and inquiry.outcome == "withdrawn" and inquiry.anonymised_at
        assert inquiry.contact_name == "" and inquiry.problem == ""
        # Erasure is neither the hub's first response nor its decision: those figures do not move.
        assert (inquiry.first_response_at, inquiry.decided_at) == (responded, decided)
        referral.refresh_from_db()
        assert (referral.status, referral.close_reason) == ("closed", "inquiry_erased")
        closed_email = OutboundEmail.objects.get(template="referral_closed")
        assert closed_email.to == partner_contact.email
        assert not Attachment.objects.filter(pk=evidence.pk).exists()
        import os

        assert not os.path.exists(path)
        assert Inquiry.objects.filter(pk=held.pk, title="Held draft").exists()
        assert not Inquiry.objects.filter(pk=draft.pk).exists()
        user = User.objects.get(pk=submitter.pk)
        assert (user.email, user.full_name, user.is_active) == (f"erased-{user.pk}@erased.invalid", "", False)
        request.refresh_from_db()
        assert request.status == "done" and request.decided_by == hub_lead
        assert {"what": "Draft “Held draft”", "action": "kept", "why": "Under legal hold: Claim CL-42 open"} \
            in request.outcome

        again = lead_client.post(reverse("hubportal:staff_erasure_request", args=[hub.slug, request.public_id]))
        assert again.status_code == 302 and OutboundEmail.objects.filter(template="referral_closed").count() == 1

    def test_a_hub_member_can_neither_see_nor_approve_a_request(self, client, submitter, inquiry, hub_member, hub):
        from tests.conftest import sign_in_staff

        [request] = erasure_request_create(user=submitter)
        member = sign_in_staff(client, hub_member)
        url = reverse("hubportal:staff_erasure_request", args=[hub.slug, request.public_id])
        assert member.get(url).status_code == 404
        assert member.post(url).status_code == 404
        assert ErasureRequest.objects.get().status == "pending"
        assert Inquiry.objects.get(pk=inquiry.pk).anonymised_at is None

    def test_a_staff_account_is_deactivated_not_deleted_and_its_name_stays_on_timelines(
            self, hub, hub_member, hub_lead, inquiry):
        InquiryEvent.objects.create(inquiry=inquiry, kind="review_started", actor=hub_member)
        [request] = erasure_request_create(user=hub_member)
        erasure_request_approve(request=request, by=hub_lead)
        member = User.objects.get(pk=hub_member.pk)
        assert (member.email, member.full_name, member.is_active) == ("member.dorset@example.nhs.uk",
                                                                      "Priya Patel", False)
        assert InquiryEvent.objects.get(kind="review_started").actor == member

    def test_someone_with_nothing_at_any_hub_is_erased_at_once(self, client, db):
        person = User.objects.create_user("lonely@nhs.net", full_name="Lee Lonely")
        client.force_login(person)
        response = client.post(reverse("hubportal:erasure_request"))
        assert response.status_code == 200
        person.refresh_from_db()
        assert (person.full_name, person.is_active) == ("", False)
        assert ErasureRequest.objects.get().status == "done"


@pytest.mark.django_db
def test_the_privacy_page_states_each_hubs_schedule_as_configured(client, hub, other_hub):
    other_hub.retain_closed_months = 36
    other_hub.save()
    text = client.get(reverse("hubportal:privacy")).content.decode()
    dorset = text.split("Dorset Innovation Hub")[1].split("</ul>")[0]
    manchester = text.split("Manchester Innovation Hub")[1].split("</ul>")[0]
    assert "Closed inquiries anonymised: 24 months after closing" in dorset
    assert "Closed inquiries anonymised: 36 months after closing" in manchester
    assert "Unfinished drafts deleted: 90 days after the last change" in dorset
    assert "legitimate interest" in text


@pytest.mark.django_db
def test_only_the_hub_lead_changes_the_schedule(client, hub, hub_member, hub_lead):
    from tests.conftest import sign_in_staff

    url = reverse("hubportal:staff_retention", args=[hub.slug])
    member = sign_in_staff(client, hub_member)
    assert member.get(url).status_code == 200
    assert member.post(url, {"retain_closed_months": 1, "retain_drafts_days": 1, "retain_email_days": 1}
                       ).status_code == 404
    lead = sign_in_staff(client, hub_lead)
    bad = lead.post(url, {"retain_closed_months": 0, "retain_drafts_days": 30, "retain_email_days": 7})
    assert bad.status_code == 400
    assert lead.post(url, {"retain_closed_months": 12, "retain_drafts_days": 30, "retain_email_days": 7}
                     ).status_code == 302
    hub.refresh_from_db()
    assert (hub.retain_closed_months, hub.retain_drafts_days, hub.retain_email_days) == (12, 30, 7)


@pytest.mark.django_db
def test_only_the_hub_lead_sets_a_legal_hold(client, hub, hub_member, hub_lead, inquiry):
    from tests.conftest import sign_in_staff

    url = reverse("intake:staff_inquiry_legal_hold", args=[hub.slug, inquiry.reference])
    assert sign_in_staff(client, hub_member).post(url, {"reason": "x"}).status_code == 404
    assert Inquiry.objects.get(pk=inquiry.pk).legal_hold_reason == ""
    assert sign_in_staff(client, hub_lead).post(url, {"action": "set", "reason": "Claim open"}).status_code == 302
    assert Inquiry.objects.get(pk=inquiry.pk).legal_hold_reason == "Claim open"
    assert Referral.objects.count() == 0
