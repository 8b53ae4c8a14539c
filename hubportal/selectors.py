"""Reads of the shared kernel."""

from .models import Hub, HubOrganisation


def hub_suggest_for_organisation(organisation):
    """The active hub whose area includes an organisation with this name, or None.

    Matching is case-insensitive and tolerant of a partial name either way round
    ("Dorset County Hospital" finds "Dorset County Hospital NHS Foundation Trust").
    """
    name = " ".join((organisation or "").split()).lower()
    if len(name) < 4:
        return None
    known = HubOrganisation.objects.filter(hub__is_active=True).select_related("hub").only("name", "hub")
    for org in known:
        candidate = org.name.lower()
        if name in candidate or candidate in name:
            return org.hub
    return Hub.objects.filter(is_active=True, name__icontains=name).first()
