"""The hub's mailbox, fetched from a real Dovecot on loopback (tests/mailserver.py)."""

import datetime as dt
import time

import pytest
import time_machine
from django.utils import timezone

from hubportal.models import HubMembership, OutboundEmail
from intake import mailbox as mailbox_module
from intake.mailbox import mailbox_fetch, mailbox_save
from intake.models import HubMailbox, InquiryEvent, MailboxAttachment, MailboxMessage
from tests.factories import SubmittedFactory

from .conftest import make_email
from .test_upload_scanning import PDF_WITH_EICAR, clamd, scanner_on_tcp  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def _seed(dovecot, account, count, **kwargs):
    return [dovecot.append(account, make_email(subject=f"Inquiry {n}", **kwargs)) for n in range(count)]


# --- New messages, duplicates, crashes -------------------------------------------------------------


def test_it_imports_new_messages_and_marks_them_read_on_the_server(hub, hub_mailbox, dovecot, imap_account):
    uids = _seed(dovecot, imap_account, 3)

    result = mailbox_fetch(mailbox_id=hub_mailbox.pk)

    assert (result.outcome, result.imported, result.duplicates) == ("done", 3, 0)
    messages = list(MailboxMessage.objects.order_by("uid"))
    assert [m.subject for m in messages] == ["Inquiry 0", "Inquiry 1", "Inquiry 2"]
    assert all(m.hub == hub and m.status == "waiting" and m.kind == "new" and m.marked_at for m in messages)
    assert messages[0].sender_email == "alex.carter@nhs.net" and messages[0].sender_name == "Alex Carter"
    assert messages[0].body_text == "We would like to try remote monitoring."
    flags = dovecot.flags(imap_account)
    assert all({"\\Seen", "FrontDoor"} <= flags[uid] for uid in uids)
    hub_mailbox.refresh_from_db()
    assert hub_mailbox.last_uid == max(uids) and hub_mailbox.uid_validity and hub_mailbox.fetch_lease_until is None
    assert hub_mailbox.last_fetch_at is not None and hub_mailbox.last_error == ""
    # Nothing is sent on import: an email is never answered automatically.
    assert OutboundEmail.objects.count() == 0


def test_a_second_fetch_imports_nothing_again_even_when_a_person_marks_a_message_unread(
        hub_mailbox, dovecot, imap_account):
    uids = _seed(dovecot, imap_account, 2)
    mailbox_fetch(mailbox_id=hub_mailbox.pk)
    with dovecot.client(imap_account) as imap:
        imap.select("INBOX")
        imap.uid("STORE", str(uids[0]), "-FLAGS", r"(\Seen FrontDoor)")

    again = mailbox_fetch(mailbox_id=hub_mailbox.pk)

    assert (again.imported, again.duplicates) == (0, 0)
    assert MailboxMessage.objects.count() == 2


def test_it_imports_only_the_new_message_on_the_next_fetch(hub_mailbox, dovecot, imap_account):
    _seed(dovecot, imap_account, 2)
    mailbox_fetch(mailbox_id=hub_mailbox.pk)
    dovecot.append(imap_account, make_email(subject="A later one"))

    result = mailbox_fetch(mailbox_id=hub_mailbox.pk)

    assert result.imported == 1
    assert MailboxMessage.objects.latest("uid").subject == "A later one"


class Crash(BaseException):
    """The worker dies (BaseException: nothing in the fetch may catch it)."""


