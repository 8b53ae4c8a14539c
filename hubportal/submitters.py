"""Who may submit (issue 10): each hub's accepted email domains, and people a hub accepted by hand.

Rules:
- A hub with no domains of its own accepts the deployment's SUBMITTER_EMAIL_DOMAINS (the default).
- A domain accepts itself and its subdomains ("nhs.uk" accepts "dchft.nhs.uk"); "*" (the default in
  development) accepts any address and is never a hub's own.
- A person may sign in when the default, or any active hub, accepts their address, or a hub accepted
  them by hand; choosing a hub for an inquiry then needs that hub to accept them.
"""

from __future__ import annotations

import re

from django.conf import settings

from .models import Hub, HubAcceptedAddress

# A DNS name: labels of letters, digits and hyphens (not at either end), at least one dot, a TLD of letters.
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class InvalidDomain(ValueError):
    pass


def domains_parse(text: str) -> list[str]:
    """The domains in `text` (one a line, or separated by commas or spaces), lower-case, without a
    leading "@" or ".", duplicates dropped; InvalidDomain naming the first that is not a domain."""
    domains: list[str] = []
    for raw in re.split(r"[\s,;]+", text or ""):
        domain = raw.strip().lower().lstrip("@").lstrip(".")
        if not domain:
            continue
        if not _DOMAIN.match(domain):
            raise InvalidDomain(f"“{raw.strip()}” is not an email domain. Enter domains like dchft.nhs.uk, "
                                f"one a line")
        if domain not in domains:
            domains.append(domain)
    return domains


def _matches(domain: str, allowed: list[str]) -> bool:
    for entry in allowed:
        entry = entry.lower().lstrip(".")
        if entry == "*" or domain == entry or domain.endswith("." + entry):
            return True
    return False


def _domain_of(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower()


def hub_domains(hub: Hub) -> list[str]:
    """The domains the hub accepts: its own, or the deployment's default."""
    own = [line.strip() for line in (hub.accepted_email_domains or "").splitlines() if line.strip()]
    return own or list(settings.SUBMITTER_EMAIL_DOMAINS)


def hub_accepts(hub: Hub, email: str) -> bool:
    if _matches(_domain_of(email), hub_domains(hub)):
        return True
    return HubAcceptedAddress.objects.filter(hub=hub, email__iexact=email).exists()


def submitter_may_sign_in(email: str) -> bool:
    domain = _domain_of(email)
    if _matches(domain, list(settings.SUBMITTER_EMAIL_DOMAINS)):
        return True
    for text in Hub.objects.filter(is_active=True).exclude(accepted_email_domains="").values_list(
            "accepted_email_domains", flat=True):
        if _matches(domain, [line.strip() for line in text.splitlines() if line.strip()]):
            return True
    return HubAcceptedAddress.objects.filter(email__iexact=email, hub__is_active=True).exists()
