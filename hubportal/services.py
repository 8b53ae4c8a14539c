"""Writes of the shared kernel: emailed links (sign-in) and the people they sign in."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import emails
from .models import EmailLink, StaffSignInFailure, User, hash_token


class RateLimited(Exception):
    """Too many links asked for; the person is told to wait, whoever they are."""


class LinkRefused(Exception):
    """A link that cannot be used. `reason` is one of: unknown, expired, used."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IssuedLink:
    link: EmailLink
    raw_token: str


def email_link_create(*, purpose, email, next_path="", subject_ref="", ip=None, minutes=None):
    """Create a link for one person and one purpose; returns the raw token (never stored)."""
    raw = EmailLink.new_token()
    minutes = minutes or settings.SIGN_IN_LINK_MINUTES
    link = EmailLink.objects.create(
        purpose=purpose,
        email=email,
        subject_ref=subject_ref,
        token_hash=hash_token(raw),
        next_path=next_path,
        requested_ip=ip,
        expires_at=timezone.now() + timedelta(minutes=minutes),
    )
    return IssuedLink(link=link, raw_token=raw)


def email_link_inspect(*, raw_token, purpose):
    """The link behind a token, unchanged; raises LinkRefused saying why it cannot be used."""
    link = EmailLink.objects.filter(token_hash=hash_token(raw_token), purpose=purpose).first()
    if link is None:
        raise LinkRefused("unknown")
    if link.is_used:
        raise LinkRefused("used")
    if link.is_expired:
        raise LinkRefused("expired")
    return link


def email_link_redeem(*, raw_token, purpose):
    """Use a link once. Two tabs (or a scanner and a person) may race: the conditional UPDATE
    lets exactly one of them through."""
    link = email_link_inspect(raw_token=raw_token, purpose=purpose)
    used = EmailLink.objects.filter(
        pk=link.pk, used_at__isnull=True, expires_at__gt=timezone.now()
    ).update(used_at=timezone.now())
    if not used:
        raise LinkRefused("used")
    link.refresh_from_db()
    return link


def email_link_check_rate(*, purpose, email, ip):
    """RateLimited when this address, or this IP address, asked for too many links of a purpose lately."""
    hour_ago = timezone.now() - timedelta(hours=1)
    recent = EmailLink.objects.filter(purpose=purpose, created_at__gte=hour_ago)
    if recent.filter(email=email).count() >= settings.SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR:
        raise RateLimited()
    if ip and recent.filter(requested_ip=ip).count() >= settings.SIGN_IN_LINKS_PER_IP_PER_HOUR:
        raise RateLimited()


@transaction.atomic
def sign_in_link_request(*, email, next_path="", ip=None):
    """Email a sign-in link to `email`.

    Rules: the address needs no account (one is made when the link is used), so the answer is the
    same whether or not we know it; at most SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR per address and
    SIGN_IN_LINKS_PER_IP_PER_HOUR per IP address, else RateLimited; the email is queued in this
    transaction and carries only the link.
    """
    email = email.strip().lower()
    email_link_check_rate(purpose=EmailLink.Purpose.SIGN_IN, email=email, ip=ip)
    issued = email_link_create(purpose=EmailLink.Purpose.SIGN_IN, email=email, next_path=next_path, ip=ip)
    emails.sign_in_link(link=issued.link, raw_token=issued.raw_token)
    return issued.link


@transaction.atomic
def sign_in_link_redeem(*, raw_token):
    """Use a sign-in link: returns the person it signs in (made now on their first visit)."""
    link = email_link_redeem(raw_token=raw_token, purpose=EmailLink.Purpose.SIGN_IN)
    user = User.objects.filter(email__iexact=link.email).first()
    if user is None:
        user = User.objects.create_user(link.email)
    if not user.is_active:
        raise LinkRefused("unknown")
    return user, link


def user_set_digest_frequency(*, user, frequency):
    """A person's choice of digest (none, daily or weekly), from their account page."""
    User.Digest(frequency)  # ValueError for anything else
    User.objects.filter(pk=user.pk).update(digest_frequency=frequency)
    user.digest_frequency = frequency
    return user


class StaffSignInLocked(Exception):
    """Too many wrong staff passwords lately, for this address or from this IP address."""


def staff_sign_in_check(*, email, ip):
    """StaffSignInLocked when guessing has gone on too long; checked before the password is tried."""
    since = timezone.now() - timedelta(minutes=settings.STAFF_SIGN_IN_WINDOW_MINUTES)
    recent = StaffSignInFailure.objects.filter(created_at__gte=since)
    if recent.filter(email=email).count() >= settings.STAFF_SIGN_IN_FAILURES_PER_ADDRESS:
        raise StaffSignInLocked()
    if ip and recent.filter(ip=ip).count() >= settings.STAFF_SIGN_IN_FAILURES_PER_IP:
        raise StaffSignInLocked()


def staff_sign_in_failed(*, email, ip):
    StaffSignInFailure.objects.create(email=email, ip=ip)
