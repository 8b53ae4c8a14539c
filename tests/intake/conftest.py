import itertools
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from django.utils import timezone

from tests.conftest import skip_or_fail
from tests.mailserver import DOVECOT, Dovecot

_accounts = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot():
    """A real Dovecot on loopback for the session (Debian's dovecot-imapd; .ci/run installs it)."""
    if DOVECOT is None:
        skip_or_fail("Dovecot is not installed (apt-get install dovecot-imapd)")
    server = Dovecot()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def imap_account(dovecot):
    """A fresh account (its own empty maildir) for each test."""
    return dovecot.add_account(f"hub{next(_accounts)}@mail.example.nhs.uk")


@pytest.fixture
def hub_mailbox(hub, hub_lead, dovecot, imap_account, settings):
    from intake.mailbox import mailbox_save

    settings.MAILBOX_CA_FILE = str(dovecot.ca_file)
    return mailbox_save(hub=hub, by=hub_lead, host="127.0.0.1", port=dovecot.imaps_port, security="tls",
                        username=imap_account.user, password=imap_account.password, folder="INBOX",
                        after_import="mark", move_to_folder="", is_enabled=True)


def make_email(*, subject="Can you help with a virtual ward?", body="We would like to try remote monitoring.",
               sender="Alex Carter <alex.carter@nhs.net>", message_id=None, headers=None, html=None,
               attachments=()):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "innovation.dorset@example.nhs.uk"
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or f"<{next(_accounts)}.{id(message)}@mail.example.org>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, maintype, subtype, data in attachments:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()
