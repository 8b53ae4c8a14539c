"""The "Arrived by email" queue and the mailbox settings, as hub staff use them."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from hubportal.models import EmailLink, OutboundEmail, User
from hubportal.testing import sign_in_staff
from intake.mailbox import mailbox_password_decrypt
from intake.models import HubMailbox, Inquiry, InquiryEvent, MailboxAttachment, MailboxMessage
from tests.factories import SubmittedFactory

pytestmark = pytest.mark.django_db
H = "dorset"


@pytest.fixture
def mailbox(hub):
    return HubMailbox.objects.create(hub=hub, host="imap.example.nhs.uk", username="dorset.hub",
                                     password_encrypted="")


@pytest.fixture
def email(hub, mailbox):
    message = MailboxMessage.objects.create(
        mailbox=mailbox, hub=hub, uid_validity=7, uid=1, message_id="m1@example.org",
        sender_name="Alex Carter", sender_email="alex.carter@nhs.net", subject="Remote monitoring for COPD",
        body_text="<script>alert('x')</script>\nWe would like to try remote monitoring.")
    attachment = MailboxAttachment(message=message, original_name="plan.pdf", content_type="application/pdf",
                                   size=8, stored_name="abc.pdf")
    attachment.file.save("abc.pdf", ContentFile(b"%PDF-1.4"), save=True)
    MailboxAttachment.objects.create(message=message, original_name="run.exe", size=3,
                                     refused_reason="Not a PDF, judged by its content")
    return message


@pytest.fixture
def member_client(client, hub_member):
    return sign_in_staff(client, hub_member)


def _url(name, message=None):
    return reverse(f"intake:{name}", args=[H, message.public_id] if message else [H])


def test_the_queue_lists_waiting_emails_and_the_dashboard_counts_them(lead_client, email, mailbox, hub):
    MailboxMessage.objects.create(mailbox=mailbox, hub=hub, uid_validity=7, uid=2, subject="An auto-reply",
                                  kind="automatic", status="ignored")

    page = lead_client.get(_url("staff_mailbox")).content.decode()
    dashboard = lead_client.get(reverse("intake:staff_dashboard", args=[H])).content.decode()

    assert "Remote monitoring for COPD" in page and "An auto-reply" not in page
    assert "Arrived by email: 1" in dashboard and "Remote monitoring for COPD" in dashboard


def test_the_email_text_is_shown_escaped_never_as_html(lead_client, email):
    page = lead_client.get(_url("staff_mailbox_message", email)).content.decode()

    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "run.exe" in page and "Not a PDF, judged by its content" in page


def test_recording_an_email_makes_a_submitted_inquiry_and_sends_the_acknowledgement_and_a_sign_in_link(
        member_client, email, hub, hub_member):
    response = member_client.post(_url("staff_mailbox_record", email), {
        "email": "Alex.Carter@nhs.net", "contact_name": "Alex Carter", "organisation": "Poole Hospital",
        "kind_of_help": "adopt_proven", "title": "Remote monitoring for COPD",
        "problem": "We would like to try remote monitoring."})

    inquiry = Inquiry.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(inquiry.reference + "/")
    assert (inquiry.status, inquiry.source, inquiry.hub) == ("submitted", "email", hub)
    assert inquiry.submitter == User.objects.get(email="alex.carter@nhs.net")
    assert inquiry.reference.startswith("DOR-") and inquiry.triage_due_on is not None
    assert inquiry.consent_share_with_partners is None
    event = inquiry.events.get(kind=InquiryEvent.Kind.RECORDED_FROM_EMAIL)
    assert event.actor == hub_member and event.is_visible_to_submitter
    email.refresh_from_db()
    assert (email.status, email.inquiry, email.decided_by) == ("recorded", inquiry, hub_member)
    assert [a.original_name for a in inquiry.attachments.all()] == ["plan.pdf"]
    assert inquiry.attachments.get().file.read() == b"%PDF-1.4"
    sent = {row.template: row for row in OutboundEmail.objects.filter(to="alex.carter@nhs.net")}
    assert set(sent) == {"inquiry_acknowledgement", "sign_in_link"}
    link = EmailLink.objects.get(email="alex.carter@nhs.net")
    assert link.next_path == reverse("intake:inquiry_detail", args=[inquiry.public_id])


def test_recording_refuses_an_nhs_number_as_the_journey_does_and_keeps_what_was_typed(lead_client, email):
    response = lead_client.post(_url("staff_mailbox_record", email), {
        "email": "alex.carter@nhs.net", "contact_name": "Alex Carter", "kind_of_help": "problem",
        "title": "Patient 943 476 5919", "problem": "Details"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Remove the NHS number" in page and "nhsuk-error-summary" in page and "Details" in page
    assert Inquiry.objects.count() == 0 and OutboundEmail.objects.count() == 0


def test_an_email_is_recorded_once_even_when_two_people_press_at_once(lead_client, email, hub_member):
    from intake.mailbox import MailboxMessageDecided, mailbox_message_record

    answers = {"contact_name": "Alex", "organisation": "", "kind_of_help": "problem", "title": "T", "problem": "P"}
    mailbox_message_record(message=email, by=hub_member, email="alex.carter@nhs.net", answers=answers)
    stale = MailboxMessage.objects.get(pk=email.pk)
    stale.status = "waiting"  # the second person's page was loaded before the first pressed
    with pytest.raises(MailboxMessageDecided):
        mailbox_message_record(message=stale, by=hub_member, email="alex.carter@nhs.net", answers=answers)
    assert Inquiry.objects.count() == 1


def test_attaching_an_email_to_an_open_inquiry_of_the_hub(lead_client, email, hub, hub_lead):
    inquiry = SubmittedFactory(hub=hub, reference="DOR-2026-00007")

    response = lead_client.post(_url("staff_mailbox_attach", email), {"reference": "dor-2026-00007"})

    assert response.status_code == 302
    email.refresh_from_db()
    assert (email.status, email.inquiry, email.decided_by) == ("attached", inquiry, hub_lead)
    assert not inquiry.events.get(kind=InquiryEvent.Kind.EMAIL_RECEIVED).is_visible_to_submitter
    detail = lead_client.get(reverse("intake:staff_inquiry", args=[H, inquiry.reference])).content.decode()
    assert "Remote monitoring for COPD" in detail


@pytest.mark.parametrize("status,reference,error", [
    ("submitted", "MAN-2026-00001", "No inquiry of this hub has that reference"),
    ("closed", "DOR-2026-00008", "That inquiry is closed"),
])
def test_attaching_refuses_another_hubs_or_a_closed_inquiry(
        lead_client, email, hub, other_hub, status, reference, error):
    SubmittedFactory(hub=other_hub, reference="MAN-2026-00001")
    SubmittedFactory(hub=hub, reference="DOR-2026-00008", status="closed", outcome="withdrawn")

    response = lead_client.post(_url("staff_mailbox_attach", email), {"reference": reference})

    assert response.status_code == 400 and error in response.content.decode()
    email.refresh_from_db()
    assert (email.status, email.inquiry) == ("waiting", None)


def test_dismissing_needs_a_reason(lead_client, email, hub_lead):
    refused = lead_client.post(_url("staff_mailbox_dismiss", email), {"reason": ""})
    assert refused.status_code == 400 and "Enter why you are dismissing this email" in refused.content.decode()

    lead_client.post(_url("staff_mailbox_dismiss", email), {"reason": "Spam"})

    email.refresh_from_db()
    assert (email.status, email.dismiss_reason, email.decided_by) == ("dismissed", "Spam", hub_lead)


def test_another_hubs_lead_gets_404_for_every_email_page_and_changes_nothing(other_lead_client, email):
    for name, method in [("staff_mailbox_message", "get"), ("staff_mailbox_record", "post"),
                         ("staff_mailbox_attach", "post"), ("staff_mailbox_dismiss", "post")]:
        url = reverse(f"intake:{name}", args=["manchester", email.public_id])
        assert getattr(other_lead_client, method)(url, {"reason": "x"}).status_code == 404, name
    email.refresh_from_db()
    assert email.status == "waiting"


def test_the_hub_lead_saves_the_mailbox_settings_and_the_password_is_never_shown_back(lead_client, hub):
    data = {"host": "outlook.office365.com", "port": "993", "security": "tls", "username": "dorset@nhs.net",
            "password": "app-password-123", "folder": "INBOX", "after_import": "move",
            "move_to_folder": "Done", "is_enabled": "on"}

    assert lead_client.post(_url("staff_mailbox_settings"), data).status_code == 302

    mailbox = HubMailbox.objects.get(hub=hub)
    assert (mailbox.host, mailbox.after_import, mailbox.move_to_folder) == ("outlook.office365.com", "move", "Done")
    assert "app-password-123" not in mailbox.password_encrypted
    assert mailbox_password_decrypt(mailbox.password_encrypted) == "app-password-123"
    page = lead_client.get(_url("staff_mailbox_settings")).content.decode()
    assert "app-password-123" not in page and mailbox.password_encrypted not in page
    # Saving again without a password keeps the stored one.
    lead_client.post(_url("staff_mailbox_settings"), {**data, "password": "", "folder": "Inquiries"})
    mailbox.refresh_from_db()
    assert mailbox.folder == "Inquiries" and mailbox_password_decrypt(mailbox.password_encrypted) == "app-password-123"


def test_the_settings_form_says_what_is_missing(lead_client, hub):
    response = lead_client.post(_url("staff_mailbox_settings"), {
        "host": "", "port": "x", "security": "tls", "username": "u", "folder": "INBOX",
        "after_import": "move", "move_to_folder": ""})

    page = response.content.decode()
    assert response.status_code == 400 and "nhsuk-error-summary" in page
    for error in ("Enter the IMAP server", "Enter the port as a number", "Enter the mailbox",
                  "Enter the folder to move imported emails to"):
        assert error in page.replace("&#x27;", "'"), error
    assert not HubMailbox.objects.exists()


def test_a_hub_member_sees_the_settings_read_only_and_cannot_change_them(member_client, mailbox):
    page = member_client.get(_url("staff_mailbox_settings")).content.decode()
    assert "Only the hub" in page and "imap.example.nhs.uk" in page and "<form method=\"post\" novalidate>" not in page

    response = member_client.post(_url("staff_mailbox_settings"), {
        "host": "evil.example.org", "port": "993", "security": "tls", "username": "u", "password": "p",
        "folder": "INBOX", "after_import": "mark"})

    assert response.status_code == 404
    mailbox.refresh_from_db()
    assert mailbox.host == "imap.example.nhs.uk"
