"""The hub's shared mailbox as a queue: IMAP fetch, parsing, and the staff decisions on each email.

The fetch (`mailbox_fetch`, run by beat through intake.tasks) reads new messages by UID and imports
each in its own transaction, then marks or moves it on the server. The order is what makes it safe:

- a message is imported once: (mailbox, UIDVALIDITY, UID) and (mailbox, Message-ID) are unique, so
  a second import, from an overlapping fetch or a retry, fails in the database and counts as a
  duplicate;
- the watermark (`last_uid`) moves in the import's transaction, so a fetch never reads again what
  was imported;
- marking or moving comes after the commit. A worker that dies between the two leaves a row with
  `marked_at` unset; the next fetch marks it first, and never imports it again. (Moving before
  the commit could lose a message for good: it leaves the folder we read.)

Only one fetch per mailbox runs at a time: it takes a lease on the mailbox row with a conditional
UPDATE. A lease, rather than SELECT ... FOR UPDATE, because the lock would have to be held in one
transaction for the whole fetch, and then no import could commit before its move.

Email text is kept as plain text (HTML is converted on import) and is only ever shown escaped.
"""

from __future__ import annotations

import base64
import hashlib
import imaplib
import io
import logging
import re
import secrets
import ssl
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from hubportal.models import OutboundEmail

from .models import Attachment, HubMailbox, Inquiry, InquiryEvent, MailboxAttachment, MailboxMessage
from .scanning import ScannerUnavailable, upload_scan
from .validators import (
    ALLOWED_DESCRIPTION,
    UploadRefused,
    check_package,
    detect_type,
    find_nhs_numbers,
)

log = logging.getLogger(__name__)

BODY_MAX_CHARS = 100_000
# The IMAP keyword set on imported messages in "mark" mode, so people using the mailbox can see them.
IMPORTED_KEYWORD = "FrontDoor"


# --- The stored password ----------------------------------------------------------------------------


class MailboxPasswordUnreadable(Exception):
    """The stored password cannot be decrypted with any configured key (the keys changed)."""


def _fernet():
    keys = list(settings.MAILBOX_ENCRYPTION_KEYS)
    if not keys:
        digest = hashlib.sha256(b"hubportal mailbox password key:" + settings.SECRET_KEY.encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def mailbox_password_encrypt(password: str) -> str:
    return _fernet().encrypt(password.encode()).decode()


def mailbox_password_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise MailboxPasswordUnreadable() from None


# --- Reading one message ------------------------------------------------------------------------------

_BLOCK_TAGS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
               "blockquote", "pre", "hr", "section", "article", "header", "footer", "address", "dd", "dt"}
_SKIP_TAGS = {"script", "style", "head", "title", "template", "noscript", "svg"}


