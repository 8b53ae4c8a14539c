"""Writes of the shared kernel: emailed links (sign-in) and the people they sign in."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import emails
from .auth import auth_event
from .models import EmailLink, StaffSignInFailure, User, hash_token

log = logging.getLogger(__name__)


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
    """RateLimited when this address, or this IP address, asked for too many links of a purpose lately.

    The address is checked first and its limit is low; the IP limit is much higher (one trust's whole
    staff may share an address) and reaching it is logged, so a lock-out of many people is visible.
    """
    hour_ago = timezone.now() - timedelta(hours=1)
    recent = EmailLink.objects.filter(purpose=purpose, created_at__gte=hour_ago)
    if recent.filter(email=email).count() >= settings.SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR:
        raise RateLimited()
    if ip and recent.filter(requested_ip=ip).count() >= settings.SIGN_IN_LINKS_PER_IP_PER_HOUR:
        auth_event("ip_limit_reached", actor=purpose, outcome="rate_limited", ip=ip, level=logging.WARNING,
                   limit=settings.SIGN_IN_LINKS_PER_IP_PER_HOUR)
        raise RateLimited()


def user_set_digest_frequency(*, user, frequency):
    """A person's choice of digest (none, daily or weekly), from their account page."""
    User.Digest(frequency)  # ValueError for anything else
    User.objects.filter(pk=user.pk).update(digest_frequency=frequency)
    user.digest_frequency = frequency
    return user


class StaffSignInLocked(Exception):
    """Too many wrong staff passwords lately, for this address or from this IP address."""


def staff_sign_in_check(*, email, ip):
    """StaffSignInLocked when guessing has gone on too long; checked before the password is tried.

    Per address first (low); per IP address much higher, and logged when reached."""
    since = timezone.now() - timedelta(minutes=settings.STAFF_SIGN_IN_WINDOW_MINUTES)
    recent = StaffSignInFailure.objects.filter(created_at__gte=since)
    if recent.filter(email=email).count() >= settings.STAFF_SIGN_IN_FAILURES_PER_ADDRESS:
        auth_event("lockout", actor="staff", outcome="locked", email=email, ip=ip, scope="address")
        raise StaffSignInLocked()
    if ip and recent.filter(ip=ip).count() >= settings.STAFF_SIGN_IN_FAILURES_PER_IP:
        auth_event("ip_limit_reached", actor="staff", outcome="locked", email=email, ip=ip,
                   level=logging.WARNING, limit=settings.STAFF_SIGN_IN_FAILURES_PER_IP)
        raise StaffSignInLocked()


def staff_sign_in_failed(*, email, ip):
    StaffSignInFailure.objects.create(email=email, ip=ip)


# --- Staff invitations: the only way into a staff account without a confirmed authenticator ---------

def _staff_invitation_minutes():
    return settings.STAFF_INVITATION_HOURS * 60


@transaction.atomic
def staff_invite(*, user, by=None):
    """Email `user` a single-use invitation to set a password and an authenticator.

    Rules: only a staff account (a hub member or an administrator) that is active; the link is bound
    to this person (subject_ref = their id, and their address) and lasts STAFF_INVITATION_HOURS;
    earlier unused invitations of theirs stop working (only the newest email is good); the email is
    queued in this transaction.
    """
    from .permissions import is_staff_account

    if not (user.is_active and is_staff_account(user)):
        raise ValueError(f"{user} is not an active member of hub staff or an administrator")
    now = timezone.now()
    # An administrator may press the button twice, or reset after inviting: the older links go.
    EmailLink.objects.filter(purpose=EmailLink.Purpose.STAFF_INVITATION, subject_ref=str(user.pk),
                             used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    issued = email_link_create(purpose=EmailLink.Purpose.STAFF_INVITATION, email=user.email,
                               subject_ref=str(user.pk), minutes=_staff_invitation_minutes())
    emails.staff_invitation(link=issued.link, raw_token=issued.raw_token)
    auth_event("staff_invited", actor="staff", outcome="sent", user=user, by_user_id=getattr(by, "pk", None),
               link_id=issued.link.pk)
    return issued.link


@transaction.atomic
def staff_device_reset(*, user, by=None):
    """An administrator resets a person's authenticator: their devices are deleted, their password stops
    working and a fresh invitation is emailed. Every staff session of theirs ends with the device (a
    verified session names its device), and the password alone can never set up a new one."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    auth_event("device_reset", actor="staff", outcome="success", user=user, by_user_id=getattr(by, "pk", None),
               devices_deleted=deleted)
    return staff_invite(user=user, by=by)


def staff_invitation_accept(link):
    """The staff member an invitation link is for; LinkRefused("unknown") if the link's person is gone,
    inactive, no longer staff, or their address changed since it was sent."""
    from .permissions import is_staff_account

    user = User.objects.filter(pk=int(link.subject_ref or 0), is_active=True).first()
    if user is None or user.email.lower() != link.email.lower() or not is_staff_account(user):
        raise LinkRefused("unknown")
    return user


class NotTheHubLead(Exception):
    """Only the hub's lead changes its retention schedule."""


@transaction.atomic
def hub_set_retention(*, hub, by, retain_closed_months, retain_drafts_days, retain_email_days):
    """The hub lead sets the hub's retention periods (validated by the form: at least one of each)."""
    from .models import Hub, HubMembership

    if not HubMembership.objects.filter(hub=hub, user=by, role=HubMembership.Role.LEAD).exists():
        raise NotTheHubLead()
    Hub.objects.filter(pk=hub.pk).update(retain_closed_months=retain_closed_months,
                                         retain_drafts_days=retain_drafts_days, retain_email_days=retain_email_days)
    auth_event("retention_changed", actor="staff", outcome="success", user=by, hub=hub.slug,
               closed_months=retain_closed_months, drafts_days=retain_drafts_days, email_days=retain_email_days)
    hub.refresh_from_db()
@transaction.atomic
def hub_set_embed_origins(*, hub, origins, by):
    """Set the intranet origins that may frame the hub's front door widget (already checked by
    EmbedOriginsForm). Logged with who and what, before and after: a hub's embedding is a security
    setting."""
    before = hub.embed_origin_list
    hub.embed_origins = "\n".join(origins)
    hub.save(update_fields=["embed_origins"])
    log.info("embed origins changed", extra={"event": "hub_embed_origins_changed", "hub": hub.slug,
                                             "user_id": by.pk, "before": before, "after": list(origins)})
    return hub