def test_a_crash_between_import_and_marking_is_marked_by_the_next_fetch_and_never_imported_twice(
        hub_mailbox, dovecot, imap_account, monkeypatch):
    uids = _seed(dovecot, imap_account, 3)
    real_mark = mailbox_module._mark
    calls = []

    def mark_then_die(imap, mailbox, uid):
        calls.append(uid)
        if len(calls) == 2:
            raise Crash()  # the second message is imported (committed) but never marked
        real_mark(imap, mailbox, uid)

    monkeypatch.setattr(mailbox_module, "_mark", mark_then_die)
    with pytest.raises(Crash):
        mailbox_fetch(mailbox_id=hub_mailbox.pk)
    assert MailboxMessage.objects.count() == 2
    assert MailboxMessage.objects.get(uid=uids[1]).marked_at is None
    assert "\\Seen" not in dovecot.flags(imap_account)[uids[1]]
    monkeypatch.setattr(mailbox_module, "_mark", real_mark)

    result = mailbox_fetch(mailbox_id=hub_mailbox.pk)

    assert (result.outcome, result.imported, result.marked_after_crash) == ("done", 1, 1)
    assert sorted(MailboxMessage.objects.values_list("uid", flat=True)) == uids
    assert not MailboxMessage.objects.filter(marked_at__isnull=True).exists()
    assert all("\\Seen" in flags for flags in dovecot.flags(imap_account).values())


def test_two_overlapping_fetches_import_each_message_once(hub_mailbox, dovecot, imap_account, monkeypatch):
    """The first fetch stalls after its first import until its lease runs out; a second fetch runs
    whole in the middle. Each message is imported once, and all are marked."""
    uids = _seed(dovecot, imap_account, 4)
    real_mark = mailbox_module._mark
    second = {}

    def mark_but_stall_first(imap, mailbox, uid):
        if not second:
            second["started"] = True
            # The first fetch's lease has run out (a very slow fetch): another one takes the mailbox.
            HubMailbox.objects.filter(pk=mailbox.pk).update(fetch_lease_until=timezone.now() - dt.timedelta(seconds=1))
            second["result"] = mailbox_fetch(mailbox_id=mailbox.pk)
        real_mark(imap, mailbox, uid)

    monkeypatch.setattr(mailbox_module, "_mark", mark_but_stall_first)
    first = mailbox_fetch(mailbox_id=hub_mailbox.pk)

    assert second["result"].outcome == "done"
    assert first.imported + second["result"].imported == 4
    assert sorted(MailboxMessage.objects.values_list("uid", flat=True)) == uids
    assert not MailboxMessage.objects.filter(marked_at__isnull=True).exists()
    assert all("\\Seen" in flags for flags in dovecot.flags(imap_account).values())


def test_a_fetch_while_another_holds_the_mailbox_does_nothing_until_its_lease_runs_out(
        hub_mailbox, dovecot, imap_account):
    """A worker killed mid-fetch (no `finally` runs) leaves its lease: the mailbox waits that long."""
    _seed(dovecot, imap_account, 1)
    HubMailbox.objects.filter(pk=hub_mailbox.pk).update(fetch_lease_until=timezone.now() + dt.timedelta(minutes=10))

    assert mailbox_fetch(mailbox_id=hub_mailbox.pk).outcome == "busy"
    assert MailboxMessage.objects.count() == 0
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10, seconds=1), tick=False):
        assert mailbox_fetch(mailbox_id=hub_mailbox.pk).imported == 1


def test_the_same_message_id_at_a_new_uid_is_not_imported_twice(hub_mailbox, dovecot, imap_account):
    """A server that renumbers its folder (new UIDVALIDITY) or a copy of a message: same Message-ID."""
    raw = make_email(message_id="<same-message@mail.example.org>")
    dovecot.append(imap_account, raw)
    mailbox_fetch(mailbox_id=hub_mailbox.pk)
    # The server renumbered the folder: the fetch reads it again from UID 1.
    HubMailbox.objects.filter(pk=hub_mailbox.pk).update(uid_validity=1, last_uid=0)
    dovecot.append(imap_account, raw)

    result = mailbox_fetch(mailbox_id=hub_mailbox.pk)

    assert (result.imported, result.duplicates) == (0, 2)
    assert MailboxMessage.objects.count() == 1
    assert all("\\Seen" in flags for flags in dovecot.flags(imap_account).values())