class _TextFromHtml(HTMLParser):
    """HTML to plain text with the standard library's tolerant parser: text only, no markup kept."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n- " if tag == "li" else "\n")

    def handle_startendtag(self, tag, attrs):
        if tag in ("br", "hr"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS and tag != "li":
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextFromHtml()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@dataclass
class ParsedFile:
    name: str
    declared_type: str
    data: bytes
    is_inline: bool


@dataclass
class ParsedMessage:
    message_id: str = ""
    sender_name: str = ""
    sender_email: str = ""
    subject: str = ""
    body_text: str = ""
    sent_at: object = None
    replied_to: list[str] = field(default_factory=list)
    automatic_reason: str = ""
    files: list[ParsedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


_ANGLE_IDS = re.compile(r"<([^<>\s]+)>")


def _header(message, name, notes):
    """A header as text; a header too malformed to read becomes "" and a note, never a crash."""
    try:
        value = message.get(name)
        return "" if value is None else str(value).strip()
    except Exception as exc:  # noqa: BLE001 - the email package raises many kinds on broken headers
        notes.append(f"Could not read the {name} header ({type(exc).__name__})")
        return ""


def _text_of(part, notes):
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError, ValueError) as exc:
        # An unknown or lying charset: keep what can be read rather than lose the message.
        notes.append(f"Text in an unreadable character set ({part.get_content_charset()}); shown as best read")
        payload = part.get_payload(decode=True) or b""
        log.info("Falling back to UTF-8 for a part: %s", exc)
        return payload.decode("utf-8", errors="replace")


def _leaves(part):
    """Every non-multipart part, not descending into attached emails (message/rfc822 is one file)."""
    if part.get_content_type() == "message/rfc822":
        yield part
    elif part.is_multipart():
        for sub in part.iter_parts():
            yield from _leaves(sub)
    else:
        yield part


def _automatic_reason(message, notes):
    auto_submitted = _header(message, "Auto-Submitted", notes).lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted[:60]}"
    precedence = _header(message, "Precedence", notes).lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    if _header(message, "Return-Path", notes).replace(" ", "") == "<>":
        return "Return-Path <> (a bounce)"
    if message.get_content_type() == "multipart/report":
        return "A delivery report (bounce)"
    if _header(message, "List-Id", notes):
        return "Mailing list (List-Id)"
    if _header(message, "X-Autoreply", notes) or _header(message, "X-Autorespond", notes):
        return "Auto-reply (X-Autoreply)"
    return ""


def parse_message(raw: bytes) -> ParsedMessage:
    """What the portal keeps of one email. Never raises on bad input: problems become notes."""
    parsed = ParsedMessage()
    notes = parsed.notes
    message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
    if message.defects:
        notes.append("Malformed: " + ", ".join(sorted({type(d).__name__ for d in message.defects}))[:200])

    ids = _ANGLE_IDS.findall(_header(message, "Message-ID", notes))
    parsed.message_id = ids[0][:300] if ids else ""
    try:
        addresses = getaddresses([_header(message, "From", notes)])
    except Exception:  # noqa: BLE001
        addresses = []
    if addresses and addresses[0][1]:
        parsed.sender_name, parsed.sender_email = addresses[0][0][:200], addresses[0][1][:254].lower()
    parsed.subject = " ".join(_header(message, "Subject", notes).split())[:300]
    date = _header(message, "Date", notes)
    if date:
        try:
            parsed.sent_at = parsedate_to_datetime(date)
            if timezone.is_naive(parsed.sent_at):
                parsed.sent_at = timezone.make_aware(parsed.sent_at, timezone.utc)
        except (TypeError, ValueError, IndexError):
            notes.append("Unreadable Date header")
    parsed.replied_to = _ANGLE_IDS.findall(
        _header(message, "In-Reply-To", notes) + " " + _header(message, "References", notes))
    parsed.automatic_reason = _automatic_reason(message, notes)

    try:
        body = message.get_body(preferencelist=("plain", "html"))
    except Exception:  # noqa: BLE001 - a structure get_body cannot walk: read the parts below
        body = None
    if body is not None:
        text = _text_of(body, notes)
        parsed.body_text = html_to_text(text) if body.get_content_subtype() == "html" else text.strip()
    if len(parsed.body_text) > BODY_MAX_CHARS:
        parsed.body_text = parsed.body_text[:BODY_MAX_CHARS]
        notes.append(f"Text cut at {BODY_MAX_CHARS:,} characters")

    for part in _leaves(message):
        if part is body:
            continue
        disposition = part.get_content_disposition()
        name = part.get_filename()
        if part.get_content_maintype() == "text" and disposition != "attachment" and not name:
            continue  # the other alternative of the body (its HTML twin), not a file
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            data = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
            name = name or "attached email.eml"
        else:
            data = part.get_payload(decode=True) or b""
        parsed.files.append(ParsedFile(
            name=(name or f"unnamed.{part.get_content_subtype()}")[:200], declared_type=part.get_content_type()[:100],
            data=data, is_inline=disposition == "inline" or bool(part.get("Content-ID"))))
    parsed.notes = [n[:200] for n in notes]
    return parsed


# --- Importing ----------------------------------------------------------------------------------------


def _inquiry_replied_to(*, hub, replied_to):
    """The inquiry of this hub whose email (by our Message-ID) this message answers, or None.

    The outbox stores each sent email's Message-ID, and inquiry emails have keys "inquiry:<pk>:...".
    """
    if not replied_to:
        return None
    keys = (OutboundEmail.objects.filter(message_id__in=[f"<{i}>" for i in replied_to[-50:]])
            .values_list("key", flat=True))
    pks = [int(match.group(1)) for key in keys if (match := re.match(r"inquiry:(\d+):", key))]
    if not pks:
        return None
    return (Inquiry.objects.filter(pk__in=pks, hub=hub).exclude(status=Inquiry.Status.DRAFT)
            .order_by("-pk").first())


def _check_file(file: ParsedFile):
    """(AllowedType, "") when the bytes pass the upload allow-list, else (None, why not)."""
    if len(file.data) > settings.ATTACHMENT_MAX_BYTES:
        return None, f"Larger than {filesizeformat(settings.ATTACHMENT_MAX_BYTES)}"
    if not file.data:
        return None, "Empty"
    data = io.BytesIO(file.data)
    try:
        check_package(data)  # macros, outside links, zip bombs: refused as on the upload page
    except UploadRefused as refused:
        return None, str(refused)
    detected = detect_type(data)
    if detected is None:
        return None, f"Not {ALLOWED_DESCRIPTION}, judged by its content"
    try:
        if upload_scan(data, label=f"email attachment {file.name!r}"):
            return None, "It contains a virus"
    except ScannerUnavailable:
        return None, "It could not be checked for viruses; ask the sender to send it again later"
    return detected, ""


def _import(*, mailbox, uid_validity, uid, raw, too_large=False):
    """Import one message in one transaction, moving the watermark with it. None when it was
    imported before (by UID or Message-ID), whoever did it."""
    parsed = parse_message(raw)
    if too_large:
        parsed.notes.append("Too large to import whole: only its headers were read. Open it in the mailbox")
    inquiry = None
    if parsed.automatic_reason:
        kind, status = MailboxMessage.Kind.AUTOMATIC, MailboxMessage.Status.IGNORED
    else:
        inquiry = _inquiry_replied_to(hub=mailbox.hub, replied_to=parsed.replied_to)
        kind, status = ((MailboxMessage.Kind.REPLY, MailboxMessage.Status.ATTACHED) if inquiry
                        else (MailboxMessage.Kind.NEW, MailboxMessage.Status.WAITING))
    stored_files = []
    try:
        with transaction.atomic():
            message = MailboxMessage.objects.create(
                mailbox=mailbox, hub=mailbox.hub, uid_validity=uid_validity, uid=uid,
                message_id=parsed.message_id, kind=kind, status=status,
                automatic_reason=parsed.automatic_reason, sender_name=parsed.sender_name,
                sender_email=parsed.sender_email, subject=parsed.subject, body_text=parsed.body_text,
                sent_at=parsed.sent_at, size=len(raw), inquiry=inquiry,
                has_nhs_number=bool(find_nhs_numbers(parsed.subject) or find_nhs_numbers(parsed.body_text)),
                parse_notes="; ".join(parsed.notes)[:500],
            )
            # Automatic mail is kept only so it is never imported again: its files are not work.
            for file in [] if parsed.automatic_reason else parsed.files:
                detected, refused = _check_file(file)
                attachment = MailboxAttachment(message=message, original_name=file.name, size=len(file.data),
                                               declared_type=file.declared_type, is_inline=file.is_inline,
                                               refused_reason=refused)
                if detected:
                    attachment.content_type = detected.mime
                    attachment.stored_name = f"{secrets.token_hex(16)}.{detected.extension}"
                    attachment.file.save(attachment.stored_name, ContentFile(file.data), save=False)
                    stored_files.append(attachment.file)
                attachment.save()
            HubMailbox.objects.filter(pk=mailbox.pk, last_uid__lt=uid).update(last_uid=uid)
            if inquiry is not None:
                from .services import inquiry_record_event

                inquiry_record_event(inquiry=inquiry, kind=InquiryEvent.Kind.EMAIL_RECEIVED, visible=False,
                                     description=f"Reply by email from {parsed.sender_email}: {parsed.subject}"[:300])
    except IntegrityError:
        # Imported already: by an overlapping fetch, or before a crash, or the same Message-ID at
        # another UID. The files written for this attempt belong to nobody.
        for stored in stored_files:
            stored.delete(save=False)
        HubMailbox.objects.filter(pk=mailbox.pk, last_uid__lt=uid).update(last_uid=uid)
        return None
    return message


# --- Talking IMAP ----------------------------------------------------------------------------------


class MailboxError(Exception):
    """The server refused something; the text says what, for the hub lead's settings page."""


