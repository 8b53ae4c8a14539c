"""Keeping emailed links' tokens out of logs.

A link in an email has to carry its token in the URL (it must work from a mail client), and every
access log writes request paths: gunicorn's access log, runserver's django.server, and django.request
(which logs the path of every 4xx and 5xx, such as a made-up link's 404). Each of them goes through
`redact`, which replaces the path segment after /link/ or /unsubscribe/ with "[redacted]".
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger as GunicornBaseLogger

# Every URL that carries a token: .../link/<token>/ (sign-in, partner sign-in, staff invitation,
# referral links) and /digests/unsubscribe/<token>/. Percent-encoded slashes stay inside the segment.
TOKEN_IN_PATH = re.compile(r"(/(?:link|unsubscribe)/)[^/?#\s\"'<>]+")
REDACTED = "[redacted]"


def redact(value):
    """`value` with any token in a link path replaced; anything but a string is returned as it is."""
    if isinstance(value, str) and "/" in value:
        return TOKEN_IN_PATH.sub(r"\1" + REDACTED, value)
    return value


class RedactTokensFilter(logging.Filter):
    """A logging filter (never drops a record): formats the message with its arguments, redacted.

    On the loggers that write paths (django.request, django.server) and on the console handler, so
    a record carries no token to any handler, pytest's caplog included."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class GunicornLogger(GunicornBaseLogger):
    """gunicorn's logger with every access-log field redacted: the request line (%(r)s), the path
    (%(U)s), the query, the Referer (a confirmation page's POST has the link as its Referer) and any
    header or environ field a custom access_log_format might name."""

    def atoms(self, resp, req, environ, request_time):
        return {key: redact(value) for key, value in super().atoms(resp, req, environ, request_time).items()}