def test_it_moves_messages_to_the_folder_the_hub_chose_after_importing_them(
        hub, hub_lead, hub_mailbox, dovecot, imap_account):
    mailbox_save(hub=hub, by=hub_lead, host="127.0.0.1", port=dovecot.imaps_port, security="tls",
                 username=imap_account.user, folder="INBOX", after_import="move",
                 move_to_folder="Imported by Front Door", is_enabled=True)
    _seed(dovecot, imap_account, 2)

    result = mailbox_fetch(mailbox_id=hub_mailbox.pk)

    assert result.imported == 2
    assert dovecot.flags(imap_account) == {}
    assert len(dovecot.flags(imap_account, folder="Imported by Front Door")) == 2


def test_it_connects_with_starttls_and_never_sends_the_password_in_the_clear(
        hub, hub_lead, hub_mailbox, dovecot, imap_account):
    mailbox_save(hub=hub, by=hub_lead, host="127.0.0.1", port=dovecot.imap_port, security="starttls",
                 username=imap_account.user, folder="INBOX", after_import="mark", move_to_folder="",
                 is_enabled=True)
    _seed(dovecot, imap_account, 1)

    assert mailbox_fetch(mailbox_id=hub_mailbox.pk).imported == 1
    assert "TLS" in dovecot.log().split(f"user=<{imap_account.user}>")[-1].splitlines()[0]


def test_it_refuses_a_server_whose_certificate_is_not_trusted_and_says_so(
        hub_mailbox, dovecot, imap_account, settings):
    settings.MAILBOX_CA_FILE = ""  # the system's authorities, which never signed the test certificate
    _seed(dovecot, imap_account, 1)

    result = mailbox_fetch(mailbox_id=hub_mailbox.pk)

    assert result.outcome == "failed"
    hub_mailbox.refresh_from_db()
    assert "certificate is not trusted" in hub_mailbox.last_error
    assert MailboxMessage.objects.count() == 0 and hub_mailbox.fetch_lease_until is None


def test_a_wrong_password_is_recorded_for_the_hub_lead(hub, hub_lead, hub_mailbox, dovecot, imap_account):
    mailbox_save(hub=hub, by=hub_lead, host="127.0.0.1", port=dovecot.imaps_port, security="tls",
                 username=imap_account.user, password="wrong", folder="INBOX", after_import="mark",
                 move_to_folder="", is_enabled=True)

    result = mailbox_fetch(mailbox_id=hub_mailbox.pk)

    assert result.outcome == "failed"
    assert "refused" in HubMailbox.objects.get().last_error


def test_the_password_is_stored_encrypted(hub_mailbox, imap_account):
    stored = HubMailbox.objects.values_list("password_encrypted", flat=True).get()
    assert imap_account.password not in stored
    assert mailbox_module.mailbox_password_decrypt(stored) == imap_account.password


# --- MIME edge cases -----------------------------------------------------------------------------------


def _fetch_one(dovecot, account, mailbox, raw):
    dovecot.append(account, raw)
    assert mailbox_fetch(mailbox_id=mailbox.pk).imported == 1
    return MailboxMessage.objects.get()


def test_nested_multipart_with_an_inline_image_and_a_pdf(hub_mailbox, dovecot, imap_account):
    raw = (
        b"From: Alex Carter <alex.carter@nhs.net>\r\nTo: hub@example.nhs.uk\r\nSubject: Nested\r\n"
        b"Message-ID: <nested@mail.example.org>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        b'--outer\r\nContent-Type: multipart/alternative; boundary="alt"\r\n\r\n'
        b"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe plain text, with a picture.\r\n"
        b'--alt\r\nContent-Type: multipart/related; boundary="rel"\r\n\r\n'
        b"--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>The <b>HTML</b> <img src=\"cid:pic\"></p>\r\n"
        b"--rel\r\nContent-Type: image/png\r\nContent-ID: <pic>\r\nContent-Disposition: inline\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + __import__("base64").encodebytes(PNG).replace(b"\n", b"\r\n")
        + b"--rel--\r\n--alt--\r\n"
        b'--outer\r\nContent-Type: application/pdf; name="plan.pdf"\r\nContent-Disposition: attachment; '
        b'filename="plan.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + __import__("base64").encodebytes(PDF).replace(b"\n", b"\r\n") + b"--outer--\r\n"
    )
    message = _fetch_one(dovecot, imap_account, hub_mailbox, raw)

    assert message.body_text == "The plain text, with a picture."
    files = {a.original_name: a for a in message.attachments.all()}
    assert set(files) == {"unnamed.png", "plan.pdf"}
    assert files["unnamed.png"].is_inline and files["unnamed.png"].content_type == "image/png"
    assert files["plan.pdf"].content_type == "application/pdf" and not files["plan.pdf"].refused_reason
    assert files["plan.pdf"].file.read() == PDF