def _quote(folder):
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(response, what):
    status, data = response
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")
        raise MailboxError(f"{what}: {detail}"[:300])
    return data


def mailbox_connect(mailbox):
    """A logged-in IMAP connection, over TLS from the start or after STARTTLS; never in the clear."""
    context = ssl.create_default_context(cafile=settings.MAILBOX_CA_FILE or None)
    timeout = settings.MAILBOX_IMAP_TIMEOUT
    if mailbox.security == HubMailbox.Security.TLS:
        imap = imaplib.IMAP4_SSL(mailbox.host, mailbox.port, ssl_context=context, timeout=timeout)
    else:
        imap = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=timeout)
        try:
            imap.starttls(ssl_context=context)
        except Exception:
            imap.shutdown()
            raise
    try:
        imap.login(mailbox.username, mailbox_password_decrypt(mailbox.password_encrypted))
    except Exception:
        imap.shutdown()
        raise
    return imap


def _mark(imap, mailbox, uid):
    """Mark (read + keyword) or move one message on the server, as the hub chose."""
    if mailbox.after_import == HubMailbox.AfterImport.MOVE:
        target = _quote(mailbox.move_to_folder)
        if "MOVE" in imap.capabilities:
            status, data = imap.uid("MOVE", str(uid), target)
            if status != "OK" and b"TRYCREATE" in b" ".join(d for d in data if isinstance(d, bytes)):
                imap.create(target)
                status, data = imap.uid("MOVE", str(uid), target)
            _ok((status, data), f"Could not move the message to {mailbox.move_to_folder}")
        else:
            imap.create(target)  # "already exists" is fine
            _ok(imap.uid("COPY", str(uid), target), f"Could not copy the message to {mailbox.move_to_folder}")
            _ok(imap.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)"), "Could not delete the moved message")
            if "UIDPLUS" in imap.capabilities:
                imap.uid("EXPUNGE", str(uid))
            else:
                imap.expunge()
        return
    status, _data = imap.uid("STORE", str(uid), "+FLAGS.SILENT", rf"(\Seen {IMPORTED_KEYWORD})")
    if status != "OK":
        # A server that refuses keywords: marking it read is what matters.
        _ok(imap.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)"), "Could not mark the message read")


