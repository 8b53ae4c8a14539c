"""A hub's own settings, changed by its leads from the settings pages (issue 10): service levels and team.

Every service here is one transaction that checks the actor is a lead of the hub, makes the change and
writes the hub audit log (hubportal.audit) with the values before and after.

Team rules:
- A person joins by invitation: their account is made (or woken) and they are emailed the staff
  invitation (hubportal.services.staff_invite: a single-use link to set a password, then TOTP).
- A hub always keeps at least one lead: demoting or removing the last one is refused. Two leads demoting
  each other at once both lock the hub's lead rows first, so the second sees the first's change.
- Removing someone from the team first hands their open work to another member (or to nobody): every
  app that assigns work to staff registers a hand-over (register_team_leaving), called inside the
  transaction, so nothing is left assigned to someone who left. An account in no hub any more is made
  inactive (it can no longer sign in); its history (timelines, audit) keeps its name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from .audit import hub_audit_record
from .models import Hub, HubMembership, User
from .services import staff_invite

SERVICE_LEVEL_FIELDS = {
    "triage_target_working_days": "Triage target",
    "info_reminder_working_days": "Question wait before reminding the submitter",
    "info_close_suggestion_working_days": "Then wait before suggesting closing",
    "partner_target_working_days": "Partner response target",
    "partner_reminder_working_days": "Remind the partner after",
    "partner_escalation_working_days": "Escalate to the partner's lead and the hub lead after",
}


class SettingsRefused(ValueError):
    """A change that cannot be made; the message says why, for the lead. `field`: where it belongs."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotALead(SettingsRefused):
    def __init__(self):
        super().__init__("Only the hub's leads can change its settings")


def _require_lead(hub: Hub, by: User) -> None:
    if not HubMembership.objects.filter(hub=hub, user=by, role=HubMembership.Role.LEAD).exists():
        raise NotALead()


def _values(hub: Hub) -> dict:
    return {label: getattr(hub, name) for name, label in SERVICE_LEVEL_FIELDS.items()}


@transaction.atomic
def hub_set_service_levels(*, hub: Hub, by: User, **levels: int) -> Hub:
    """Set the hub's service levels, in working days (the form checks each is 1-60). New deadlines use
    them; deadlines already set stay as they were promised."""
    _require_lead(hub, by)
    unknown = set(levels) - set(SERVICE_LEVEL_FIELDS)
    if unknown:
        raise SettingsRefused(f"Unknown service levels: {', '.join(sorted(unknown))}")
    for name, value in levels.items():
        if not isinstance(value, int) or not 1 <= value <= 60:
            raise SettingsRefused("Enter a whole number of working days from 1 to 60", name)
    locked = Hub.objects.select_for_update().get(pk=hub.pk)
    before = _values(locked)
    Hub.objects.filter(pk=hub.pk).update(**levels)
    locked.refresh_from_db()
    hub_audit_record(locked, by, "Service levels changed", before, _values(locked), subject="Service levels")
    hub.refresh_from_db()
    return locked


# --- Team -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Holding:
    """Work someone holds at a hub, as an app describes it: "3 open inquiries assigned to them"."""

    description: str
    count: int


@dataclass(frozen=True)
class LeavingHook:
    # (hub, user) -> what they hold, for the confirmation page.
    describe: Callable[..., list[Holding]]
    # (*, hub, user, to, by) -> hands it over to `to` (a member of the hub, or None: nobody).
    hand_over: Callable[..., None]


_leaving_hooks: list[LeavingHook] = []


def register_team_leaving(*, describe: Callable[..., list[Holding]], hand_over: Callable[..., None]) -> None:
    """An app that assigns work to hub staff registers how to describe and hand over that work (from its
    AppConfig.ready())."""
    hook = LeavingHook(describe=describe, hand_over=hand_over)
    if hook not in _leaving_hooks:
        _leaving_hooks.append(hook)


def team_member_holdings(*, hub: Hub, user: User) -> list[Holding]:
    return [holding for hook in _leaving_hooks for holding in hook.describe(hub=hub, user=user) if holding.count]


def _lead_rows(hub: Hub) -> list[HubMembership]:
    """The hub's lead memberships, locked: whoever changes a lead's role holds them until commit."""
    return list(HubMembership.objects.select_for_update().filter(hub=hub, role=HubMembership.Role.LEAD)
                .order_by("pk"))