def test_html_only_mail_becomes_safe_text(hub_mailbox, dovecot, imap_account):
    raw = (b"From: a@nhs.net\r\nSubject: HTML\r\nMessage-ID: <html@x>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/html; charset=utf-8\r\n\r\n"
           b"<html><head><style>p{color:red}</style><script>alert('x')</script></head>"
           b"<body><p>Hello &amp; welcome</p><ul><li>One</li><li>Two &lt;b&gt;</li></ul>"
           b"<img src=x onerror=alert(1)></body></html>\r\n")
    message = _fetch_one(dovecot, imap_account, hub_mailbox, raw)

    assert message.body_text == "Hello & welcome\n\n- One\n- Two <b>"
    assert "alert" not in message.body_text and "color" not in message.body_text


@pytest.mark.parametrize("charset,text", [
    ("iso-8859-1", "Café in Bournemouth, 5 °C"),
    ("windows-1252", "“Smart quotes” – and a €"),
    ("shift_jis", "日本語のメール"),
    ("koi8-r", "Привет"),
])
def test_non_utf8_charsets_are_read(hub_mailbox, dovecot, imap_account, charset, text):
    raw = (f"From: a@nhs.net\r\nSubject: =?{charset}?b?".encode()
           + __import__("base64").b64encode(text.encode(charset)) + b"?=\r\nMessage-ID: <cs@x>\r\n"
           + f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset={charset}\r\n"
             "Content-Transfer-Encoding: 8bit\r\n\r\n".encode() + text.encode(charset) + b"\r\n")
    message = _fetch_one(dovecot, imap_account, hub_mailbox, raw)

    assert message.subject == text
    assert message.body_text == text


def test_an_unknown_charset_is_read_as_best_it_can_be_and_noted(hub_mailbox, dovecot, imap_account):
    raw = (b"From: a@nhs.net\r\nSubject: Odd\r\nMessage-ID: <odd@x>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nPlain words\r\n")
    message = _fetch_one(dovecot, imap_account, hub_mailbox, raw)

    assert message.body_text == "Plain words"
    assert "character set" in message.parse_notes


def test_a_malformed_header_does_not_stop_the_import(hub_mailbox, dovecot, imap_account):
    raw = (b"From: \"Unclosed <broken@@nhs..net\r\nSubject: =?utf-8?q?half=E2=80\r\n"
           b"Date: not a date\r\nMessage-ID: <malformed@x>\r\nThis line is not a header\r\n"
           b"Content-Type: text/plain; charset=\"utf-8\r\n\r\nStill here\r\n")
    dovecot.append(imap_account, raw)
    other = dovecot.append(imap_account, make_email(subject="The next one"))

    result = mailbox_fetch(mailbox_id=hub_mailbox.pk)

    assert result.imported == 2
    broken = MailboxMessage.objects.get(message_id="malformed@x")
    assert broken.sent_at is None and "Date" in broken.parse_notes
    assert MailboxMessage.objects.get(uid=other).subject == "The next one"


