"""GOV.UK Notify as the email provider: a Django email backend the outbox sends through.

Chosen by EMAIL_PROVIDER=notify (hubportal/settings.py). The outbox is unchanged: it renders the
email, claims the row and calls `message.send()`; this backend hands Notify the rendered subject and
plain-text body through one generic template (NOTIFY_TEMPLATE_ID, whose subject is ((subject)) and
whose body is ((body))), so our templates stay ours.

Errors speak the outbox's language, SMTP reply codes (hubportal.outbox classifies failures by them),
so the outbox needs no branch for Notify:
- 429 (rate or daily limit), 5xx, and a connection that never opened: NotifyTransientError (a 4xx
  SMTP reply), which the outbox retries with backoff up to EMAIL_SEND_MAX_RETRIES;
- 400 (bad request, trial mode, team-only key), 403 (bad key, clock), any other refusal:
  NotifyPermanentError (a 5xx SMTP reply): the row is failed at once and shown to staff;
- a request that may have reached Notify without its answer coming back (read timeout, connection
  dropped): NotifyPermanentError as well, saying so. Notify has no idempotency key, so sending it
  again could deliver it twice; a person checks Notify's dashboard (search by reference) first.

Reference: each request carries the email's Message-ID, which the outbox derives from the row's
unique key (a hash, so no personal data, as Notify asks), the same on every attempt: the Notify
dashboard then ties each notification to its outbox row.
"""

import logging
import smtplib

import requests
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

log = logging.getLogger(__name__)


class NotifyTransientError(smtplib.SMTPResponseException):
    """Notify refused for now (429, 5xx) or could not be reached: worth trying again later."""

    def __init__(self, message):
        super().__init__(451, message)


class NotifyPermanentError(smtplib.SMTPResponseException):
    """Notify refused for good (400, 403), or may have taken it: never retried automatically."""

    def __init__(self, message):
        super().__init__(554, message)


def _never_reached(exc: HTTPError) -> bool:
    """The client wraps a failed connection as a 503 with no response; its cause says which."""
    cause = exc.__cause__
    if isinstance(cause, requests.ConnectTimeout):
        return True
    if isinstance(cause, requests.ConnectionError) and not isinstance(cause, requests.exceptions.SSLError):
        import urllib3.exceptions

        reason = getattr(cause.args[0], "reason", None) if cause.args else None
        return isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError)
    return False


def notify_error(exc: HTTPError) -> smtplib.SMTPResponseException:
    """The outbox's view of one Notify failure."""
    if exc.response is None:
        if _never_reached(exc):
            return NotifyTransientError(f"Could not reach GOV.UK Notify: {type(exc.__cause__).__name__}")
        return NotifyPermanentError(
            f"GOV.UK Notify may have accepted it: no answer came back ({type(exc.__cause__).__name__}). "
            "Check Notify's dashboard for its reference before sending it again")
    code = exc.status_code
    text = f"GOV.UK Notify answered {code}: {exc.message}"
    if code == 429 or code >= 500:
        return NotifyTransientError(text)
    return NotifyPermanentError(text)


class NotifyEmailBackend(BaseEmailBackend):
    """Sends each message through Notify's POST /v2/notifications/email, one request per recipient."""

    def __init__(self, fail_silently=False, **kwargs):
        super().__init__(fail_silently=fail_silently)
        self.client = NotificationsAPIClient(settings.NOTIFY_API_KEY, base_url=settings.NOTIFY_BASE_URL,
                                             timeout=settings.NOTIFY_TIMEOUT)

    def send_messages(self, email_messages):
        sent = 0
        for message in email_messages:
            reference = message.extra_headers.get("Message-ID", "").strip("<>") or None
            for address in message.recipients():
                try:
                    response = self.client.send_email_notification(
                        email_address=address, template_id=settings.NOTIFY_TEMPLATE_ID,
                        personalisation={"subject": message.subject, "body": message.body},
                        reference=reference)
                except HTTPError as exc:
                    if self.fail_silently:
                        continue
                    raise notify_error(exc) from exc
                log.info("GOV.UK Notify accepted %s as notification %s", reference, response.get("id"))
            sent += 1
        return sent