def _lock_leads(hub: Hub, by: User) -> list[HubMembership]:
    """Lock the hub's lead rows (always first, always in one order, so two leads changing each other at once
    queue rather than deadlock), then check `by` is still one of them: the other may have just demoted them."""
    leads = _lead_rows(hub)
    if by.pk not in {m.user_id for m in leads}:
        raise NotALead()
    return leads


def _refuse_last_lead(leads: list[HubMembership], membership: HubMembership, what: str) -> None:
    if [m.pk for m in leads if m.role == HubMembership.Role.LEAD] == [membership.pk]:
        raise SettingsRefused(f"{membership.user.email} is the hub's only lead. Make someone else a lead "
                              f"before you {what}", "role")


@transaction.atomic
def team_invite(*, hub: Hub, by: User, email: str, full_name: str, role: str) -> HubMembership:
    """Add a person to the hub's team and email them the staff invitation."""
    _require_lead(hub, by)
    if role not in HubMembership.Role.values:
        raise SettingsRefused("Choose a role", "role")
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email, full_name=full_name.strip())
    elif HubMembership.objects.filter(hub=hub, user=user).exists():
        raise SettingsRefused(f"{email} is already in this hub's team", "email")
    else:
        # Someone who left (an inactive account) comes back; a name typed now fills a blank one.
        changed = []
        if not user.is_active:
            user.is_active = True
            changed.append("is_active")
        if full_name.strip() and not user.full_name:
            user.full_name = full_name.strip()
            changed.append("full_name")
        if changed:
            user.save(update_fields=changed)
    membership = HubMembership.objects.create(hub=hub, user=user, role=role)
    staff_invite(user=user, by=by)
    hub_audit_record(hub, by, "Person invited to the team", {},
                     {"email": email, "name": user.full_name, "role": membership.get_role_display()}, subject=email)
    return membership


@transaction.atomic
def team_set_role(*, membership: HubMembership, by: User, role: str) -> HubMembership:
    """Make a member a lead, or a lead a member (never the last lead)."""
    hub = membership.hub
    if role not in HubMembership.Role.values:
        raise SettingsRefused("Choose a role", "role")
    leads = _lock_leads(hub, by)
    current = HubMembership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if current.role == role:
        return current
    if current.role == HubMembership.Role.LEAD:
        _refuse_last_lead(leads, current, "make them a team member")
    before = current.get_role_display()
    current.role = role
    current.save(update_fields=["role"])
    hub_audit_record(hub, by, "Role changed", {"role": before}, {"role": current.get_role_display()},
                     subject=current.user.email)
    return current


@transaction.atomic
def team_remove(*, membership: HubMembership, by: User, hand_to: User | None) -> None:
    """Take a person off the hub's team, first handing their open work to `hand_to` (a member of this
    hub who stays) or to nobody. Never the last lead."""
    hub = membership.hub
    leads = _lock_leads(hub, by)
    current = HubMembership.objects.select_for_update().select_related("user").filter(pk=membership.pk).first()
    if current is None:
        raise SettingsRefused("This person is no longer in the team")
    user = current.user
    if current.role == HubMembership.Role.LEAD:
        _refuse_last_lead(leads, current, "remove them")
    if hand_to is not None and (hand_to == user or not HubMembership.objects.filter(hub=hub, user=hand_to,
                                                                                  user__is_active=True).exists()):
        raise SettingsRefused("Choose someone who stays in this hub's team", "hand_to")
    held = team_member_holdings(hub=hub, user=user)
    for hook in _leaving_hooks:
        hook.hand_over(hub=hub, user=user, to=hand_to, by=by)
    current.delete()
    became_inactive = False
    if not user.is_staff and not HubMembership.objects.filter(user=user).exists():
        User.objects.filter(pk=user.pk).update(is_active=False)
        became_inactive = True
    hub_audit_record(hub, by, "Person removed from the team",
                     {"email": user.email, "role": current.get_role_display(),
                      "held": [f"{h.count} {h.description}" for h in held]},
                     {"work handed to": hand_to.email if hand_to else "nobody",
                      "account": "made inactive (in no hub now)" if became_inactive else "still in another hub"},
                     subject=user.email)