def _fetch_sizes(imap, uids):
    sizes = {}
    data = _ok(imap.uid("FETCH", ",".join(str(u) for u in uids), "(RFC822.SIZE)"), "Could not list messages")
    for line in data:
        text = line.decode() if isinstance(line, bytes) else ""
        uid, size = re.search(r"UID (\d+)", text), re.search(r"RFC822\.SIZE (\d+)", text)
        if uid and size:
            sizes[int(uid.group(1))] = int(size.group(1))
    return sizes


def _fetch_raw(imap, uid, *, headers_only=False):
    """The message's bytes (BODY.PEEK, so reading it does not mark it read), or None if it is gone."""
    section = "BODY.PEEK[HEADER]" if headers_only else "BODY.PEEK[]"
    data = _ok(imap.uid("FETCH", str(uid), f"({section})"), "Could not read a message")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None


@dataclass
class FetchResult:
    outcome: str  # "done", "busy" (another fetch holds the mailbox), "failed"
    imported: int = 0
    duplicates: int = 0
    marked_after_crash: int = 0
    error: str = ""


def _marked(message_pk):
    MailboxMessage.objects.filter(pk=message_pk, marked_at__isnull=True).update(marked_at=timezone.now())


def _fetch(imap, mailbox, result):
    _ok(imap.select(_quote(mailbox.folder)), f"Could not open the folder {mailbox.folder}")
    uid_validity = int(imap.response("UIDVALIDITY")[1][0])
    if mailbox.uid_validity != uid_validity:
        # The server renumbered the folder (or this is the first fetch): read it again from the
        # start. Message-IDs keep what was imported before from coming in twice.
        HubMailbox.objects.filter(pk=mailbox.pk).update(uid_validity=uid_validity, last_uid=0)
        mailbox.uid_validity, mailbox.last_uid = uid_validity, 0

    # First, what a fetch that died left behind: imported, but never marked or moved.
    for pk, uid in (MailboxMessage.objects.filter(mailbox=mailbox, uid_validity=uid_validity, marked_at__isnull=True)
                    .values_list("pk", "uid")):
        _mark(imap, mailbox, uid)
        _marked(pk)
        result.marked_after_crash += 1

    last_uid = HubMailbox.objects.values_list("last_uid", flat=True).get(pk=mailbox.pk)
    data = _ok(imap.uid("SEARCH", None, f"UID {last_uid + 1}:*"), "Could not search the folder")
    # "n:*" always includes the highest UID, even below n, so filter.
    uids = sorted(u for u in (int(x) for x in (data[0] or b"").split()) if u > last_uid)
    uids = uids[: settings.MAILBOX_FETCH_BATCH]
    sizes = _fetch_sizes(imap, uids) if uids else {}
    for uid in uids:
        too_large = sizes.get(uid, 0) > settings.MAILBOX_MAX_MESSAGE_BYTES
        raw = _fetch_raw(imap, uid, headers_only=too_large)
        if raw is None:
            continue  # expunged meanwhile
        message = _import(mailbox=mailbox, uid_validity=uid_validity, uid=uid, raw=raw, too_large=too_large)
        if message is None:
            result.duplicates += 1
            existing = MailboxMessage.objects.filter(mailbox=mailbox, uid_validity=uid_validity, uid=uid).first()
            if existing is not None and existing.marked_at is not None:
                continue  # someone else imported and marked it
        else:
            result.imported += 1
        _mark(imap, mailbox, uid)
        if message is not None:
            _marked(message.pk)
        else:
            MailboxMessage.objects.filter(mailbox=mailbox, uid_validity=uid_validity, uid=uid,
                                          marked_at__isnull=True).update(marked_at=timezone.now())


