"""Small helpers for referral tests: emails sent, links in them."""

import re

from django.core import mail

from hubportal.models import OutboundEmail

REFERRAL_LINK = re.compile(r"http://testserver(/partner/referrals/[0-9a-f-]{36}/link/[^/\s]+/)")


def emails_to(address):
    return [m for m in mail.outbox if address in m.to]


def referral_link_path(address, *, last=True):
    """The referral link path in the newest (or oldest) email to `address`, checking the HTML part has it too."""
    messages = [m for m in emails_to(address) if REFERRAL_LINK.search(m.body)]
    assert messages, f"no referral link emailed to {address}: {[m.subject for m in mail.outbox]}"
    message = messages[-1] if last else messages[0]
    path = REFERRAL_LINK.search(message.body).group(1)
    assert path in message.alternatives[0][0]
    return path


def rows(template):
    return list(OutboundEmail.objects.filter(template=template).order_by("pk"))


def assert_text_and_html(message, *present, absent=()):
    """Both parts of a sent email say each of `present`, and neither says any of `absent`."""
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    for text in present:
        assert text in message.body, (text, message.body)
        assert text in html, (text, html)
    for text in absent:
        assert text not in message.body and text not in html and text not in message.subject, text