# --- Local priorities ---------------------------------------------------------------------------------


@transaction.atomic
def hub_theme_add(*, hub: Hub, by: User, label: str):
    """Add one of the hub's own priority themes. Its name must differ from the national themes' and the
    hub's others' (retired ones too: bring that one back instead). Its code is made here, once, and never
    changes: inquiries store it."""
    from django.utils.text import slugify

    from .models import HubTheme
    from .taxonomy import Theme

    _require_lead(hub, by)
    label = " ".join(label.split())
    if not label:
        raise SettingsRefused("Enter the name of the priority", "label")
    taken = [name for _code, name in Theme.choices] + list(HubTheme.objects.filter(hub=hub)
                                                             .values_list("label", flat=True))
    if any(name.casefold() == label.casefold() for name in taken):
        raise SettingsRefused("There is already a priority with that name", "label")
    base = f"{HubTheme.LOCAL_PREFIX}{hub.code.lower()}-{slugify(label)[:50] or 'priority'}"
    code, n = base, 1
    while HubTheme.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    theme = HubTheme.objects.create(hub=hub, code=code, label=label)
    hub_audit_record(hub, by, "Local priority added", {}, {"name": label}, subject=label)
    return theme


@transaction.atomic
def hub_theme_set_active(*, theme, by: User, is_active: bool):
    """Retire a local priority (no longer offered; inquiries that chose it keep it) or bring it back."""
    _require_lead(theme.hub, by)
    if theme.is_active != is_active:
        type(theme).objects.filter(pk=theme.pk).update(is_active=is_active)
        hub_audit_record(theme.hub, by, "Local priority brought back" if is_active else "Local priority retired",
                         {"active": theme.is_active}, {"active": is_active}, subject=theme.label)
        theme.is_active = is_active
    return theme


# --- Who may submit -------------------------------------------------------------------------------------


@transaction.atomic
def hub_set_accepted_domains(*, hub: Hub, by: User, text: str) -> list[str]:
    """Set the email domains the hub accepts (empty: the deployment's default). An invalid domain refuses
    the whole change (SettingsRefused naming it)."""
    from .submitters import InvalidDomain, domains_parse

    _require_lead(hub, by)
    try:
        domains = domains_parse(text)
    except InvalidDomain as error:
        raise SettingsRefused(str(error), "domains") from error
    locked = Hub.objects.select_for_update().get(pk=hub.pk)
    before = [line for line in locked.accepted_email_domains.splitlines() if line]
    Hub.objects.filter(pk=hub.pk).update(accepted_email_domains="\n".join(domains))
    hub_audit_record(hub, by, "Accepted email domains changed", {"domains": before or "the default"},
                     {"domains": domains or "the default"}, subject="Who may submit")
    hub.accepted_email_domains = "\n".join(domains)
    return domains


@transaction.atomic
def hub_accept_address(*, hub: Hub, by: User, email: str, how_checked: str):
    """Accept one person whose address is not on the hub's domains, after a member of staff checked who
    they are (how_checked says how). Any member of the hub's staff may: it is the everyday answer to
    "I cannot sign in"."""
    from .models import HubAcceptedAddress

    if not HubMembership.objects.filter(hub=hub, user=by).exists():
        raise SettingsRefused("Only the hub's staff can accept a person")
    email = email.strip().lower()
    how_checked = " ".join(how_checked.split())
    if not how_checked:
        raise SettingsRefused("Say how you checked who they are", "how_checked")
    if HubAcceptedAddress.objects.filter(hub=hub, email=email).exists():
        raise SettingsRefused(f"{email} is already accepted", "email")
    accepted = HubAcceptedAddress.objects.create(hub=hub, email=email, how_checked=how_checked, accepted_by=by)
    hub_audit_record(hub, by, "Person accepted to submit", {}, {"email": email, "how checked": how_checked},
                     subject=email)
    return accepted


@transaction.atomic
def hub_accepted_address_remove(*, accepted, by: User) -> None:
    _require_lead(accepted.hub, by)
    accepted.delete()
    hub_audit_record(accepted.hub, by, "Accepted person removed", {"email": accepted.email,
                                                                    "how checked": accepted.how_checked}, {},
                     subject=accepted.email)