def test_a_20_mb_message_is_imported_and_its_too_large_attachment_listed_as_refused(
        hub_mailbox, dovecot, imap_account):
    big = PDF + b"0" * (20 * 1024 * 1024)
    raw = make_email(subject="Big evidence pack", attachments=[("evidence.pdf", "application", "pdf", big)])
    assert len(raw) > 20 * 1024 * 1024

    message = _fetch_one(dovecot, imap_account, hub_mailbox, raw)

    assert message.size >= len(raw)  # the server stores CRLF line ends
    attachment = message.attachments.get()
    assert attachment.original_name == "evidence.pdf" and attachment.size == len(big)
    assert attachment.refused_reason.startswith("Larger than") and not attachment.file


def test_attachments_are_judged_by_their_content_not_their_name(hub_mailbox, dovecot, imap_account):
    raw = make_email(attachments=[("report.pdf", "application", "pdf", b"MZ\x90\x00 not a pdf at all"),
                                  ("notes.txt", "text", "plain", b"Some notes")])
    message = _fetch_one(dovecot, imap_account, hub_mailbox, raw)

    refused = {a.original_name: a.refused_reason for a in message.attachments.all()}
    assert set(refused) == {"report.pdf", "notes.txt"}
    assert all("judged by its content" in reason for reason in refused.values())
    assert not MailboxAttachment.objects.exclude(file="").exists()


def test_an_attachment_clamd_finds_a_virus_in_is_refused_and_its_bytes_not_kept(
        hub_mailbox, dovecot, imap_account, scanner_on_tcp):  # noqa: F811 - the fixture
    raw = make_email(attachments=[("plan.pdf", "application", "pdf", PDF_WITH_EICAR),
                                  ("clean.pdf", "application", "pdf", PDF)])
    message = _fetch_one(dovecot, imap_account, hub_mailbox, raw)

    refused = {a.original_name: a.refused_reason for a in message.attachments.all()}
    assert refused == {"plan.pdf": "It contains a virus", "clean.pdf": ""}
    assert list(MailboxAttachment.objects.exclude(file="").values_list("original_name", flat=True)) == ["clean.pdf"]


def test_an_email_with_an_nhs_number_is_flagged(hub_mailbox, dovecot, imap_account):
    message = _fetch_one(dovecot, imap_account, hub_mailbox,
                         make_email(body="About my patient, NHS number 943 476 5919, who ..."))
    assert message.has_nhs_number


# --- Replies and automatic mail --------------------------------------------------------------------------


def _sent_acknowledgement(inquiry):
    return OutboundEmail.objects.create(
        key=f"inquiry:{inquiry.pk}:acknowledgement", to=inquiry.submitter.email, template="inquiry_acknowledgement",
        hub=inquiry.hub, status=OutboundEmail.Status.SENT, message_id="<0123abcd@frontdoor.example.nhs.uk>")


def test_a_reply_to_our_email_is_attached_to_its_inquiry_and_not_answered(hub, hub_mailbox, dovecot, imap_account):
    inquiry = SubmittedFactory(hub=hub)
    _sent_acknowledgement(inquiry)
    raw = make_email(subject="Re: Your inquiry", body="Thanks, here is more detail.",
                     headers={"In-Reply-To": "<0123abcd@frontdoor.example.nhs.uk>",
                              "References": "<0123abcd@frontdoor.example.nhs.uk>"})

    message = _fetch_one(dovecot, imap_account, hub_mailbox, raw)

    assert (message.kind, message.status, message.inquiry) == ("reply", "attached", inquiry)
    event = inquiry.events.get(kind=InquiryEvent.Kind.EMAIL_RECEIVED)
    assert not event.is_visible_to_submitter and "Re: Your inquiry" in event.description
    assert OutboundEmail.objects.count() == 1  # only the acknowledgement: nothing was sent back


def test_a_reply_to_another_hubs_inquiry_is_not_attached_to_it(hub, other_hub, hub_mailbox, dovecot, imap_account):
    inquiry = SubmittedFactory(hub=other_hub)
    _sent_acknowledgement(inquiry)
    raw = make_email(headers={"References": "<0123abcd@frontdoor.example.nhs.uk>"})

    message = _fetch_one(dovecot, imap_account, hub_mailbox, raw)

    assert (message.kind, message.status, message.inquiry) == ("new", "waiting", None)