def mailbox_fetch(*, mailbox_id) -> FetchResult:
    """Import a mailbox's new messages, then mark or move each. Safe to run at any time, twice at
    once, or again after a crash: see the module's docstring."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.MAILBOX_FETCH_LEASE_SECONDS)
    # Two beat ticks, or a slow fetch and the next tick, race here; one of them gets the lease.
    claimed = (HubMailbox.objects.filter(pk=mailbox_id, is_enabled=True)
               .filter(Q(fetch_lease_until__isnull=True) | Q(fetch_lease_until__lt=now))
               .update(fetch_lease_until=lease))
    if not claimed:
        return FetchResult("busy")
    mailbox = HubMailbox.objects.select_related("hub").get(pk=mailbox_id)
    result = FetchResult("done")
    try:
        imap = mailbox_connect(mailbox)
        try:
            _fetch(imap, mailbox, result)
        finally:
            try:
                imap.logout()
            except Exception:  # noqa: BLE001, S110 - the connection may already be gone; nothing to do
                pass
    except (MailboxError, MailboxPasswordUnreadable, imaplib.IMAP4.error, OSError) as exc:
        result.outcome = "failed"
        result.error = _describe(exc)
        log.warning("Fetching mailbox %s failed: %s", mailbox_id, result.error)
        HubMailbox.objects.filter(pk=mailbox_id).update(last_error=result.error[:500], last_error_at=timezone.now())
    else:
        HubMailbox.objects.filter(pk=mailbox_id).update(last_fetch_at=timezone.now(), last_error="")
    finally:
        # Only our own lease: if it ran out and another fetch took the mailbox, that one keeps it.
        HubMailbox.objects.filter(pk=mailbox_id, fetch_lease_until=lease).update(fetch_lease_until=None)
    return result


def _describe(exc):
    if isinstance(exc, MailboxPasswordUnreadable):
        return "The stored password cannot be read (the encryption keys changed). Enter it again"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"The server's certificate is not trusted: {exc.verify_message}"
    if isinstance(exc, imaplib.IMAP4.error):
        return f"The server refused: {exc}"[:300]
    if isinstance(exc, MailboxError):
        return str(exc)
    return f"Could not connect: {exc}"[:300]


def mailbox_fetch_all():
    """One fetch per enabled mailbox (the beat job). Returns {mailbox id: FetchResult}."""
    return {pk: mailbox_fetch(mailbox_id=pk)
            for pk in HubMailbox.objects.filter(is_enabled=True).values_list("pk", flat=True)}


# --- Settings and staff decisions ---------------------------------------------------------------------


class MailboxMessageDecided(Exception):
    """Someone already recorded, attached or dismissed this email (perhaps a moment ago)."""


class InquiryNotOpen(Exception):
    """Emails are attached only to a sent inquiry that is still open."""


@transaction.atomic
def mailbox_save(*, hub, by, host, port, security, username, folder, after_import, move_to_folder,
                 is_enabled, password=""):
    """Create or change a hub's mailbox settings (a hub lead; the view checks).

    Rules: the password is stored encrypted and replaced only when a new one is given; changing the
    server, account or folder starts the watermark again (Message-IDs stop re-imports).
    """
    mailbox = HubMailbox.objects.select_for_update().filter(hub=hub).first()
    if mailbox is None:
        mailbox = HubMailbox(hub=hub)
    elif (mailbox.host, mailbox.username, mailbox.folder) != (host, username, folder):
        mailbox.uid_validity, mailbox.last_uid = None, 0
    mailbox.host, mailbox.port, mailbox.security = host, port, security
    mailbox.username, mailbox.folder, mailbox.is_enabled = username, folder, is_enabled
    mailbox.after_import, mailbox.move_to_folder = after_import, move_to_folder
    if password:
        mailbox.password_encrypted = mailbox_password_encrypt(password)
    mailbox.last_error = ""
    mailbox.save()
    log.info("Mailbox of hub %s saved by user %s", hub.pk, by.pk)
    return mailbox


def _decide(message, *, by, status, **fields):
    # Two staff deciding on one email at once: the conditional UPDATE lets one through.
    updated = MailboxMessage.objects.filter(pk=message.pk, status=MailboxMessage.Status.WAITING).update(
        status=status, decided_by=by, decided_at=timezone.now(), **fields)
    if not updated:
        raise MailboxMessageDecided()
    message.refresh_from_db()


@transaction.atomic
def mailbox_message_record(*, message, by, email, answers):
    """Turn a waiting email into an inquiry on the person's behalf.

    Rules: only a waiting email, once (MailboxMessageDecided otherwise); the inquiry is recorded
    through intake's `inquiry_record_on_behalf` (the person gets the usual acknowledgement and a
    sign-in link); the email's accepted attachments become the inquiry's, up to the usual number.
    """
    from .services import inquiry_record_on_behalf

    _decide(message, by=by, status=MailboxMessage.Status.RECORDED)
    inquiry = inquiry_record_on_behalf(hub=message.hub, by=by, email=email, answers=answers)
    MailboxMessage.objects.filter(pk=message.pk).update(inquiry=inquiry)
    message.inquiry = inquiry
    accepted = [a for a in message.attachments.all() if not a.is_refused][: settings.ATTACHMENTS_PER_INQUIRY]
    for source in accepted:
        with source.file.open("rb") as handle:
            data = handle.read()
        copy = Attachment(inquiry=inquiry, uploaded_by=inquiry.submitter, original_name=source.original_name,
                          stored_name=f"{secrets.token_hex(16)}.{source.stored_name.rsplit('.', 1)[-1]}",
                          content_type=source.content_type, size=source.size)
        copy.file.save(copy.stored_name, ContentFile(data), save=True)
    return inquiry


@transaction.atomic
def mailbox_message_attach(*, message, by, inquiry):
    """Attach a waiting email to an open inquiry of the same hub; an internal timeline line."""
    from .services import inquiry_record_event

    if inquiry.hub_id != message.hub_id or not inquiry.is_open:
        raise InquiryNotOpen()
    _decide(message, by=by, status=MailboxMessage.Status.ATTACHED, inquiry=inquiry)
    inquiry_record_event(inquiry=inquiry, kind=InquiryEvent.Kind.EMAIL_RECEIVED, by=by, visible=False,
                         description=f"Email from {message.sender_email} attached: {message.subject}"[:300])
    return message


@transaction.atomic
def mailbox_message_dismiss(*, message, by, reason):
    """Dismiss a waiting email with a reason (spam, not for this hub, dealt with elsewhere)."""
    _decide(message, by=by, status=MailboxMessage.Status.DISMISSED, dismiss_reason=reason)
    return message


# --- Reads --------------------------------------------------------------------------------------------


def mailbox_queue(*, hub):
    """The hub's waiting emails, oldest first (a queue), with their attachment counts."""
    from django.db.models import Count

    return (MailboxMessage.objects.filter(hub=hub, status=MailboxMessage.Status.WAITING)
            .annotate(attachment_count=Count("attachments"))
            .only("public_id", "sender_name", "sender_email", "subject", "imported_at", "sent_at",
                  "has_nhs_number", "hub_id")
            .order_by("imported_at", "pk"))