@pytest.mark.parametrize("headers,reason", [
    ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
    ({"Precedence": "bulk"}, "Precedence: bulk"),
    ({"Return-Path": "<>"}, "Return-Path <> (a bounce)"),
    ({"List-Id": "Innovation news <news.lists.example.org>"}, "Mailing list (List-Id)"),
    ({"X-Autoreply": "yes"}, "Auto-reply (X-Autoreply)"),
])
def test_automatic_mail_is_recognised_and_not_turned_into_work(
        hub, hub_mailbox, dovecot, imap_account, headers, reason):
    inquiry = SubmittedFactory(hub=hub)
    _sent_acknowledgement(inquiry)
    raw = make_email(subject="Out of office", headers={**headers, "In-Reply-To": "<0123abcd@frontdoor.example.nhs.uk>"},
                     attachments=[("plan.pdf", "application", "pdf", PDF)])

    message = _fetch_one(dovecot, imap_account, hub_mailbox, raw)

    assert (message.kind, message.status, message.automatic_reason) == ("automatic", "ignored", reason)
    assert message.inquiry is None and not message.attachments.exists()
    assert not inquiry.events.filter(kind=InquiryEvent.Kind.EMAIL_RECEIVED).exists()
    assert "\\Seen" in dovecot.flags(imap_account)[message.uid]


def test_a_delivery_report_is_a_bounce(hub_mailbox, dovecot, imap_account):
    raw = (b"From: Mail Delivery System <MAILER-DAEMON@mail.example.org>\r\nSubject: Undelivered\r\n"
           b"Message-ID: <bounce@x>\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
           b"--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
           b"--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b--\r\n")
    message = _fetch_one(dovecot, imap_account, hub_mailbox, raw)

    assert (message.kind, message.automatic_reason) == ("automatic", "A delivery report (bounce)")


# --- Figures -------------------------------------------------------------------------------------------


def test_figures_messages_imported_per_second_and_duplicates_after_a_forced_crash(
        hub_mailbox, dovecot, imap_account, monkeypatch, capsys):
    count = 200
    with dovecot.client(imap_account) as imap:
        for n in range(count):
            imap.append("INBOX", "", None, make_email(subject=f"Load {n}", body="Some words. " * 80))
    real_mark = mailbox_module._mark
    calls = []

    def die_on_the_hundredth(imap, mailbox, uid):
        calls.append(uid)
        if len(calls) == 100:
            raise Crash()
        real_mark(imap, mailbox, uid)

    monkeypatch.setattr(mailbox_module, "_mark", die_on_the_hundredth)
    started = time.perf_counter()
    with pytest.raises(Crash):
        mailbox_fetch(mailbox_id=hub_mailbox.pk)
    monkeypatch.setattr(mailbox_module, "_mark", real_mark)
    HubMailbox.objects.update(fetch_lease_until=None)  # the dead worker's lease, run out
    mailbox_fetch(mailbox_id=hub_mailbox.pk)
    elapsed = time.perf_counter() - started

    imported = MailboxMessage.objects.count()
    duplicates = imported - len(set(MailboxMessage.objects.values_list("message_id", flat=True)))
    with capsys.disabled():
        print(f"\nmailbox figures: {imported} messages imported in {elapsed:.2f} s "
              f"({imported / elapsed:.0f}/s) across a forced crash; duplicates: {duplicates}")
    assert imported == count and duplicates == 0
    assert not MailboxMessage.objects.filter(marked_at__isnull=True).exists()


def test_the_beat_task_fetches_every_enabled_mailbox(hub_mailbox, dovecot, imap_account):
    from django_celery_beat.models import PeriodicTask

    from intake.tasks import fetch_mailboxes

    _seed(dovecot, imap_account, 1)
    assert fetch_mailboxes() == {hub_mailbox.pk: "done"}
    assert MailboxMessage.objects.count() == 1
    assert PeriodicTask.objects.get(task="intake.tasks.fetch_mailboxes").interval.every == 2
    assert HubMembership.objects.exists()
